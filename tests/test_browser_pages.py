"""The pages in real headless Chromium: browse home → challenge → mitigation → use case → report section,
use the guidance form with the keyboard, and keep screenshots in test-artifacts/."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from ldsupport import make_settings

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and shutil.which("chromium") is None,
                       reason="needs Debian's chromium (.ci/run installs it)"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - yields the base URL
    from iopgraph.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = make_settings(tmp_path_factory.mktemp("browser"))
    settings.base_url = f"http://127.0.0.1:{port}"
    srv = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not srv.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    yield settings.base_url
    srv.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def page(site):  # noqa: ANN001, ANN201 - a Playwright page
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(java_script_enabled=False)  # reading must work without JavaScript
        yield context.new_page()
        browser.close()


def test_browse_from_home_to_a_report_section(site, page) -> None:
    page.goto(site + "/")
    assert page.locator("h1").inner_text().startswith("Interoperability challenges")
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
    page.get_by_role("link", name="The challenge tree").click()
    assert page.locator("h1").inner_text() == "Challenge tree"
    page.screenshot(path=str(ARTIFACTS / "challenges.png"), full_page=True)
    page.get_by_role("link", name="Defining the problem", exact=True).click()
    assert page.locator("h1").inner_text() == "Defining the problem"
    assert page.get_by_role("heading", name="Mitigations and good practices that address this").is_visible()
    page.screenshot(path=str(ARTIFACTS / "challenge.png"), full_page=True)
    page.get_by_role("link", name="Co-creation workshops").first.click()
    assert page.url == site + "/id/mitigation/co-creation-workshops"
    page.screenshot(path=str(ARTIFACTS / "mitigation.png"), full_page=True)
    page.get_by_role("link", name="Harbour Data Space").first.click()
    assert page.locator("h1").inner_text() == "Harbour Data Space"
    page.get_by_role("link", name="Introduction").first.click()
    assert page.url == site + "/id/report/d06-02/section/introduction"
    assert page.locator("h1").inner_text() == "Introduction"
    assert page.get_by_role("heading", name="Facts taken from this section").is_visible()
    page.screenshot(path=str(ARTIFACTS / "section.png"), full_page=True)


def test_guidance_form_with_the_keyboard(site, page) -> None:
    page.goto(site + "/guidance")
    page.get_by_label("User participation").check()
    page.get_by_label("Defining the problem").focus()
    page.keyboard.press("Space")  # ticks the focused checkbox
    assert page.get_by_label("Defining the problem").is_checked()
    page.get_by_role("button", name="Show guidance").press("Enter")
    page.wait_for_url("**/guidance?challenge=*")
    ranked = page.locator("ol.ranked > li h3 a").all_inner_texts()
    assert ranked[0] == "Co-creation workshops"
    assert set(ranked) == {"Co-creation workshops", "Change champions", "Political sponsorship"}
    page.screenshot(path=str(ARTIFACTS / "guidance.png"), full_page=True)
    page.get_by_role("link", name="EIF4SCC recommendation 1").first.click()
    assert page.locator("h1").inner_text() == "EIF4SCC recommendation 1"


def test_statistics_and_matrix_render(site, page) -> None:
    page.goto(site + "/statistics")
    assert page.locator("svg.chart rect").count() == 3
    page.screenshot(path=str(ARTIFACTS / "statistics.png"), full_page=True)
    page.goto(site + "/matrix")
    assert page.locator("table.matrix tbody tr").count() == 7
    page.screenshot(path=str(ARTIFACTS / "matrix.png"), full_page=True)
