"""Journey: the worked example of docs/add-an-initiative.md, authored, reviewed and published in the browser workbench.

Headless Chromium against `iopgraph serve` on the shipped graph (a random port): a proposer signs in with
the keyboard, fills the form generated from the shapes with the values of ``docs/examples/new-initiative.ttl``,
sees the shape message of a wrong city appear beside its field and fixes it, submits a proposal; a publisher
signs in, reviews the diff and the gate's verdict, accepts; the initiative's page, the search, ``/sparql``,
``/ldes`` and the provenance graph show it; the publisher reverts it; the history shows both changes.
Screenshots go to ``test-artifacts/`` (docs/stewards.md shows them).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest

from support.browser import ARGS, ARTIFACTS, CHROMIUM, NEEDS_CHROMIUM, chromium_page
from support.paths import ROOT
from support.server import serve

EXAMPLE = ROOT / "docs" / "examples" / "new-initiative.ttl"
INITIATIVE = "https://w3id.org/iopgraph/id/initiative/helsinki-district-digital-twins"
PAGE = "/id/initiative/helsinki-district-digital-twins"
PROPOSER_TOKEN = "journey-proposer-token-0123456789"
PUBLISHER_TOKEN = "journey-publisher-token-0123456789"
WRONG_CITY = "https://w3id.org/iopgraph/id/place/atlantis"
CITY_MESSAGE = "iop:city must point to a place (iop:Place) described in the graph."
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
WAIT = 120_000  # a loaded 2-core machine can be slow; nothing here measures time


def example_values() -> dict[str, str]:
    """The worked example's statements as form values, keyed by field (CURIE with '.' for ':')."""
    from iopgraph.workbench.formmodel import curie

    values = {}
    for t in ox.parse(path=str(EXAMPLE)):
        assert t.subject.value == INITIATIVE
        values[curie(t.predicate.value).replace(":", ".")] = t.object.value
    return values


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("workbench-journey")
    (folder / "tokens").write_text(
        f"city-of-helsinki proposer {PROPOSER_TOKEN}\neu-publisher publisher {PUBLISHER_TOKEN}\n",
        encoding="utf-8",
    )
    env = {
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_BUILD_DIR": str(folder / "build"),
        "IOPGRAPH_WRITE_TOKEN_FILE": str(folder / "tokens"),
        "IOPGRAPH_QUERY_WORKERS": "1",
    }
    with serve([], env, timeout=120) as base:
        yield base


def by_id(key: str) -> str:
    return f'[id="{key}"]'


def sign_in_with_the_keyboard(page, base: str, token: str, shot: str | None = None) -> None:
    page.goto(base + "/proposals")  # needs a session: the sign-in page, coming back afterwards
    assert page.url.startswith(base + "/sign-in?next=")
    for _ in range(60):  # Tab through the page until the token field has the focus
        if page.evaluate("document.activeElement && document.activeElement.id") == "token":
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError("the token field cannot be reached with the keyboard")
    page.keyboard.type(token)
    if shot:
        page.screenshot(path=str(ARTIFACTS / shot))
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/proposals")
    assert "Signed in as" in page.inner_text("#wb-who")


def sparql(base: str, query: str) -> dict:  # type: ignore[type-arg]
    answer = httpx.get(
        base + "/sparql",
        params={"query": query},
        timeout=120,
        headers={"Accept": "application/sparql-results+json"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def ldes_mentions(base: str, iri: str) -> int:
    """How many members of the LDES feed are versions of ``iri`` (every fragment read)."""
    count, index = 0, 0
    while True:
        answer = httpx.get(
            f"{base}/ldes/fragment/{index}", headers={"Accept": "application/n-triples"}, timeout=120
        )
        if answer.status_code == 404:
            return count
        assert answer.status_code == 200
        count += sum(
            1
            for line in answer.text.splitlines()
            if "<http://purl.org/dc/terms/isVersionOf>" in line and f"<{iri}>" in line
        )
        index += 1


@NEEDS_CHROMIUM
@pytest.mark.browser
def test_author_review_publish_and_revert_in_the_browser(server: str) -> None:
    values = example_values()
    with chromium_page(java_script_enabled=True) as page:
        page.set_viewport_size({"width": 1100, "height": 900})
        page.set_default_timeout(WAIT)
        # 1. The proposer signs in and opens the form generated from the shapes.
        sign_in_with_the_keyboard(page, server, PROPOSER_TOKEN, "workbench-sign-in.png")
        page.get_by_role("link", name="New initiative").click()
        page.wait_for_url(server + "/edit/new/initiative")

        # 2. The worked example, with a wrong city first.
        for key, value in values.items():
            field = page.locator(f'[data-key="{key}"] [name="{key}"]').first
            tag = field.evaluate("e => e.tagName")
            if tag == "SELECT":
                field.select_option(value)
            elif key == "iop.city":
                field.fill(WRONG_CITY)
            else:
                field.fill(value)
        message = page.locator(by_id("msg-iop.city"))
        message.get_by_text(CITY_MESSAGE).wait_for()
        assert page.get_attribute(by_id("in-iop.city-0"), "aria-invalid") == "true"
        assert message.get_attribute("aria-live") == "polite"
        page.locator('[data-key="iop.city"]').scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "workbench-shape-message.png"))

        # 3. Fix it with the pick list: type a few letters, the suggestions come from the store.
        city = page.locator(by_id("in-iop.city-0"))
        city.fill("")
        city.focus()
        page.keyboard.type("Helsin")
        page.locator('[id="in-iop.city-0"][data-suggestions]:not([data-suggestions="0"])').wait_for(
            state="attached"
        )
        options = page.eval_on_selector_all('[id="list-iop.city"] option', "os => os.map(o => o.value)")
        assert values["iop.city"] in options
        city.fill(values["iop.city"])
        page.locator('#wb-form[data-conforms="true"]').wait_for(state="attached")
        assert page.inner_text(by_id("msg-iop.city")) == ""
        assert page.inner_text("#wb-iri") == INITIATIVE
        page.keyboard.press("Tab")
        page.get_by_role("button", name="Submit proposal").click()
        page.wait_for_url(f"{server}/proposals/*")
        proposal_url = page.url
        assert "Accepted by the shapes" in page.inner_text("#wb-verdict")
        assert "A publisher will review it." in page.content()

        # 4. The publisher signs in (the proposer signs out first), reviews and accepts.
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(server + "/")
        sign_in_with_the_keyboard(page, server, PUBLISHER_TOKEN)
        page.locator("#wb-open a").first.click()
        page.wait_for_url(proposal_url)
        diff = page.inner_text("table.wb-diff")
        assert "Helsinki" in diff and "city or region" in diff.lower() and "added" in diff
        assert page.locator("table.wb-diff tbody tr.wb-add").count() == len(values)
        assert "eu-publisher" in page.inner_text("#wb-provenance")
        assert "Helsinki district digital twins" in diff  # the new resource is named by its own label
        page.locator("main").screenshot(path=str(ARTIFACTS / "workbench-review.png"))
        page.get_by_role("button", name="Accept and publish").click()
        page.wait_for_url(proposal_url)
        assert page.inner_text("#wb-state").startswith("accepted by eu-publisher")
        activity = page.inner_text("#wb-activity")
        assert activity.startswith("https://w3id.org/iopgraph/id/activity/write-")

        # 5. Published: its page, the search, /sparql, /ldes and the provenance graph show it.
        published = httpx.get(server + PAGE, timeout=120)
        assert published.status_code == 200 and "Helsinki district digital twins" in published.text
        assert f'href="{PAGE}/history"' in published.text  # the page links to its history
        found = httpx.get(server + "/search", params={"q": "Helsinki district digital twins"}, timeout=120)
        assert PAGE in found.text
        ask = sparql(server, f"ASK {{ <{INITIATIVE}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}")
        assert ask["boolean"] is True
        assert ldes_mentions(server, INITIATIVE) == 1
        prov = sparql(
            server,
            f"""PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
            SELECT ?agent WHERE {{ GRAPH <https://w3id.org/iopgraph/graph/provenance> {{
              <{activity}> prov:influenced <{INITIATIVE}> ; prov:wasAssociatedWith/rdfs:label ?agent }} }}""",
        )
        assert [b["agent"]["value"] for b in prov["results"]["bindings"]] == ["eu-publisher"]

        # 6. Revert it from its history; the history shows both changes.
        page.goto(server + PAGE + "/history")
        assert page.locator("li.wb-version").count() == 1
        page.get_by_role("button", name="Revert this change (withdraw the resource)").click()
        page.wait_for_url(server + PAGE + "/history")
        versions = page.locator("li.wb-version")
        assert versions.count() == 2
        text = page.inner_text("ol.wb-history")
        assert text.count("eu-publisher") == 2 and "withdraw the resource in the workbench" in text
        page.locator("li.wb-version").first.screenshot(path=str(ARTIFACTS / "workbench-history.png"))
    # The page stays (the provenance graph still links to the IRI) but describes nothing any more.
    after = httpx.get(server + PAGE, timeout=120)
    assert after.status_code == 200
    assert "Helsinki district digital twins" not in after.text and "withdraw the resource" in after.text
    assert sparql(server, f"ASK {{ <{INITIATIVE}> ?p ?o }}")["boolean"] is False
    assert ldes_mentions(server, INITIATIVE) == 2


@NEEDS_CHROMIUM
@pytest.mark.browser
def test_the_workbench_pages_pass_axe_core(server: str) -> None:
    """No axe-core violation at all on the workbench's pages (the context bypasses CSP for the injected axe only)."""
    if not AXE.exists():
        pytest.skip("needs axe-core from npm in web/node_modules (`make web`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(bypass_csp=True).new_page()
            page.set_default_timeout(WAIT)
            page.goto(server + "/sign-in")
            check_axe(page, "/sign-in")
            sign_in_with_the_keyboard(page, server, PUBLISHER_TOKEN)
            for path in (
                "/proposals",
                "/edit/new/initiative",
                "/edit/new/statistic",
                "/edit/new/participation",
                "/edit?iri=https%3A%2F%2Fw3id.org%2Fiopgraph%2Fid%2Finitiative%2Fflanders-smart-data-space",
                "/id/initiative/flanders-smart-data-space/history",
            ):
                page.goto(server + path)
                check_axe(page, path)
            page.goto(server + "/edit/new/participation")  # a proposal to review: its page too
            answer = page.request.post(
                server + "/edit",
                form={
                    "csrf_token": page.input_value("input[name=csrf_token]"),
                    "kind": "participation",
                    "iri": "",
                    "rdfs.label": "Axe probe participation",
                    "rdf.type": "https://w3id.org/iopgraph/ontology#Participation",
                },
            )
            assert answer.ok and "/proposals/" in answer.url
            page.goto(answer.url)
            check_axe(page, "a proposal's review")
            # Control: axe does run and would report an unlabelled field on these pages.
            page.evaluate("document.getElementById('main').appendChild(document.createElement('input'))")
            with pytest.raises(AssertionError, match="label"):
                check_axe(page, "the same page with an unlabelled input")
        finally:
            browser.close()


def check_axe(page, path: str) -> None:  # a Playwright page
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => v.id + ' (' + v.impact + '): ' + v.help + ' ' + "
        "JSON.stringify(v.nodes.slice(0, 3).map(n => n.target)))"
    )
    assert violations == [], f"{path}: {violations}"
