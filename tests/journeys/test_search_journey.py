"""Journey (issue 14): a city official searches the shipped graph in headless Chromium, against `iopgraph serve`.

1. types "trust" in the header box, moves down the suggestions with the arrow keys to the
   challenge "Lack of trust" and presses Enter; lands on the challenge page and sees the mitigations
   rolled up from its sub-challenges;
2. searches "ISO 37120" from the header (Enter with no suggestion chosen submits the form) and finds
   the good practice, the standard and the statistic, each with the report section it cites;
3. the same search works with JavaScript off (a plain form), and Escape closes the suggestions.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.browser import ARTIFACTS, NEEDS_CHROMIUM, chromium_page
from support.server import serve

pytestmark = NEEDS_CHROMIUM
LACK_OF_TRUST = "/concept/challenge/lack-of-trust"
ISO_HITS = {
    "/id/mitigation/measuring-smart-city-performance-with-iso-37120-indicators": "good practice",
    "/id/enabler/iso-37120": "standard",
    "/id/statistic/iso-37120-indicator-count": "statistic",
}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("search-journey")
    with serve(
        [], {"IOPGRAPH_STORE_PATH": str(folder / "store"), "IOPGRAPH_QUERY_WORKERS": "1"}, timeout=120
    ) as url:
        yield url


def test_suggestion_to_challenge_page_with_rolled_up_mitigations(base: str) -> None:
    with chromium_page(java_script_enabled=True) as page:
        page.goto(base + "/")
        box = page.locator("#site-q")
        assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-expanded") == "false"
        box.click()
        box.press_sequentially("trust", delay=40)
        options = page.locator("#site-q-suggestions [role=option]")
        options.first.wait_for(state="visible", timeout=15000)
        assert box.get_attribute("aria-expanded") == "true"
        texts = options.all_inner_texts()
        wanted = next(
            i for i, t in enumerate(texts) if t.startswith("Lack of trust") and "challenge cluster" in t
        )
        for _ in range(wanted + 1):
            box.press("ArrowDown")
        active = box.get_attribute("aria-activedescendant")
        assert active and page.locator(f"#{active}").get_attribute("aria-selected") == "true"
        assert page.locator(f"#{active}").inner_text().startswith("Lack of trust")
        with page.expect_navigation():
            box.press("Enter")
        assert page.url == base + LACK_OF_TRUST
        assert page.locator("h1").inner_text() == "Lack of trust"
        rollup = page.locator("section.rollup")
        assert rollup.locator("h4", has_text="Mitigations and good practices").count() >= 3
        assert (
            rollup.get_by_role("link", name="Promoting trust and knowledge sharing among partners").count()
            >= 1
        )
        assert (
            page.locator("nav.breadcrumbs")
            .get_by_role("link", name="Cultural interoperability challenges")
            .count()
            == 1
        )
        page.screenshot(path=str(ARTIFACTS / "search-journey-challenge.png"), full_page=True)


def test_iso_37120_finds_the_practice_the_standard_and_the_statistic(base: str) -> None:
    with chromium_page(java_script_enabled=True) as page:
        page.goto(base + "/mitigations")
        box = page.locator("#site-q")
        box.click()
        box.press_sequentially("ISO 37120", delay=30)
        page.locator("#site-q-suggestions [role=option]").first.wait_for(state="visible", timeout=15000)
        box.press("Escape")  # closes the suggestions; the text stays
        assert box.input_value() == "ISO 37120" and box.get_attribute("aria-expanded") == "false"
        assert page.locator("#site-q-suggestions").is_hidden()
        with page.expect_navigation():
            box.press("Enter")
        assert page.url.startswith(base + "/search?q=ISO+37120")
        for href, kind in ISO_HITS.items():
            hit = page.locator("ol.hits > li").filter(has=page.locator(f'h3 a[href="{href}"]'))
            assert hit.count() == 1, href
            assert kind in hit.locator(".kind").inner_text()
            assert hit.locator("p.cites a").count() >= 1  # the report section it cites
            assert "ISO" in hit.locator("mark").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "search-journey-iso.png"), full_page=True)


def test_the_header_search_works_without_javascript(base: str) -> None:
    with chromium_page(java_script_enabled=False) as page:
        page.goto(base + "/")
        assert page.locator("#site-q").get_attribute("role") is None  # a plain search box
        page.fill("#site-q", "sandboxes")
        with page.expect_navigation():
            page.press("#site-q", "Enter")
        assert page.get_by_role("link", name="Regulatory sandboxes").count() >= 1
        page.locator('.facets input[name="type"][value="Mitigation"]').check()  # a facet narrows the results
        with page.expect_navigation():
            page.get_by_role("button", name="Apply filters").click()
        assert "type=Mitigation" in page.url and "q=sandboxes" in page.url
        assert page.locator('.facets input[value="Mitigation"]').is_checked()
