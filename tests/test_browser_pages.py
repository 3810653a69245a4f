"""The pages in real headless Chromium: browse home → challenge → mitigation → use case → report section,
use the guidance form with the keyboard, and keep screenshots in test-artifacts/."""

from __future__ import annotations

import pytest

from support.browser import ARTIFACTS, NEEDS_CHROMIUM, chromium_page
from support.ldviews import make_settings
from support.server import serving

pytestmark = [pytest.mark.browser, NEEDS_CHROMIUM]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):  # yields the base URL
    folder = tmp_path_factory.mktemp("browser")

    def settings(base_url: str):
        made = make_settings(folder)
        made.base_url = base_url
        return made

    with serving(settings) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def page(site):  # a Playwright page
    with chromium_page(java_script_enabled=False) as page:  # reading must work without JavaScript
        yield page


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
    box = page.locator("#results").bounding_box()
    assert box is not None and box["y"] < page.viewport_size["height"]  # the answer is where the user looks
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


def test_screenshots_of_the_new_pages(site, page) -> None:
    """The pages added for issue 10 render in Chromium (screenshots kept in test-artifacts/ for review)."""
    for path, name, heading in [
        ("/ontology", "ontology", "iopgraph ontology"),
        ("/catalog", "catalog", "Data catalogue"),
        ("/ldes", "ldes", "LDES feed"),
        ("/no/such/page", "not-found", "Page not found"),
        ("/validate", "validate", "Validate RDF"),
    ]:
        page.goto(site + path)
        assert page.locator("h1").inner_text() == heading
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=name != "ontology")
    page.goto(site + "/ontology#DataSpace")
    assert page.locator("#DataSpace").is_visible()
    page.screenshot(path=str(ARTIFACTS / "ontology-term.png"))
