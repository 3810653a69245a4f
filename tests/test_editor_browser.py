"""The SPARQL editor in real headless Chromium, against `iopgraph serve` on the shipped graph.

With YASGUI (``make web``): open /sparql, run a query, see the results table; result IRIs of the graph link
to this server; errors read as text. Without the npm assets (a project folder without ``web/``): the built-in
editor runs an example query, renders the table, shows errors readably and says how to get YASGUI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.browser import ARTIFACTS, CHROMIUM, NEEDS_CHROMIUM
from support.paths import ROOT
from support.requirements import require_npm_tool
from support.server import serve

YASGUI = ROOT / "web" / "node_modules" / "@zazuko" / "yasgui" / "build" / "yasgui.min.js"
PROJECT_FOLDERS = ("ontology", "data", "shapes", "queries", "docs")

pytestmark = [pytest.mark.browser, NEEDS_CHROMIUM]


def without_npm_assets(folder: Path) -> Path:
    """A project folder with the sources of this checkout but no ``web/`` (as after a clone without npm)."""
    for name in PROJECT_FOLDERS:
        (folder / name).symlink_to(ROOT / name, target_is_directory=True)
    return folder


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_npm_tool(YASGUI, "the YASGUI editor")  # skips without npm, fails in CI
    folder = tmp_path_factory.mktemp("editor")
    with serve(
        [],
        {"IOPGRAPH_STORE_PATH": str(folder / "store"), "IOPGRAPH_BUILD_DIR": str(folder / "build")},
        timeout=120,
    ) as base:
        yield base


@pytest.fixture(scope="module")
def plain_base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = without_npm_assets(tmp_path_factory.mktemp("no-npm"))
    with serve([], env={"IOPGRAPH_ROOT": str(root)}, timeout=120) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    from support.browser import ARGS

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def open_page(browser: object, base: str, url: str) -> tuple[object, list[str], list[str]]:
    """A new page at ``url``, with the console errors and the requests that left the server."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page.set_default_timeout(90_000)  # generous: a loaded 2-core machine
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: None if r.url.startswith(base) or r.url.startswith("data:") else outside.append(r.url),
    )
    page.goto(base + url)
    return page, errors, outside


CHALLENGES = (
    "SELECT ?c ?label WHERE { ?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?label ; "
    "a <https://w3id.org/iopgraph/ontology#ChallengeFamily> } ORDER BY ?label"
)


def test_yasgui_runs_a_query_inside_the_site(base_url: str, browser: object) -> None:
    page, errors, outside = open_page(browser, base_url, "/sparql")
    page.wait_for_selector(".yasqe .CodeMirror", timeout=60000)
    assert page.locator("header.site nav").is_visible()  # the site's header and style
    assert "PREFIX iop:" in page.evaluate("window.iopgraphYasgui.getTab().getQuery()")
    page.evaluate("q => { window.iopgraphYasgui.getTab().setQuery(q); }", CHALLENGES)
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr table tbody tr", timeout=60000)
    assert page.locator(".yasr table tbody tr").count() == 2  # the two challenge families
    hrefs = page.eval_on_selector_all(".yasr table tbody a", "as => as.map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith("/concept/challenge/") for h in hrefs), hrefs
    page.screenshot(path=str(ARTIFACTS / "sparql-yasgui.png"), full_page=True)
    assert httpx.get(base_url + hrefs[0], headers={"Accept": "text/html"}).status_code == 200
    assert outside == [], f"the editor fetched from outside the service: {outside}"
    assert errors == []
    page.close()


def test_editor_opened_as_localhost_queries_its_own_origin(base_url: str, browser: object) -> None:
    """The base URL says 127.0.0.1; a person typing localhost must still get answers (the CSP allows 'self' only)."""
    local = base_url.replace("127.0.0.1", "localhost")
    page, errors, outside = open_page(browser, local, "/sparql")
    page.wait_for_selector(".yasqe .CodeMirror", timeout=60000)
    page.evaluate("q => { window.iopgraphYasgui.getTab().setQuery(q); }", CHALLENGES)
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr table tbody tr", timeout=60000)
    assert page.locator(".yasr table tbody tr").count() == 2
    assert outside == [] and errors == [], (outside, errors)
    page.close()


REFUSED = "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"


def test_yasgui_shows_an_error_as_text(base_url: str, browser: object) -> None:
    page, _, _ = open_page(browser, base_url, "/sparql")
    page.wait_for_selector(".yasqe .CodeMirror", timeout=60000)
    page.evaluate("q => { window.iopgraphYasgui.getTab().setQuery(q); }", REFUSED)  # valid, but refused (403)
    page.click(".yasqe_queryButton")
    page.wait_for_selector("#sparql-error", timeout=60000)
    text = page.inner_text("#sparql-error")
    problem = httpx.post(base_url + "/sparql", data={"query": REFUSED}).json()
    assert (
        problem["title"] == "SERVICE not allowed"
    )  # the code's title (docs/errors.md), not the status phrase
    assert f"{problem['title']} (403)" in text and problem["detail"] in text
    assert '"detail"' not in text  # the message, not the JSON document
    assert page.eval_on_selector("#sparql-error pre", "e => getComputedStyle(e).whiteSpace") == "pre-wrap"
    page.screenshot(path=str(ARTIFACTS / "sparql-yasgui-error.png"), full_page=True)
    page.close()


def test_example_queries_open_in_a_tab_and_run(base_url: str, browser: object) -> None:
    page, errors, outside = open_page(browser, base_url, "/sparql")
    page.wait_for_selector(".yasqe .CodeMirror", timeout=60000)
    options = page.locator("#examples option")
    assert options.count() == len(list((ROOT / "queries").glob("*.rq"))) + 1
    label = options.nth(1).inner_text()
    page.select_option("#examples", index=1)
    page.wait_for_function(
        "() => /SELECT|CONSTRUCT|DESCRIBE|ASK/.test(window.iopgraphYasgui.getTab().getQuery())", timeout=60000
    )
    assert label in page.inner_text(".tabsList")
    page.locator(".yasqe_queryButton").last.click()  # run the example in its tab
    page.wait_for_selector(".yasr table tbody tr, .yasr .yasr_results pre", timeout=90000)
    assert page.locator("#sparql-error").count() == 0
    assert errors == [] and outside == []  # no console errors, nothing fetched from elsewhere
    page.close()


def test_without_npm_the_page_links_no_missing_asset(plain_base_url: str) -> None:
    html = httpx.get(plain_base_url + "/sparql", headers={"Accept": "text/html"}).text
    assert "/sparql/assets/" not in html
    assert "make web" in html and "npm" in html
    assert httpx.get(plain_base_url + "/sparql/assets/yasgui.min.js").status_code == 404


def test_built_in_editor_runs_every_example(plain_base_url: str, browser: object) -> None:
    page, errors, outside = open_page(browser, plain_base_url, "/sparql")
    assert page.locator("#builtin-note").is_visible()
    assert "PREFIX iop:" in page.input_value("#query")
    count = page.locator("#examples option").count() - 1
    assert count == len(list((ROOT / "queries").glob("*.rq")))
    for index in range(1, count + 1):
        page.select_option("#examples", index=index)
        assert page.input_value("#query").strip()
        page.click("#run")
        page.wait_for_selector(
            "#results .sparql-results, #results .ask-result, #results pre.graph-result, "
            "#results #sparql-error",
            timeout=90000,
        )
        assert page.locator("#results #sparql-error").count() == 0, page.inner_text("#results")
    assert errors == [] and outside == []
    page.close()


def test_built_in_editor_table_links_and_errors(plain_base_url: str, browser: object) -> None:
    page, errors, _ = open_page(browser, plain_base_url, "/sparql")
    page.fill("#query", CHALLENGES)
    page.click("#run")
    page.wait_for_selector("#results table tbody tr", timeout=90000)
    assert page.locator("#results table tbody tr").count() == 2
    assert "2 rows" in page.inner_text("#results .count")
    hrefs = page.eval_on_selector_all("#results table a", "as => as.map(a => a.getAttribute('href'))")
    assert all(h.startswith("/concept/challenge/") for h in hrefs), hrefs
    page.screenshot(path=str(ARTIFACTS / "sparql-builtin.png"), full_page=True)
    page.click(f"#results a[href='{hrefs[0]}']")
    page.wait_for_load_state()
    assert page.url == plain_base_url + hrefs[0]
    page.go_back()
    page.fill("#query", "SELECT * WHERE { ?s ?p }")
    page.keyboard.press("Control+Enter")  # the shortcut runs it too
    page.wait_for_selector("#sparql-error", timeout=90000)
    text = page.inner_text("#sparql-error")
    problem = httpx.post(plain_base_url + "/sparql", data={"query": "SELECT * WHERE { ?s ?p }"}).json()
    expected = problem["detail"]
    assert (
        expected in text and "SPARQL syntax error (400)" in text and problem["title"] == "SPARQL syntax error"
    )
    assert json.dumps(expected) not in text
    page.screenshot(path=str(ARTIFACTS / "sparql-builtin-error.png"), full_page=True)
    assert [e for e in errors if "400" not in e] == []  # the browser logs the failed request itself
    page.close()
