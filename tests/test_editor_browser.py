"""The SPARQL editor in real headless Chromium: open /sparql, run a query, see the results table."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from live_server import ROOT, serve
from requirements_support import require_npm_tool
from sparql_support import EX, GRAPH

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
YASGUI = ROOT / "web" / "node_modules" / "@zazuko" / "yasgui" / "build" / "yasgui.min.js"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    require_npm_tool(YASGUI, "the YASGUI editor")  # skips without npm, fails in CI
    with serve([GRAPH]) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


def test_run_a_query_and_see_the_results_table(base_url: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    outside: list[str] = []
    page.on("request", lambda request: None if request.url.startswith(base_url) or request.url.startswith("data:")
            else outside.append(request.url))
    page.goto(base_url + "/sparql")
    page.wait_for_selector(".yasqe .CodeMirror", timeout=15000)
    assert "PREFIX iop:" in page.evaluate("window.iopgraphYasgui.getTab().getQuery()")  # project prefixes preloaded
    query = f"SELECT ?person ?label WHERE {{ ?person a <{EX}Person> ; <http://www.w3.org/2000/01/rdf-schema#label> ?label }} ORDER BY ?label"
    page.evaluate("q => { window.iopgraphYasgui.getTab().setQuery(q); }", query)
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr table tbody tr", timeout=15000)
    table = page.inner_text(".yasr table")
    assert "Alice" in table and "Robert" in table
    rows = page.locator(".yasr table tbody tr").count()
    assert rows == 4  # Alice, Bob, Robert (en), Carol
    assert outside == [], f"the editor fetched from outside the service: {outside}"
    page.close()


def test_example_queries_open_in_a_tab(base_url: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(base_url + "/sparql")
    page.wait_for_selector(".yasqe .CodeMirror", timeout=15000)
    options = page.locator("#examples option")
    assert options.count() > 1  # the shipped queries/*.rq
    label = options.nth(1).inner_text()
    page.select_option("#examples", index=1)
    page.wait_for_function("() => window.iopgraphYasgui.getTab().getQuery().includes('SELECT') || "
                           "window.iopgraphYasgui.getTab().getQuery().includes('CONSTRUCT') || "
                           "window.iopgraphYasgui.getTab().getQuery().includes('DESCRIBE')", timeout=10000)
    assert label in page.inner_text(".tabsList")
    page.close()
