"""Accessibility (issue 14, item 5): axe-core finds no serious or critical violation on the main pages.

axe-core comes from npm (``web/package.json``, installed by ``make web``) and runs in headless
Chromium against a real `iopgraph serve` on the shipped graph. The page's CSP allows no injected
script, so the test's browser context bypasses CSP for the injected axe only (the pages' own
policy is tested in tests/test_browser_pages.py). The same pages are then printed to PDF
(the print stylesheet hides the header form, facets and pager).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.browser import ARGS, CHROMIUM, NEEDS_CHROMIUM
from support.paths import ROOT
from support.server import serve

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
pytestmark = [
    NEEDS_CHROMIUM,
    pytest.mark.skipif(not AXE.exists(), reason="needs axe-core from npm: run `make web`"),
]
PAGES = {
    "home": "/",
    "search": "/search?q=trust",
    "challenge": "/concept/challenge/lack-of-trust",
    "mitigation": "/id/mitigation/regulatory-sandboxes",
    "use case": "/id/initiative/helsinki-3d-digital-twin",
    "matrix": "/matrix",
    "guidance": "/guidance",
    "validate": "/validate",
    "SPARQL editor": "/sparql",
}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("axe")
    with serve(
        [], {"IOPGRAPH_STORE_PATH": str(folder / "store"), "IOPGRAPH_QUERY_WORKERS": "1"}, timeout=120
    ) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


def serious(results: dict[str, Any]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_or_critical_axe_violations(base: str, browser: Any, name: str) -> None:
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(base + PAGES[name], wait_until="load", timeout=60000)
        page.add_script_tag(path=str(AXE))
        results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        assert not serious(results), json.dumps(serious(results), indent=1)
    finally:
        context.close()


def test_the_matrix_keeps_its_header_row_and_first_column_in_view(base: str, browser: Any) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(base + PAGES["matrix"], wait_until="load")
        position = "e => getComputedStyle(e).position"
        assert page.locator("table.matrix thead th").first.evaluate(position) == "sticky"
        assert page.locator("table.matrix tbody th").first.evaluate(position) == "sticky"
        region = page.locator(".matrix-scroll")
        region.evaluate("e => e.scrollTo(0, 600)")
        header = page.locator("table.matrix thead th").nth(1)
        assert (
            abs(header.bounding_box()["y"] - region.bounding_box()["y"]) < 2
        )  # still at the top of the region
    finally:
        context.close()


def test_pages_print(base: str, browser: Any, tmp_path: Path) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        for name in ("search", "challenge"):
            page.goto(base + PAGES[name], wait_until="load")
            page.emulate_media(media="print")
            assert page.locator("header.site form").is_hidden()
            if name == "search":
                assert page.locator("aside.facets").is_hidden() and page.locator("ol.hits").is_visible()
            pdf = page.pdf(path=str(tmp_path / f"{name}.pdf"))
            assert pdf.startswith(b"%PDF")
    finally:
        context.close()
