"""Pages for people (home, tree, use cases, lists, statistics chart, matrix) and the guidance page and API."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from support.clients import http_client
from support.ldviews import jsonld_triples, parse_body, store_triples
from support.paths import ROOT

ID = "https://w3id.org/iopgraph/id/"
CH = "https://w3id.org/iopgraph/concept/challenge/"
#: The one script of every page: autocomplete for the header search box (the box works without it).
AUTOCOMPLETE = '<script src="/static/search.js" defer></script>'


def _hrefs(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', html))


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/challenges",
        "/use-cases",
        "/mitigations",
        "/recommendations",
        "/organisations",
        "/initiatives",
        "/statistics",
        "/matrix",
        "/guidance",
    ],
)
def test_pages_are_accessible_html_with_one_h1_and_a_skip_link(ld_client, path) -> None:
    r = ld_client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    html = r.text
    assert html.startswith("<!doctype html>") and '<html lang="en">' in html
    assert html.count("<h1") == 1
    assert '<a class="skip" href="#main">' in html and '<main id="main"' in html
    assert '<nav aria-label="Main">' in html
    assert "<script" not in html.replace('<script type="application/ld+json">', "").replace(
        AUTOCOMPLETE, ""
    )  # no JavaScript needed (but the header's optional autocomplete)
    assert ld_client.get(path, headers={"if-none-match": r.headers["etag"]}).status_code == 304


def test_home_page_has_every_entry_point(ld_client) -> None:
    hrefs = _hrefs(ld_client.get("/").text)
    for target in [
        "/challenges",
        "/use-cases",
        "/mitigations",
        "/recommendations",
        "/organisations",
        "/statistics",
        "/sparql",
        "/downloads",
        "/matrix",
        "/guidance",
        "/catalog",
        "/ldes",
        "/api/challenges",
    ]:
        assert target in hrefs, target


def test_challenge_tree_nests_the_challenges_in_report_order(ld_client) -> None:
    html = ld_client.get("/challenges").text
    order = [m for m in re.findall(r'href="/concept/challenge/([^"]+)"', html)]
    assert order == [
        "organisational-interoperability",
        "definition-of-common-objectives",
        "defining-the-problem",
        "vague-goals",
        "user-participation",
        "cultural-interoperability",
        "resistance-to-change",
    ]
    # vague-goals sits in a list nested inside defining-the-problem's item
    problem = html.index('href="/concept/challenge/defining-the-problem"')
    assert html.index("<ul>", problem) < html.index('href="/concept/challenge/vague-goals"')
    assert "2 mitigations" in html[problem : html.index('href="/concept/challenge/vague-goals"')]


def test_use_cases_page_lists_organisations_and_roles(ld_client) -> None:
    html = ld_client.get("/use-cases").text
    assert "Harbour Data Space" in html and "River Twin" in html and "Old Portal" not in html
    harbour = html[html.index("Harbour Data Space") : html.index("River Twin")]
    assert re.search(
        r'Harbour City Council</a></td><td><a href="/concept/participation-role/lead">Lead organisation',
        harbour,
    )
    assert 'href="/id/mitigation/co-creation-workshops"' in harbour


def test_statistics_chart_is_server_side_svg_with_both_bars(ld_client) -> None:
    html = ld_client.get("/statistics").text
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    widths = [float(w) for w in re.findall(r'<rect x="\d+" y="\d+" width="([\d.]+)"', svg)]
    assert widths == [30 * 7.0, 64 * 7.0, 50.5 * 7.0]  # 30% alone; then Europe 64% against the world 50.5%
    assert "64% Europe" in svg and "50.5% World" in svg
    assert '<table class="figures">' in html  # the same data as a table


def test_matrix_crosses_challenges_with_use_cases(ld_client) -> None:
    html = ld_client.get("/matrix").text
    header = html[html.index("<thead>") : html.index("</thead>")]
    assert header.index("Harbour Data Space") < header.index("River Twin")
    row = html[html.index('href="/concept/challenge/defining-the-problem"') :]
    row = row[: row.index("</tr>")]
    cells = row.split("<td>")[1:]
    assert (
        "●" in cells[0] and "Co-creation workshops" in cells[0]
    )  # observed in, and illustrated by, the harbour
    assert "Political sponsorship" not in row  # it illustrates no use case
    assert cells[1].strip() == "</td>"


def test_guidance_api_ranks_mitigations(ld_client) -> None:
    doc = ld_client.get("/api/guidance?challenge=user-participation&challenge=defining-the-problem").json()
    ranked = [m["@id"].removeprefix(ID + "mitigation/") for m in doc["member"]]
    # co-creation covers both chosen challenges; the other two cover one each; the good practice first
    assert ranked == ["co-creation-workshops", "change-champions", "political-sponsorship"]
    assert doc["totalItems"] == 3
    first = doc["member"][0]
    assert first["backedBy"][0]["description"] == "Involve inhabitants."
    assert first["illustratedBy"][0]["label"] == "Harbour Data Space"
    assert first["describedInBox"][0]["label"] == "How to co-create"
    assert first["section"][0]["@id"] == ID + "report/d06-02/section/3-1"


def test_guidance_matches_narrower_and_broader_challenges(ld_client) -> None:
    # a cluster: practices addressing its sub-challenges count (narrower)
    cluster = [
        m["@id"]
        for m in ld_client.get("/api/guidance?challenge=definition-of-common-objectives").json()["member"]
    ]
    assert {c.removeprefix(ID + "mitigation/") for c in cluster} == {
        "co-creation-workshops",
        "political-sponsorship",
        "change-champions",
    }
    # a factor: practices addressing the sub-challenge above it count (broader)
    factor = [m["@id"] for m in ld_client.get("/api/guidance?challenge=vague-goals").json()["member"]]
    assert factor == [ID + "mitigation/co-creation-workshops", ID + "mitigation/political-sponsorship"]


def test_guidance_jsonld_round_trips(ld_client, ld_store) -> None:
    url = "/api/guidance?challenge=resistance-to-change&challenge=defining-the-problem"
    doc = ld_client.get(url).json()
    expanded = jsonld_triples(doc)
    assert expanded == parse_body(
        ld_client.get(url, headers={"accept": "text/turtle"}).content, "text/turtle"
    )
    data = {t for t in expanded if t.subject != ox.NamedNode(doc["@id"])}
    assert data <= store_triples(ld_store)
    for member in doc["member"]:
        assert store_triples(ld_store, member["@id"]) <= data


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("/api/guidance", "at least one challenge"),
        ("/api/guidance?challenge=no-such-challenge", "not challenges of the graph"),
        ("/api/guidance?challenge=Bad Value", "challenge slug"),
        ("/api/guidance?challenge=defining-the-problem&chalenge=x", "unknown parameter"),
    ],
)
def test_guidance_api_rejects_bad_input(ld_client, url, fragment) -> None:
    r = ld_client.get(url)
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert fragment in r.json()["detail"]


def test_guidance_page_form_and_results(ld_client) -> None:
    form = ld_client.get("/guidance").text
    assert '<form method="get" action="/guidance"' in form
    assert "<legend>Organisational interoperability challenges</legend>" in form
    assert (
        '<input type="checkbox" name="challenge" id="c-defining-the-problem" value="defining-the-problem">'
        in form
    )
    assert '<label for="c-defining-the-problem">Defining the problem</label>' in form
    html = ld_client.get("/guidance?challenge=defining-the-problem").text
    assert 'value="defining-the-problem" checked' in html
    results = html[html.index('<ol class="ranked">') :]
    assert results.index("Co-creation workshops") < results.index("Political sponsorship")
    assert (
        'href="/id/recommendation/eif4scc-r1"' in results
        and 'href="/id/report/d06-02/section/3-1"' in results
    )
    bad = ld_client.get("/guidance?challenge=no-such-thing")
    assert bad.status_code == 400 and 'role="alert"' in bad.text


# --- on `iopgraph serve` with the shipped graph: what browsers and machines get (issue 10) ------------------

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory):  # yields an httpx client

    from support.server import serve

    folder = tmp_path_factory.mktemp("shipped-pages")
    env = {"IOPGRAPH_STORE_PATH": str(folder / "store"), "IOPGRAPH_BUILD_DIR": str(folder / "build")}
    with serve([], env, timeout=120) as base, http_client(base) as client:
        yield client


def test_a_missing_page_is_an_html_404_for_browsers_only(shipped) -> None:
    page = shipped.get("/no/such/page", headers={"Accept": BROWSER})
    assert page.status_code == 404 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Page not found</h1>" in page.text
    assert {"/", "/sparql", "/challenges"} <= _hrefs(page.text)
    assert shipped.get("/id/initiative/nowhere", headers={"Accept": BROWSER}).status_code == 404
    for accept in ("*/*", "application/json", "application/problem+json", None):
        machine = shipped.get("/no/such/page", headers={"Accept": accept} if accept else {})
        assert machine.status_code == 404 and machine.headers["content-type"] == "application/problem+json"
        assert machine.json()["status"] == 404


@pytest.mark.parametrize(
    ("path", "machine_type", "heading"),
    [
        ("/catalog", "application/ld+json", "Data catalogue"),
        ("/.well-known/void", "application/ld+json", "VoID description"),
        ("/ldes", "text/turtle; charset=utf-8", "LDES feed"),
        ("/ldes/fragment/0", "text/turtle; charset=utf-8", "LDES feed: fragment 0"),
    ],
)
def test_catalogue_and_feed_have_a_page_for_browsers(shipped, path, machine_type, heading) -> None:
    page = shipped.get(path, headers={"Accept": BROWSER})
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert f"<h1>{heading}</h1>" in page.text and "Vary" in page.headers
    assert "{" not in page.text.split("<main", 1)[1].split("</main>", 1)[0]  # a page, not JSON
    machine = shipped.get(path)  # */*: what harvesters got before, unchanged
    assert machine.status_code == 200 and machine.headers["content-type"] == machine_type
    assert shipped.get(path, params={"format": "html"}).headers["content-type"] == "text/html; charset=utf-8"


def test_favicon(shipped) -> None:
    icon = shipped.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\0\0\1\0"  # an ICO file
    assert '<link rel="icon" href="/favicon.ico"' in shipped.get("/", headers={"Accept": BROWSER}).text


def test_the_ontology_reads_as_documentation(shipped) -> None:
    html = shipped.get("/ontology", headers={"Accept": BROWSER}).text
    data_space = html.split('id="DataSpace"', 1)[1].split("</section>", 1)[0]
    assert "data space" in data_space and "shared digital infrastructure" in data_space
    assert 'Subclass of</dt><dd><a href="#Initiative">smart-city initiative</a>' in data_space
    assert 'Disjoint with</dt><dd><a href="#LocalDigitalTwin">' in data_space
    addresses = html.split('id="addresses"', 1)[1].split("</section>", 1)[0]
    assert "Domain</dt>" in addresses and "Range</dt>" in addresses and 'href="#Mitigation"' in addresses
    ontology = ox.Store()
    ontology.load(path=str(ROOT / "ontology" / "iop.ttl"), format=ox.RdfFormat.TURTLE)
    kinds = "owl:Class owl:ObjectProperty owl:DatatypeProperty"
    terms = {
        str(row["t"])
        for row in ontology.query(
            "PREFIX owl: <http://www.w3.org/2002/07/owl#> SELECT DISTINCT ?t WHERE { VALUES ?k { "
            + kinds
            + " } "
            "?t a ?k FILTER(isIRI(?t) && STRSTARTS(STR(?t), 'https://w3id.org/iopgraph/ontology#')) }"
        )
    }
    assert html.count('<section class="term"') == len(terms) > 0  # every class and property of iop.ttl
    assert 'id="diagram"' in html and "<script" not in html.replace(
        '<script type="application/ld+json">', ""
    ).replace(AUTOCOMPLETE, "")
    initiative = html.split('id="Initiative"', 1)[1].split("</section>", 1)[0]
    assert "Aligned with" in initiative or "Subclass of" in initiative
    assert "project" in initiative  # schema:Project, labelled from the vocabulary, not from its IRI


def test_guidance_lists_each_challenge_once_with_numbered_places(shipped) -> None:
    html = shipped.get(
        "/guidance",
        params=[("challenge", "vendor-lock-in"), ("challenge", "lack-of-trust")],
        headers={"Accept": BROWSER},
    ).text
    assert html.index('id="results"') < html.index('<form method="get" action="/guidance"')  # answer first
    items = html.split('<ol class="ranked">', 1)[1].split("<h2>", 1)[0].split("<h3>")[1:]
    assert items
    for item in items:
        why = re.sub(r"<[^>]+>", "", item.split('<p class="why">', 1)[1].split("</p>", 1)[0])
        reasons = [r.split(" (via", 1)[0].strip() for r in why.split(":", 1)[1].split(";")]
        assert len(reasons) == len(set(reasons)), why  # a challenge once
        boxes = re.findall(r">(box [^<]*)</a>", item)
        assert all(re.match(r"box \d+(\.\d+)* “", b) for b in boxes), (
            boxes
        )  # each box with its section number
        numbers = [int(n) for n in re.findall(r">EIF4SCC recommendation (\d+)</a>", item)]
        assert numbers == sorted(numbers)
    titles = re.findall(r">(box [^<]*)</a>", html)
    assert "box 3.3 “How can open source contribute to smart city initiatives?”" in titles
    assert "box 4.1 “How can open source contribute to smart city initiatives?”" in titles


def test_the_guide_is_a_page_of_the_site(shipped) -> None:
    validate = shipped.get("/validate", headers={"Accept": BROWSER}).text
    assert "/guides/add-an-initiative" in _hrefs(validate)
    assert "/validate" in _hrefs(shipped.get("/", headers={"Accept": BROWSER}).text)
    guide = shipped.get("/guides/add-an-initiative", headers={"Accept": BROWSER})
    assert guide.status_code == 200 and "<h1" in guide.text and "Adding an initiative" in guide.text
    assert "/guides/examples/new-initiative.ttl" in _hrefs(guide.text)
    example = shipped.get("/guides/examples/new-initiative.ttl")
    assert example.status_code == 200 and example.headers["content-type"].startswith("text/turtle")
    for bad in ("/guides/..%2Fpyproject", "/guides/examples/..%2F..%2Fpyproject.toml", "/guides/nope"):
        assert shipped.get(bad).status_code == 404


def test_numbers_and_labels_for_people(shipped) -> None:
    statistics = shipped.get("/statistics", headers={"Accept": BROWSER}).text
    assert "EUR 7.5 billion" in statistics and "e+09" not in statistics and " Count" not in statistics
    budget = shipped.get(
        "/id/statistic/digital-europe-programme-budget-2021-2027", headers={"Accept": BROWSER}
    ).text
    assert "7,500,000,000" in budget and "(decimal)" not in budget and "(langString)" not in budget
    ontology = shipped.get("/id/report/d06-02", headers={"Accept": BROWSER}).text
    assert "version i r i" not in ontology
    vito = shipped.get("/id/organisation/vito", headers={"Accept": BROWSER}).text
    assert re.search(r'Type:\s*<a href="http://www.w3.org/ns/org#Organization">organisation</a>', vito)


def test_search_by_label(shipped) -> None:
    page = shipped.get("/search", params={"q": "  TRUST  "}, headers={"Accept": BROWSER})
    assert page.status_code == 200
    assert '<a href="/concept/challenge/lack-of-trust">Lack of <mark>trust</mark></a>' in page.text
    assert (
        'action="/search"' in shipped.get("/no/such/page", headers={"Accept": BROWSER}).text
    )  # from the 404
    for hostile in ('"} } SELECT * { ?s ?p ?o', "\\", "x\ny", "😀", "}{"):
        answer = shipped.get("/search", params={"q": hostile}, headers={"Accept": BROWSER})
        assert answer.status_code == 200 and 'id="hits"' in answer.text, hostile
    for nothing in ("\\", "😀", "}{"):  # no word in them: nothing can match
        assert (
            "Nothing matches"
            in shipped.get("/search", params={"q": nothing}, headers={"Accept": BROWSER}).text
        )
    too_long = shipped.get("/search", params={"q": "a" * 201}, headers={"Accept": BROWSER})
    assert too_long.status_code == 400 and "at most 200 characters" in too_long.text
    assert shipped.get("/sparql", params={"query": "ASK {}"}).status_code == 200  # the server is up
