"""SPARQL 1.1 Update at /update (issue 5): token-gated, SHACL-gated, atomic, union default graph."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from iopgraph.app import create_app
from steward_support import AUTH, NEW_GRAPH, SPARQL_PREFIXES, dump, settings_for, triples_of

DATA_GRAPH = "https://w3id.org/iopgraph/graph/data/base"
UPDATE = {"Content-Type": "application/sparql-update", **AUTH}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(tmp_path))) as c:
        yield c


def store_of(client: TestClient) -> ox.Store:
    return client.app.state.store  # type: ignore[attr-defined,no-any-return]


def test_insert_data_into_a_graph(client: TestClient) -> None:
    text = SPARQL_PREFIXES + f"""INSERT DATA {{ GRAPH <{NEW_GRAPH}> {{
        id:p2 a ex:Project ; rdfs:label "Twin"@en ; ex:city id:ghent . }} }}"""
    r = client.post("/update", content=text, headers=UPDATE)
    assert r.status_code == 204, r.text
    assert "prov#has_provenance" in r.headers["link"]
    assert len(triples_of(store_of(client), NEW_GRAPH)) == 3


def test_form_encoded_update(client: TestClient) -> None:
    text = SPARQL_PREFIXES + 'INSERT DATA { id:p1 ex:altLabel "SDS"@en }'
    r = client.post("/update", data={"update": text}, headers=AUTH)
    assert r.status_code == 204, r.text
    assert ox.Quad(ox.NamedNode("http://example.org/id/p1"), ox.NamedNode("http://example.org/ns#altLabel"),
                   ox.Literal("SDS", language="en"), ox.DefaultGraph()) in set(store_of(client))


def test_delete_where_removes_from_every_graph(client: TestClient) -> None:
    """Outside GRAPH, the default graph is the union: the label goes from every graph that holds it."""
    copy = SPARQL_PREFIXES + f'INSERT DATA {{ GRAPH <{NEW_GRAPH}> {{ id:tag1 rdfs:label "tag"@en }} }}'
    assert client.post("/update", content=copy, headers=UPDATE).status_code == 204
    text = SPARQL_PREFIXES + 'DELETE { id:tag1 rdfs:label ?l } INSERT { id:tag1 rdfs:label "label"@en } ' \
        "WHERE { id:tag1 rdfs:label ?l }"
    r = client.post("/update", content=text, headers=UPDATE)
    assert r.status_code == 204, r.text
    labels = {q.object.value for q in store_of(client).quads_for_pattern(
        ox.NamedNode("http://example.org/id/tag1"), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), None)}
    assert labels == {"label"}


def test_removing_a_blank_node_keeps_the_rest_of_its_graph(client: TestClient) -> None:
    before = triples_of(store_of(client), DATA_GRAPH)
    text = SPARQL_PREFIXES + "DELETE WHERE { id:org1 ex:note ?n . ?n rdfs:label ?l }"
    r = client.post("/update", content=text, headers=UPDATE)
    assert r.status_code == 204, r.text
    after = triples_of(store_of(client), DATA_GRAPH)
    assert {t for t in before if "_:" not in t[0] + t[2]} == after


def test_an_update_breaking_a_link_is_rejected(client: TestClient) -> None:
    """Changing org1's place to a non-city breaks p1's sequence path (ex:lead/ex:basedIn) class constraint."""
    before = dump(store_of(client))
    text = SPARQL_PREFIXES + "DELETE { id:org1 ex:basedIn ?p } INSERT { id:org1 ex:basedIn id:flanders } " \
        "WHERE { id:org1 ex:basedIn ?p }"
    r = client.post("/update", content=text, headers=UPDATE)
    assert r.status_code == 422
    focus = {x["focus_node"] for x in r.json()["report"]["results"]}
    assert focus == {"http://example.org/id/p1"}
    assert dump(store_of(client)) == before


def test_multi_operation_update_is_all_or_nothing(client: TestClient) -> None:
    """The first operation is fine, the second breaks a shape: neither lands."""
    before = dump(store_of(client))
    text = SPARQL_PREFIXES + 'INSERT DATA { id:p1 ex:altLabel "ok"@en } ; DELETE WHERE { id:ghent a ?type }'
    assert client.post("/update", content=text, headers=UPDATE).status_code == 422
    assert dump(store_of(client)) == before


@pytest.mark.parametrize("text,status", [
    ("DELETE WHERE { ?s ?p ?o . SERVICE <http://example.org/sparql> { ?s ?p ?o } }", 400),
    ("DELETE { ?s ?p ?o } USING <http://example.org/g> WHERE { ?s ?p ?o }", 400),
    ("COPY DEFAULT TO <http://example.org/g>", 400),
    ("DELETE WHERE { GRAPH ?g { ?s ?p ?o } }", 400),
    (f"CREATE GRAPH <{DATA_GRAPH}>", 400),
])
def test_refused_updates(client: TestClient, text: str, status: int) -> None:
    before = dump(store_of(client))
    r = client.post("/update", content=text, headers=UPDATE)
    assert r.status_code == status, r.text
    assert dump(store_of(client)) == before


def test_get_is_not_allowed(client: TestClient) -> None:
    assert client.get("/update").status_code == 405
