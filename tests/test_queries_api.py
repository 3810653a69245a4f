"""The named-query API: queries/*.rq as typed GET endpoints, parameters bound as RDF terms."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from iopgraph.app import create_app
from iopgraph.query.errors import BadQueryParameter
from iopgraph.sparql.named import load_queries, load_query, parse_header
from support.paths import ROOT
from support.sparql import EX, FIXTURES, csv_rows, json_rows, settings_for, triples


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(tmp_path_factory.mktemp("named"), query_workers=1))) as c:
        yield c


# --- the header convention ------------------------------------------------------------------


def test_header_is_yaml_after_the_marker() -> None:
    header, body = parse_header("#+ summary: S\n#+ tags:\n#+   - a\n#+   - b\nSELECT * {}\n")
    assert header == {"summary": "S", "tags": ["a", "b"]}
    assert body == "SELECT * {}\n"


def test_prose_with_colons_is_read_leniently() -> None:
    header, _ = parse_header("#+ summary: One: two\n#+ description: Oxigraph's DESCRIBE: its triples\nASK {}")
    assert header == {"summary": "One: two", "description": "Oxigraph's DESCRIBE: its triples"}


def test_parameters_come_from_variables_and_params() -> None:
    queries = load_queries(FIXTURES / "queries")
    assert "broken" not in queries  # unreadable files are skipped, not fatal
    mitigations = queries["mitigations"]
    assert mitigations.summary == "Mitigations for a challenge"
    assert mitigations.tags == ("challenges",)
    [param] = mitigations.parameters
    assert (param.name, param.variable, param.type, param.required) == (
        "challenge",
        "_challenge_iri",
        "iri",
        True,
    )
    assert param.example == EX + "trust"
    [age] = queries["people"].parameters
    assert (age.name, age.type, age.required) == ("min_age", "integer", False)
    assert queries["labelled"].parameters[0].type == "string"
    assert queries["since"].parameters[0].type == "year"


@pytest.mark.parametrize(
    ("kind", "value", "term"),
    [
        ("iri", "http://example.org/x", ox.NamedNode("http://example.org/x")),
        ("string", "> } ; DROP ALL #", ox.Literal("> } ; DROP ALL #")),
        (
            "integer",
            "42",
            ox.Literal("42", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        ),
        (
            "decimal",
            "1e3",
            ox.Literal("1000", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")),
        ),
        (
            "boolean",
            "TRUE",
            ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")),
        ),
        ("year", "2021", ox.Literal("2021", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear"))),
        (
            "date",
            "2023-04-21",
            ox.Literal("2023-04-21", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")),
        ),
    ],
)
def test_values_become_typed_terms(kind: str, value: str, term: ox.NamedNode | ox.Literal) -> None:
    from iopgraph.sparql.named import Parameter

    assert Parameter("p", "_p", kind).to_term(value) == term


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("iri", "not an iri"),
        ("iri", "http://x/> } DROP ALL"),
        ("integer", "4.5"),
        ("decimal", "NaN"),
        ("boolean", "maybe"),
        ("year", "21"),
        ("date", "2023-13-01"),
    ],
)
def test_bad_values_are_refused(kind: str, value: str) -> None:
    from iopgraph.sparql.named import Parameter

    with pytest.raises(BadQueryParameter):
        Parameter("p", "_p", kind).to_term(value)


# --- the API ---------------------------------------------------------------------------------------


def test_listing(client: TestClient) -> None:
    r = client.get("/api/queries")
    assert r.status_code == 200
    listed = {q["name"]: q for q in r.json()["queries"]}
    assert set(listed) == {"mitigations", "labelled", "people", "since", "concept-graph"}
    assert listed["mitigations"]["parameters"] == [
        {
            "name": "challenge",
            "type": "iri",
            "required": True,
            "description": "IRI of a challenge concept",
            "example": EX + "trust",
            "default": None,
        }
    ]
    assert listed["people"]["paginated"] is True and listed["concept-graph"]["form"] == "CONSTRUCT"


def test_run_with_an_iri_parameter(client: TestClient) -> None:
    r = client.get("/api/queries/mitigations", params={"challenge": EX + "trust"})
    assert r.status_code == 200
    assert json_rows(r.content) == [{"mitigation": EX + "sharing", "label": "Data sharing agreement"}]
    other = client.get(
        "/api/queries/mitigations", params={"challenge": EX + "skills"}, headers={"Accept": "text/csv"}
    )
    assert csv_rows(other.text) == [{"mitigation": EX + "training", "label": "Training programme"}]


def test_injection_attempt_is_just_a_value(client: TestClient) -> None:
    evil = '"> } ; DROP ALL #'
    r = client.get("/api/queries/labelled", params={"label": evil})
    assert r.status_code == 200 and json_rows(r.content) == []
    alice = client.get("/api/queries/labelled", params={"label": "Alice"})
    assert json_rows(alice.content) == [{"thing": EX + "alice"}]
    evil_iri = client.get("/api/queries/mitigations", params={"challenge": "http://x/> } ; DROP ALL #"})
    assert evil_iri.status_code == 400 and evil_iri.json()["code"] == "invalid-parameter"
    # The graph is untouched.
    assert json_rows(client.get("/api/queries/labelled", params={"label": "Alice"}).content) == [
        {"thing": EX + "alice"}
    ]


def test_missing_and_badly_typed_parameters_give_400(client: TestClient) -> None:
    missing = client.get("/api/queries/mitigations")
    assert missing.status_code == 400 and missing.json()["code"] == "invalid-parameter"
    assert "challenge" in missing.json()["detail"] and "required" in missing.json()["detail"]
    bad = client.get("/api/queries/people", params={"min_age": "old"})
    assert bad.status_code == 400 and "integer" in bad.json()["detail"]
    assert client.get("/api/queries/since", params={"year": "twenty"}).status_code == 400


def test_optional_and_typed_parameters(client: TestClient) -> None:
    everyone = client.get("/api/queries/people", params={"per_page": 10})
    assert [r["person"] for r in json_rows(everyone.content)] == [EX + "alice", EX + "bob", EX + "carol"]
    older = client.get("/api/queries/people", params={"min_age": "30", "per_page": 10})
    assert [r["person"] for r in json_rows(older.content)] == [EX + "alice", EX + "carol"]
    since = client.get("/api/queries/since", params={"year": "2020"})
    assert json_rows(since.content) == [{"m": EX + "sharing"}]


def test_pagination_with_link_headers(client: TestClient) -> None:
    first = client.get("/api/queries/people")  # pagination: 2 in the header
    assert [r["person"] for r in json_rows(first.content)] == [EX + "alice", EX + "bob"]
    links = first.headers["link"]
    assert 'rel="next"' in links and 'rel="prev"' not in links and "page=2" in links
    second = client.get("/api/queries/people", params={"page": 2})
    assert [r["person"] for r in json_rows(second.content)] == [EX + "carol"]
    assert 'rel="next"' not in second.headers["link"] and 'rel="prev"' in second.headers["link"]
    assert client.get("/api/queries/people", params={"page": 0}).status_code == 400


def test_construct_query_as_json_ld_and_turtle(client: TestClient) -> None:
    from pyld import jsonld

    r = client.get(
        "/api/queries/concept-graph",
        params={"concept": EX + "trust-data"},
        headers={"Accept": "application/ld+json"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    nquads = jsonld.to_rdf(json.loads(r.content), {"format": "application/n-quads"})
    assert (
        f"<{EX}trust-data-quality> <http://www.w3.org/2004/02/skos/core#broader> <{EX}trust-data> ." in nquads
    )
    ttl = client.get("/api/queries/concept-graph", params={"concept": EX + "trust-data", "format": "ttl"})
    assert triples(ttl.content, "text/turtle") == triples(r.content, "application/ld+json")


def test_query_text_is_available(client: TestClient) -> None:
    r = client.get("/api/queries/mitigations", params={"format": "sparql"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/sparql-query")
    assert "?_challenge_iri" in r.text


def test_unknown_query_is_404(client: TestClient) -> None:
    assert client.get("/api/queries/nope").status_code == 404
    assert client.get("/api/queries/..%2Fsecret").status_code == 404


def test_openapi_documents_each_query(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/queries/mitigations"]["get"]
    assert operation["summary"] == "Mitigations for a challenge"
    [param] = [p for p in operation["parameters"] if p["name"] == "challenge"]
    assert param["required"] is True and param["example"] == EX + "trust"
    assert param["description"] == "IRI of a challenge concept"


# --- every shipped query --------------------------------------------------------------------------


SHIPPED = sorted((ROOT / "queries").glob("*.rq"))


@pytest.fixture(scope="module")
def shipped_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from iopgraph.core.settings import Settings

    folder = tmp_path_factory.mktemp("shipped")
    settings = Settings(root=ROOT, store_path=folder / "store", query_workers=1)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_query_runs_with_its_examples(shipped_client: TestClient, path: Path) -> None:
    query = load_query(path)
    assert query.summary and query.description, "every shipped query says what it answers"
    params = {p.name: p.example for p in query.parameters if p.example is not None}
    missing = [p.name for p in query.parameters if p.required and p.example is None]
    assert not missing, f"required parameters without an example: {missing}"
    r = shipped_client.get(f"/api/queries/{query.name}", params=params)
    assert r.status_code == 200, r.text
