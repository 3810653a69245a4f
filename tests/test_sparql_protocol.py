"""SPARQL 1.1 Protocol conformance of /sparql, over a small fixture graph served as `iopgraph serve FILE`."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from iopgraph.app import create_app
from support.sparql import EX, csv_rows, json_rows, settings_for, triples

SELECT_PEOPLE = f"SELECT ?p ?age WHERE {{ ?p a <{EX}Person> ; <{EX}age> ?age }} ORDER BY ?p"
CONSTRUCT_KNOWS = f"CONSTRUCT {{ ?a <{EX}knows> ?b }} WHERE {{ ?a <{EX}knows> ?b }}"
KNOWS = ox.Triple(ox.NamedNode(EX + "alice"), ox.NamedNode(EX + "knows"), ox.NamedNode(EX + "bob"))
SRX = "{http://www.w3.org/2005/sparql-results#}"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = settings_for(tmp_path_factory.mktemp("protocol"), max_results=5)
    with TestClient(create_app(settings)) as c:
        yield c


def people(rows: list[dict[str, str]]) -> list[str]:
    return [r["p"].removeprefix(EX) for r in rows]


# --- the three query operations -------------------------------------------------------------


def test_get_with_query_parameter(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": SELECT_PEOPLE})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/sparql-results+json; charset=utf-8"
    assert people(json_rows(r.content)) == ["alice", "bob", "carol"]


def test_post_form_encoded(client: TestClient) -> None:
    r = client.post("/sparql", data={"query": SELECT_PEOPLE})
    assert r.status_code == 200
    assert people(json_rows(r.content)) == ["alice", "bob", "carol"]


def test_post_sparql_query_body(client: TestClient) -> None:
    r = client.post(
        "/sparql",
        content=SELECT_PEOPLE.encode(),
        headers={"Content-Type": "application/sparql-query; charset=utf-8"},
    )
    assert r.status_code == 200
    assert people(json_rows(r.content)) == ["alice", "bob", "carol"]


def test_head_has_headers_and_no_body(client: TestClient) -> None:
    r = client.head("/sparql", params={"query": SELECT_PEOPLE})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/sparql-results+json")
    assert r.content == b""


def test_unknown_parameters_are_ignored(client: TestClient) -> None:
    r = client.get(
        "/sparql", params={"query": SELECT_PEOPLE, "timeout": "0", "debug": "on", "results": "json"}
    )
    assert r.status_code == 200
    assert len(json_rows(r.content)) == 3


# --- query forms and result formats -----------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv;q=0.5, text/tab-separated-values;q=0.9", "text/tab-separated-values"),
        ("text/html;q=1, application/sparql-results+xml;q=0.2", "application/sparql-results+xml"),
        ("*/*", "application/sparql-results+json"),
        (None, "application/sparql-results+json"),
    ],
)
def test_select_formats_by_accept(client: TestClient, accept: str | None, content_type: str) -> None:
    headers = {"Accept": accept} if accept else {}
    r = client.get("/sparql", params={"query": SELECT_PEOPLE}, headers=headers)
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == content_type
    assert r.headers["vary"] == "Accept"
    if content_type == "text/csv":  # lossy: Oxigraph does not parse it back
        assert [row["p"].removeprefix(EX) for row in csv_rows(r.text)] == ["alice", "bob", "carol"]
        return
    parsed = ox.parse_query_results(r.content, ox.QueryResultsFormat.from_media_type(content_type))
    assert isinstance(parsed, ox.QuerySolutions)
    assert [s["p"].value.removeprefix(EX) for s in parsed] == ["alice", "bob", "carol"]


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("json", "application/sparql-results+json"),
        ("xml", "application/sparql-results+xml"),
        ("csv", "text/csv"),
        ("tsv", "text/tab-separated-values"),
        ("text/csv", "text/csv"),
    ],
)
def test_select_format_parameter_wins_over_accept(client: TestClient, fmt: str, content_type: str) -> None:
    r = client.get(
        "/sparql", params={"query": SELECT_PEOPLE, "format": fmt}, headers={"Accept": "application/json"}
    )
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == content_type


def test_csv_quotes_and_newlines_survive(client: TestClient) -> None:
    query = f"SELECT ?l WHERE {{ <{EX}carol> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}"
    r = client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
    assert csv_rows(r.text) == [{"l": 'Carol "the quoted"\nsecond line'}]


@pytest.mark.parametrize(
    "accept",
    [
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ],
)
def test_ask(client: TestClient, accept: str) -> None:
    yes = client.get(
        "/sparql",
        params={"query": f"ASK {{ <{EX}alice> <{EX}knows> <{EX}bob> }}"},
        headers={"Accept": accept},
    )
    no = client.get(
        "/sparql",
        params={"query": f"ASK {{ <{EX}bob> <{EX}knows> <{EX}alice> }}"},
        headers={"Accept": accept},
    )
    assert yes.status_code == no.status_code == 200
    assert yes.headers["content-type"].startswith(accept)
    if accept.endswith("json"):
        assert json.loads(yes.content)["boolean"] is True and json.loads(no.content)["boolean"] is False
    elif accept.endswith("xml"):
        assert ET.fromstring(yes.content).find(f"{SRX}boolean").text == "true"  # type: ignore[union-attr]
    else:
        assert yes.text.strip().endswith("true") and no.text.strip().endswith("false")


@pytest.mark.parametrize(
    "media_type",
    [
        "text/turtle",
        "application/n-triples",
        "application/ld+json",
        "application/rdf+xml",
        "application/n-quads",
        "application/trig",
    ],
)
def test_construct_formats(client: TestClient, media_type: str) -> None:
    r = client.get("/sparql", params={"query": CONSTRUCT_KNOWS}, headers={"Accept": media_type})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media_type
    assert triples(r.content, media_type) == {KNOWS}


def test_construct_json_ld_is_read_by_an_independent_processor(client: TestClient) -> None:
    from pyld import jsonld

    r = client.get("/sparql", params={"query": CONSTRUCT_KNOWS, "format": "json"})
    assert r.headers["content-type"].startswith("application/ld+json")
    nquads = jsonld.to_rdf(json.loads(r.content), {"format": "application/n-quads"})
    assert nquads.strip() == f"<{EX}alice> <{EX}knows> <{EX}bob> ."


def test_describe(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": f"DESCRIBE <{EX}alice>"}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    found = triples(r.content, "text/turtle")
    assert KNOWS in found
    assert all(t.subject == ox.NamedNode(EX + "alice") for t in found)


def test_construct_default_is_turtle(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": CONSTRUCT_KNOWS}, headers={"Accept": "*/*"})
    assert r.headers["content-type"].startswith("text/turtle")


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        (SELECT_PEOPLE, "text/turtle"),
        (CONSTRUCT_KNOWS, "text/csv"),
        (SELECT_PEOPLE, "image/png"),
    ],
)
def test_406_when_the_form_cannot_be_served_so(client: TestClient, query: str, accept: str) -> None:
    r = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert r.status_code == 406
    assert r.headers["content-type"] == "application/problem+json"
    assert "available" in r.json()["detail"]


def test_406_for_an_unknown_format_parameter(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": SELECT_PEOPLE, "format": "pdf"})
    assert r.status_code == 406


# --- dataset --------------------------------------------------------------------------------


def test_default_graph_is_the_union_of_all_graphs(client: TestClient) -> None:
    query = "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"
    assert json_rows(client.get("/sparql", params={"query": query}).content) == [{"n": "9"}]


def test_default_graph_uri_selects_graphs(client: TestClient) -> None:
    query = "SELECT DISTINCT ?s WHERE { ?s a ?type } ORDER BY ?s"
    r = client.get("/sparql", params={"query": query, "default-graph-uri": EX + "concepts"})
    assert [row["s"] for row in json_rows(r.content)] == [
        EX + x for x in ("skills", "trust", "trust-data", "trust-data-quality")
    ]


def test_named_graph_uri_limits_graph_patterns(client: TestClient) -> None:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    r = client.get("/sparql", params={"query": query, "named-graph-uri": EX + "people"})
    assert json_rows(r.content) == [{"g": EX + "people"}]


def test_from_clause_is_a_graph_of_the_store_and_never_fetched(client: TestClient) -> None:
    query = f"SELECT (COUNT(*) AS ?n) FROM <{EX}people> WHERE {{ ?s a <{EX}Person> }}"
    assert json_rows(client.get("/sparql", params={"query": query}).content) == [{"n": "3"}]
    remote = "SELECT (COUNT(*) AS ?n) FROM <http://127.0.0.1:9/remote.ttl> WHERE { ?s ?p ?o }"
    r = client.get("/sparql", params={"query": remote})
    assert r.status_code == 200 and json_rows(r.content) == [{"n": "0"}]


def test_graph_uri_parameters_in_a_form_post(client: TestClient) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?type }"
    r = client.post("/sparql", data={"query": query, "default-graph-uri": EX + "people"})
    assert json_rows(r.content) == [{"n": "3"}]


# --- errors ---------------------------------------------------------------------------------


def test_malformed_query_gives_400_with_position(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "sparql-syntax-error"
    assert "line 1, column 25" in body["detail"]  # line and column from the parser, in words


def test_two_query_parameters_give_400(client: TestClient) -> None:
    r = client.get("/sparql?query=ASK%7B%7D&query=ASK%7B%7D")
    assert r.status_code == 400
    assert "2 'query' parameters" in r.json()["detail"]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json"])
def test_post_with_wrong_or_missing_media_type_gives_415(
    client: TestClient, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    r = client.post("/sparql", content=b"ASK {}", headers=headers)
    assert r.status_code == 415
    assert "application/sparql-query" in r.json()["detail"]


def test_post_without_query_gives_400(client: TestClient) -> None:
    r = client.post("/sparql", data={"default-graph-uri": EX + "people"})
    assert r.status_code == 400


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_give_405_with_allow(client: TestClient, method: str) -> None:
    r = client.request(method, "/sparql", content=b"ASK {}")
    assert r.status_code == 405
    assert "POST" in r.headers["allow"]


def test_non_utf8_body_gives_400(client: TestClient) -> None:
    r = client.post(
        "/sparql", content=b'ASK { ?s ?p "\xff\xfe" }', headers={"Content-Type": "application/sparql-query"}
    )
    assert r.status_code == 400
    assert "UTF-8" in r.json()["detail"]


def test_non_utf8_form_field_gives_400(client: TestClient) -> None:
    r = client.post(
        "/sparql",
        content=b"query=ASK%7B%7D%FF",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 400


def test_oversized_body_gives_413(tmp_path_factory: pytest.TempPathFactory) -> None:
    settings = settings_for(tmp_path_factory.mktemp("small"), max_query_bytes=200, query_workers=1)
    with TestClient(create_app(settings)) as c:
        big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 300
        assert (
            c.post("/sparql", content=big, headers={"Content-Type": "application/sparql-query"}).status_code
            == 413
        )
        assert c.post("/sparql", data={"query": big}).status_code == 413
        r = c.get("/sparql", params={"query": big})
        assert r.status_code == 413 and "IOPGRAPH_MAX_QUERY_BYTES" in r.json()["detail"]
        assert c.get("/sparql", params={"query": "ASK {}"}).status_code == 200


# --- read-only and federation -----------------------------------------------------------------


@pytest.mark.parametrize(
    "update",
    [
        f"INSERT DATA {{ <{EX}x> <{EX}y> <{EX}z> }}",
        "DROP ALL",
        "LOAD <http://127.0.0.1:9/data.ttl>",
        f"PREFIX ex: <{EX}> DELETE WHERE {{ ?s ?p ?o }}",
        "SELECT * WHERE { ?s ?p ?o } ; DROP ALL",
    ],
)
def test_updates_are_refused_and_change_nothing(client: TestClient, update: str) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    before = json_rows(client.get("/sparql", params={"query": count}).content)
    for r in (
        client.get("/sparql", params={"query": update}),
        client.post("/sparql", data={"update": update}),
        client.post("/sparql", content=update, headers={"Content-Type": "application/sparql-update"}),
        client.post("/sparql", content=update, headers={"Content-Type": "application/sparql-query"}),
    ):
        assert r.status_code == 403 and r.json()["code"] == "update-refused", r.text
        assert r.headers["content-type"] == "application/problem+json"
    refused = client.post("/sparql", data={"update": update})
    assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
    assert json_rows(client.get("/sparql", params={"query": count}).content) == before


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE SILENT <https://query.wikidata.org/sparql> { ?s ?p ?o } }",
        "PREFIX w: <https://query.wikidata.org/> SELECT * WHERE { service w:sparql { ?s ?p ?o } }",
        "SELECT * WHERE { VALUES ?e { <http://127.0.0.1:1/> } SERVICE ?e { ?s ?p ?o } }",
    ],
)
def test_service_is_refused_unless_allow_listed(client: TestClient, query: str) -> None:
    r = client.get("/sparql", params={"query": query})
    assert r.status_code == 403
    assert r.json()["code"] == "service-not-allowed"


def test_service_keyword_inside_strings_or_comments_is_not_a_call(client: TestClient) -> None:
    query = '# SERVICE <http://evil.example/>\nSELECT ("SERVICE <http://evil.example/>" AS ?x) WHERE {}'
    r = client.get("/sparql", params={"query": query})
    assert r.status_code == 200
    assert json_rows(r.content) == [{"x": "SERVICE <http://evil.example/>"}]


def test_allow_listed_service_host_is_called(tmp_path_factory: pytest.TempPathFactory) -> None:
    settings = settings_for(tmp_path_factory.mktemp("fed"), service_allowlist=["127.0.0.1"], query_workers=1)
    with TestClient(create_app(settings)) as c:
        # Port 1 is refused by the engine's HTTP client: SILENT turns the failed call into no solutions.
        r = c.get(
            "/sparql",
            params={"query": "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:1/s> { ?s ?p ?o } }"},
        )
        assert r.status_code == 200
        loud = c.get(
            "/sparql", params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:1/s> { ?s ?p ?o } }"}
        )
        assert loud.status_code == 502 and loud.json()["code"] == "service-unreachable"
        assert "could not be reached" in loud.json()["detail"]
        other = c.get(
            "/sparql", params={"query": "SELECT * WHERE { SERVICE <http://example.net/s> { ?s ?p ?o } }"}
        )
        assert other.status_code == 403


# --- limits, caching, CORS ------------------------------------------------------------------------


def test_results_over_the_cap_are_cut_and_flagged(client: TestClient) -> None:
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
    for accept, count in [
        ("application/sparql-results+json", lambda b: len(json_rows(b))),
        ("text/csv", lambda b: len(csv_rows(b.decode()))),
        ("text/tab-separated-values", lambda b: len(b.decode().splitlines()) - 1),
        (
            "application/sparql-results+xml",
            lambda b: len(ET.fromstring(b).findall(f"{SRX}results/{SRX}result")),
        ),
    ]:
        r = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
        assert r.status_code == 200
        assert count(r.content) == 5, accept
        assert r.headers["x-sparql-maxrows"] == "5"
        assert r.headers["iopgraph-truncated"].startswith("true")
    small = client.get("/sparql", params={"query": SELECT_PEOPLE})
    assert "x-sparql-maxrows" not in small.headers and small.headers["iopgraph-result-count"] == "3"


def test_construct_over_the_cap_is_cut(client: TestClient) -> None:
    r = client.get(
        "/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "text/turtle"}
    )
    assert len(triples(r.content, "text/turtle")) == 5
    assert r.headers["x-sparql-maxrows"] == "5"


def test_etag_and_conditional_get(client: TestClient) -> None:
    first = client.get("/sparql", params={"query": SELECT_PEOPLE})
    etag = first.headers["etag"]
    again = client.get("/sparql", params={"query": SELECT_PEOPLE}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other_format = client.get(
        "/sparql", params={"query": SELECT_PEOPLE}, headers={"If-None-Match": etag, "Accept": "text/csv"}
    )
    assert other_format.status_code == 200 and other_format.headers["etag"] != etag


def test_cors_open_for_reads_only(client: TestClient) -> None:
    origin = {"Origin": "https://elsewhere.example"}
    got = client.get("/sparql", params={"query": SELECT_PEOPLE}, headers=origin)
    assert got.headers["access-control-allow-origin"] == "*"
    assert "ETag" in got.headers["access-control-expose-headers"]
    posted = client.post("/sparql", data={"query": SELECT_PEOPLE}, headers=origin)
    assert posted.headers["access-control-allow-origin"] == "*"
    preflight = client.options(
        "/sparql",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["access-control-allow-methods"]
    write_preflight = client.options("/store", headers={**origin, "Access-Control-Request-Method": "PUT"})
    assert "access-control-allow-origin" not in write_preflight.headers
    assert write_preflight.status_code == 403 and write_preflight.json()["code"] == "cross-origin-refused"
    put = client.put("/sparql", content=b"x", headers=origin)
    assert "access-control-allow-origin" not in put.headers


# --- service description and editor -------------------------------------------------------------


def test_service_description_for_machines(client: TestClient) -> None:
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    found = triples(r.content, "text/turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    endpoint = ox.NamedNode("http://testserver/sparql")
    assert ox.Triple(endpoint, ox.NamedNode(sd + "endpoint"), endpoint) in found
    assert ox.Triple(endpoint, ox.NamedNode(sd + "feature"), ox.NamedNode(sd + "UnionDefaultGraph")) in found
    names = {t.object for t in found if t.predicate == ox.NamedNode(sd + "name")}
    assert names == {ox.NamedNode(EX + "people"), ox.NamedNode(EX + "concepts")}
    as_jsonld = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert triples(as_jsonld.content, "application/ld+json") == found or len(
        triples(as_jsonld.content, "application/ld+json")
    ) == len(found)


def test_editor_for_browsers(client: TestClient) -> None:
    r = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    from iopgraph.views.sparql_editor import yasgui_installed

    with_yasgui = yasgui_installed(client.app.state.context.settings)  # type: ignore[attr-defined]
    assert ("/sparql/assets/yasgui.min.js" in r.text) is with_yasgui  # else the built-in editor
    assert ('id="builtin-editor"' in r.text) is not with_yasgui
    assert "Mitigations for a challenge" in r.text  # a fixture named query offered as an example
    assert (
        "PREFIX iop: \\u003chttps://w3id.org/iopgraph/ontology#\\u003e" in r.text or "PREFIX iop:" in r.text
    )


def test_deep_nesting_is_refused_before_the_engine(client: TestClient) -> None:
    deep = "SELECT * WHERE " + "{ " * 400 + "?s ?p ?o " + "} " * 400
    r = client.post("/sparql", content=deep, headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 400 and "400 levels" in r.json()["detail"]
    fine = "SELECT * WHERE " + "{ " * 20 + "?s ?p ?o " + "} " * 20 + "LIMIT 1"
    assert (
        client.post("/sparql", content=fine, headers={"Content-Type": "application/sparql-query"}).status_code
        == 200
    )
