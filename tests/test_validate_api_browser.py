"""The validation upload page in real headless Chromium: upload a file, paste text, read the report (issue 5)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.browser import ARTIFACTS, NEEDS_CHROMIUM, chromium_page
from support.server import serving
from support.steward import INVALID_PROJECT, VALID_PROJECT, settings_for

pytestmark = [pytest.mark.browser, NEEDS_CHROMIUM]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("validate-browser")
    with serving(lambda base_url: settings_for(folder, base_url=base_url)) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def page(site: str):  # a Playwright page
    with chromium_page(java_script_enabled=False) as page:  # the form works without JavaScript
        yield page


def test_upload_a_file_and_read_the_report(site: str, page, tmp_path: Path) -> None:
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


def test_paste_with_the_current_graph(site: str, page) -> None:
    page.goto(site + "/validate")
    page.get_by_label("… or paste RDF").fill(VALID_PROJECT)
    page.get_by_label("validate together with the current graph").check()
    page.get_by_role("button", name="Validate").click()
    page.wait_for_selector("#verdict")
    assert page.locator("#verdict").inner_text() == "Conforms"


def test_a_syntax_error_is_shown_beside_the_form(site: str, page) -> None:
    page.goto(site + "/validate")
    page.get_by_label("… or paste RDF").fill("@prefix ex: <http://example.org/> .\nex:a ex:b")
    page.get_by_role("button", name="Validate").click()
    page.wait_for_selector("#error")
    assert "line 2" in page.locator("#error").inner_text()
    assert page.locator("form.validate").is_visible()
