"""The validation upload page in real headless Chromium: upload a file, paste text, read the report (issue 5)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from steward_support import INVALID_PROJECT, VALID_PROJECT, settings_for

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (.ci/run installs it)"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from iopgraph.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = settings_for(tmp_path_factory.mktemp("validate-browser"), base_url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    yield settings.base_url
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def page(site: str):  # noqa: ANN201 - a Playwright page
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(java_script_enabled=False)  # the form works without JavaScript
        yield context.new_page()
        browser.close()


def test_upload_a_file_and_read_the_report(site: str, page, tmp_path: Path) -> None:  # noqa: ANN001
    bad = tmp_path / "new-project.ttl"
    bad.write_text(INVALID_PROJECT)
    page.goto(site + "/validate")
    assert page.locator("h1").inner_text() == "Validate RDF"
    page.get_by_label("RDF file").set_input_files(str(bad))
    page.get_by_role("button", name="Validate").click()
    page.wait_for_selector("#verdict")
    assert page.locator("#verdict").inner_text() == "Does not conform"
    rows = page.locator("table.results tbody tr")
    assert rows.count() >= 2
    assert "A project is in a place." in page.locator("table.results").inner_text()
    page.screenshot(path=str(ARTIFACTS / "validate-report.png"), full_page=True)


def test_paste_with_the_current_graph(site: str, page) -> None:  # noqa: ANN001
    page.goto(site + "/validate")
    page.get_by_label("… or paste RDF").fill(VALID_PROJECT)
    page.get_by_label("validate together with the current graph").check()
    page.get_by_role("button", name="Validate").click()
    page.wait_for_selector("#verdict")
    assert page.locator("#verdict").inner_text() == "Conforms"


def test_a_syntax_error_is_shown_beside_the_form(site: str, page) -> None:  # noqa: ANN001
    page.goto(site + "/validate")
    page.get_by_label("… or paste RDF").fill("@prefix ex: <http://example.org/> .\nex:a ex:b")
    page.get_by_role("button", name="Validate").click()
    page.wait_for_selector("#error")
    assert "line 2" in page.locator("#error").inner_text()
    assert page.locator("form.validate").is_visible()
