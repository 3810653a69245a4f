"""SPARQL 1.1 Update at /update (issues 5, 11): token-gated, SHACL-gated, atomic; default graph and protected graphs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from iopgraph.app import create_app
from support.steward import AUTH, NEW_GRAPH, SPARQL_PREFIXES, dump, settings_for, triples_of

DATA_GRAPH = "https://w3id.org/iopgraph/graph/data/base"
UPDATE = {"Content-Type": "application/sparql-update", **AUTH}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(tmp_path))) as c:
        yield c


def store_of(client: TestClient) -> ox.Store:
    return client.app.state.context.backend.store  # type: ignore[attr-defined,no-any-return]


def test_insert_data_into_a_graph(client: TestClient) -> None:
    text = (
        SPARQL_PREFIXES
        + f"""INSERT DATA {{ GRAPH <{NEW_GRAPH}> {{
        id:p2 a ex:Project ; rdfs:label "Twin"@en ; ex:city id:ghent . }} }}"""
    )
    r = client.post("/update", content=text, headers=UPDATE)
    assert r.status_code == 204, r.text
    assert "prov#has_provenance" in r.headers["link"]
    assert len(triples_of(store_of(client), NEW_GRAPH)) == 3


def test_form_encoded_update(client: TestClient) -> None:
    text = SPARQL_PREFIXES + 'INSERT DATA { id:p1 ex:altLabel "SDS"@en }'
    r = client.post("/update", data={"update": text}, headers=AUTH)
    assert r.status_code == 204, r.text
    assert ox.Quad(
        ox.NamedNode("http://example.org/id/p1"),
        ox.NamedNode("http://example.org/ns#altLabel"),
        ox.Literal("SDS", language="en"),
        ox.DefaultGraph(),
    ) in set(store_of(client))


PLACES = "http://example.org/graph/places"
STEWARD_DATA = (
    SPARQL_PREFIXES
    + f"""INSERT DATA {{
    GRAPH <{PLACES}> {{ id:bruges a ex:City ; rdfs:label "Bruges"@en .
        id:org2 a ex:Organisation ; rdfs:label "Bruges lab"@en ; ex:basedIn id:bruges ;
            ex:note [ rdfs:label "a blank node"@en ] . }}
    GRAPH <{NEW_GRAPH}> {{ id:p2 a ex:Project ; rdfs:label "Twin"@en ; dcterms:description "A twin."@en ;
        ex:city id:bruges ; ex:lead id:org2 . }} }}"""
)


def with_steward_data(client: TestClient) -> None:
    r = client.post("/update", content=STEWARD_DATA, headers=UPDATE)
    assert r.status_code == 204, r.text


def quads(client: TestClient, graph: ox.NamedNode | ox.DefaultGraph) -> set[ox.Quad]:
    return set(store_of(client).quads_for_pattern(None, None, None, graph))


def test_the_default_graph_written_is_the_stores_own(client: TestClient) -> None:
    """Outside GRAPH, templates and CLEAR DEFAULT address the store's own default graph, never a named graph."""
    label = 'id:tag9 rdfs:label "tag"@en'
    both = SPARQL_PREFIXES + f"INSERT DATA {{ {label} GRAPH <{NEW_GRAPH}> {{ {label} }} }}"
    assert client.post("/update", content=both, headers=UPDATE).status_code == 204
    assert len(quads(client, ox.DefaultGraph())) == 1 and len(quads(client, ox.NamedNode(NEW_GRAPH))) == 1
    # The WHERE clause reads the union; the deletion removes from the default graph only.
    r = client.post(
        "/update", content=SPARQL_PREFIXES + "DELETE WHERE { id:tag9 rdfs:label ?l }", headers=UPDATE
    )
    assert r.status_code == 204, r.text
    assert quads(client, ox.DefaultGraph()) == set() and len(quads(client, ox.NamedNode(NEW_GRAPH))) == 1
    assert (
        client.post(
            "/update", content=SPARQL_PREFIXES + f"INSERT DATA {{ {label} }}", headers=UPDATE
        ).status_code
        == 204
    )
    assert client.post("/update", content="CLEAR DEFAULT", headers=UPDATE).status_code == 204
    assert quads(client, ox.DefaultGraph()) == set() and len(quads(client, ox.NamedNode(NEW_GRAPH))) == 1
    r = client.post("/update", content=SPARQL_PREFIXES + f"DELETE DATA {{ {label} }}", headers=UPDATE)
    assert r.status_code == 204 and len(quads(client, ox.NamedNode(NEW_GRAPH))) == 1


def test_removing_a_blank_node_keeps_the_rest_of_its_graph(client: TestClient) -> None:
    with_steward_data(client)
    before = triples_of(store_of(client), PLACES)
    text = (
        SPARQL_PREFIXES + f"DELETE WHERE {{ GRAPH <{PLACES}> {{ id:org2 ex:note ?n . ?n rdfs:label ?l }} }}"
    )
    r = client.post("/update", content=text, headers=UPDATE)
    assert r.status_code == 204, r.text
    after = triples_of(store_of(client), PLACES)
    assert {t for t in before if "_:" not in t[0] + t[2]} == after


def test_an_update_breaking_a_link_is_rejected(client: TestClient) -> None:
    """Moving org2 to a non-city breaks p2's sequence path (ex:lead/ex:basedIn) class constraint."""
    with_steward_data(client)
    before = dump(store_of(client))
    text = (
        SPARQL_PREFIXES
        + f"""WITH <{PLACES}> DELETE {{ id:org2 ex:basedIn ?p }} INSERT {{ id:org2 ex:basedIn id:flanders }}
        WHERE {{ id:org2 ex:basedIn ?p }}"""
    )
    r = client.post("/update", content=text, headers=UPDATE)
    assert r.status_code == 422
    focus = {x["focus_node"] for x in r.json()["report"]["results"]}
    assert focus == {"http://example.org/id/p2"}
    assert dump(store_of(client)) == before


def test_multi_operation_update_is_all_or_nothing(client: TestClient) -> None:
    """The first operation is fine, the second breaks a shape: neither lands."""
    before = dump(store_of(client))
    text = (
        SPARQL_PREFIXES
        + f"""INSERT DATA {{ id:p1 ex:altLabel "ok"@en }} ;
        INSERT DATA {{ GRAPH <{NEW_GRAPH}> {{ id:p3 a ex:Project ; rdfs:label "Bad"@en ; ex:city id:org1 }} }}"""
    )
    assert client.post("/update", content=text, headers=UPDATE).status_code == 422
    assert dump(store_of(client)) == before


@pytest.mark.parametrize(
    "text",
    [
        "CLEAR ALL",
        "DROP ALL",
        "CLEAR NAMED",
        "DROP NAMED",
        "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }",
        "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }",
    ],
)
def test_bulk_deletes_act_on_steward_graphs_only(client: TestClient, text: str) -> None:
    """ALL, NAMED and GRAPH ?g empty the steward graphs and leave the shipped and provenance graphs untouched."""
    with_steward_data(client)
    protected = {q for q in store_of(client) if "example.org/graph/" not in str(q.graph_name)}
    r = client.post("/update", content=text, headers=UPDATE)
    assert r.status_code == 204, r.text
    kept = {q for q in store_of(client) if "/graph/provenance" not in str(q.graph_name)}
    assert kept == {q for q in protected if "/graph/provenance" not in str(q.graph_name)}
    assert triples_of(store_of(client), PLACES) == set() and triples_of(store_of(client), NEW_GRAPH) == set()


def test_clear_all_on_a_fresh_store_changes_nothing(client: TestClient) -> None:
    before = dump(store_of(client))
    r = client.post("/update", content="CLEAR ALL", headers=UPDATE)
    assert r.status_code == 204, r.text
    assert "link" not in r.headers  # nothing changed, nothing recorded
    assert dump(store_of(client)) == before


@pytest.mark.parametrize(
    "text",
    [
        f"INSERT DATA {{ GRAPH <{DATA_GRAPH}> {{ <http://example.org/a> <http://example.org/b> 1 }} }}",
        f"DELETE DATA {{ GRAPH <{DATA_GRAPH}> {{ <http://example.org/id/ghent> a <http://example.org/ns#City> }} }}",
        f"CLEAR GRAPH <{DATA_GRAPH}>",
        "DROP GRAPH <https://w3id.org/iopgraph/graph/ontology/mini>",
        f"CREATE GRAPH <{DATA_GRAPH}>",
        f"WITH <{DATA_GRAPH}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
        f"COPY <{NEW_GRAPH}> TO <{DATA_GRAPH}>",
        f"MOVE <{DATA_GRAPH}> TO <{NEW_GRAPH}>",
        "INSERT { GRAPH ?g { <http://example.org/a> <http://example.org/b> 1 } } WHERE { GRAPH ?g { ?s ?p ?o } }",
        "INSERT DATA { GRAPH <https://w3id.org/iopgraph/graph/provenance> { <http://example.org/a> <http://example.org/b> 1 } }",
    ],
)
def test_writes_naming_a_protected_graph_are_refused(client: TestClient, text: str) -> None:
    before = dump(store_of(client))
    r = client.post("/update", content=text, headers=UPDATE)
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "protected-graph"
    assert "iopgraph build" in r.json()["detail"] or "kept by the service" in r.json()["detail"]
    assert dump(store_of(client)) == before


def test_using_graph_uri_sets_the_where_dataset(client: TestClient) -> None:
    """Only the graph named by using-graph-uri is the WHERE clause's default graph (SPARQL 1.1 Protocol §2.2.3)."""
    with_steward_data(client)
    text = (
        SPARQL_PREFIXES
        + f"INSERT {{ GRAPH <{NEW_GRAPH}> {{ ?s ex:seen true }} }} WHERE {{ ?s rdfs:label ?l FILTER(isIRI(?s)) }}"
    )
    r = client.post("/update", params={"using-graph-uri": PLACES}, content=text, headers=UPDATE)
    assert r.status_code == 204, r.text
    seen = {t[0] for t in triples_of(store_of(client), NEW_GRAPH) if t[1].endswith("ns#seen>")}
    assert seen == {"<http://example.org/id/bruges>", "<http://example.org/id/org2>"}
    named = (
        SPARQL_PREFIXES
        + f"INSERT {{ GRAPH <{NEW_GRAPH}> {{ ?s ex:in ?g }} }} WHERE {{ GRAPH ?g {{ ?s a ex:City }} }}"
    )
    r = client.post("/update", data={"update": named, "using-named-graph-uri": PLACES}, headers=AUTH)
    assert r.status_code == 204, r.text
    assert {t for t in triples_of(store_of(client), NEW_GRAPH) if t[1].endswith("ns#in>")} == {
        ("<http://example.org/id/bruges>", "<http://example.org/ns#in>", f"<{PLACES}>")
    }


def test_relative_iris_resolve_against_the_endpoint(client: TestClient) -> None:
    text = f"INSERT DATA {{ GRAPH <{NEW_GRAPH}> {{ <http://example.org/s> <http://example.org/p> <test> }} }}"
    assert client.post("/update", content=text, headers=UPDATE).status_code == 204
    assert triples_of(store_of(client), NEW_GRAPH) == {
        ("<http://example.org/s>", "<http://example.org/p>", "<http://testserver/test>")
    }


@pytest.mark.parametrize(
    "text,params,status,code",
    [
        (
            "DELETE { ?s ?p ?o } WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
            {},
            400,
            "update-not-allowed",
        ),
        ("LOAD <http://example.org/x>", {}, 400, "update-not-allowed"),
        (
            f"WITH <{NEW_GRAPH}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
            {"using-named-graph-uri": NEW_GRAPH},
            400,
            "update-dataset-conflict",
        ),
        (
            f"DELETE {{ ?s ?p ?o }} USING <{NEW_GRAPH}> WHERE {{ ?s ?p ?o }}",
            {"using-graph-uri": NEW_GRAPH},
            400,
            "update-dataset-conflict",
        ),
        ("CLEAR ALL", {"using-graph-uri": "not an iri"}, 400, "bad-input"),
        (f"CLEAR GRAPH <{NEW_GRAPH}>", {}, 400, "invalid-update"),
        (f"ADD <{NEW_GRAPH}> TO <http://example.org/graph/other>", {}, 400, "invalid-update"),
    ],
)
def test_refused_updates(
    client: TestClient, text: str, params: dict[str, str], status: int, code: str
) -> None:
    before = dump(store_of(client))
    r = client.post("/update", params=params, content=text, headers=UPDATE)
    assert r.status_code == status, r.text
    assert r.json()["code"] == code
    assert dump(store_of(client)) == before


def test_silent_operations_on_missing_graphs_succeed(client: TestClient) -> None:
    before = dump(store_of(client))
    text = f"CLEAR SILENT GRAPH <{NEW_GRAPH}> ; DROP SILENT GRAPH <{NEW_GRAPH}> ; ADD SILENT <{NEW_GRAPH}> TO DEFAULT"
    assert client.post("/update", content=text, headers=UPDATE).status_code == 204
    assert dump(store_of(client)) == before


def test_get_is_not_allowed(client: TestClient) -> None:
    assert client.get("/update").status_code == 405


def test_update_options_cross_a_process_boundary_as_json() -> None:
    """The contract with the isolated planner: options are plain JSON, and planning reads only its arguments."""
    import json

    from iopgraph.stewardship.sparql_update import UpdateOptions, update_change

    options = UpdateOptions(
        using_graphs=["http://example.org/a"],
        using_named_graphs=["http://example.org/b"],
        base_iri="http://example.org/update",
    )
    assert UpdateOptions.from_json(json.loads(json.dumps(options.to_json()))) == options
    store = ox.Store()
    quad = ox.Quad(
        ox.NamedNode("http://example.org/s"),
        ox.NamedNode("http://example.org/p"),
        ox.Literal("1"),
        ox.NamedNode("http://example.org/a"),
    )
    store.add(quad)
    change = update_change(store, "INSERT { GRAPH <c> { ?s ?p ?o } } WHERE { ?s ?p ?o }", options)
    assert [str(q) for q in change.add] == [
        '<http://example.org/s> <http://example.org/p> "1" <http://example.org/c>'
    ]
    assert list(store) == [quad]  # the store itself is never modified
