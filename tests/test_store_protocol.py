"""The SPARQL 1.1 Graph Store HTTP Protocol at /store (issue 5): reads public, writes token-gated and SHACL-gated."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from iopgraph.app import create_app
from support.ldviews import jsonld_triples
from support.steward import (
    AUTH,
    INVALID_PROJECT,
    NEW_GRAPH,
    PREFIXES,
    VALID_PROJECT,
    dump,
    settings_for,
    triples_of,
)

DATA_GRAPH = "https://w3id.org/iopgraph/graph/data/base"
TTL = {"Content-Type": "text/turtle", **AUTH}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(tmp_path, max_upload_bytes=20_000))) as c:
        yield c


def store_of(client: TestClient) -> ox.Store:
    return client.app.state.context.backend.store  # type: ignore[attr-defined,no-any-return]


def test_get_a_graph_in_each_format(client: TestClient) -> None:
    for accept, fmt in [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ]:
        r = client.get("/store", params={"graph": DATA_GRAPH}, headers={"Accept": accept})
        assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == accept
        # JSON-LD is compacted with the published context: expanded by PyLD, which gets only that context.
        parsed = jsonld_triples(r.json()) if fmt == ox.RdfFormat.JSON_LD else set(ox.parse(r.content, fmt))
        got = {
            (str(t.subject), str(t.predicate), str(t.object))
            for t in parsed
            if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)
        }
        want = {t for t in triples_of(store_of(client), DATA_GRAPH) if "_:" not in t[0] + t[2]}
        assert got == want
        assert "etag" in r.headers


def test_head_dataset_default_and_missing(client: TestClient) -> None:
    head = client.head("/store", params={"graph": DATA_GRAPH})
    assert head.status_code == 200 and head.content == b""
    dataset = client.get("/store", headers={"Accept": "application/n-quads"})
    assert dataset.status_code == 200
    assert len(list(ox.parse(dataset.content, ox.RdfFormat.N_QUADS))) == len(store_of(client))
    assert client.get("/store?default").status_code == 200
    missing = client.get("/store", params={"graph": "http://example.org/nope"})
    assert missing.status_code == 404 and missing.json()["code"] == "graph-not-found"
    assert client.get("/store", params={"graph": "not an iri"}).status_code == 400
    assert client.get("/store?default&graph=http://example.org/g").status_code == 400


def test_put_creates_then_replaces(client: TestClient) -> None:
    r = client.put("/store", params={"graph": NEW_GRAPH}, content=VALID_PROJECT, headers=TTL)
    assert r.status_code == 201, r.text
    assert r.headers["location"].endswith("graph=http%3A%2F%2Fexample.org%2Fgraph%2Fnew")
    assert "prov#has_provenance" in r.headers["link"]
    assert (
        "<http://example.org/id/p2>",
        "<http://www.w3.org/2000/01/rdf-schema#label>",
        '"Digital twin"@en',
    ) in triples_of(store_of(client), NEW_GRAPH)
    replaced = VALID_PROJECT.replace('"Digital twin"@en', '"Digital twin of Ghent"@en')
    r = client.put("/store", params={"graph": NEW_GRAPH}, content=replaced, headers=TTL)
    assert r.status_code == 204
    labels = {t[2] for t in triples_of(store_of(client), NEW_GRAPH) if t[1].endswith("#label>")}
    assert labels == {'"Digital twin of Ghent"@en'}
    fetched = client.get("/store", params={"graph": NEW_GRAPH}, headers={"Accept": "text/turtle"})
    assert b"Digital twin of Ghent" in fetched.content


def test_post_merges_and_delete_drops(client: TestClient) -> None:
    assert (
        client.put("/store", params={"graph": NEW_GRAPH}, content=VALID_PROJECT, headers=TTL).status_code
        == 201
    )
    extra = PREFIXES + 'id:p2 ex:altLabel "Twin"@en .'
    assert client.post("/store", params={"graph": NEW_GRAPH}, content=extra, headers=TTL).status_code == 204
    assert any(t[1].endswith("altLabel>") for t in triples_of(store_of(client), NEW_GRAPH))
    assert client.delete("/store", params={"graph": NEW_GRAPH}, headers=AUTH).status_code == 204
    assert triples_of(store_of(client), NEW_GRAPH) == set()
    assert client.delete("/store", params={"graph": NEW_GRAPH}, headers=AUTH).status_code == 404


def test_post_quads_to_the_dataset(client: TestClient) -> None:
    trig = PREFIXES + f'<{NEW_GRAPH}> {{ id:p1 ex:altLabel "SDS"@en . }}'
    r = client.post("/store", content=trig, headers={"Content-Type": "application/trig", **AUTH})
    assert r.status_code == 204, r.text
    assert triples_of(store_of(client), NEW_GRAPH) == {
        ("<http://example.org/id/p1>", "<http://example.org/ns#altLabel>", '"SDS"@en')
    }


def test_shacl_invalid_put_is_rejected_with_the_report(client: TestClient) -> None:
    before = dump(store_of(client))
    r = client.put("/store", params={"graph": NEW_GRAPH}, content=INVALID_PROJECT, headers=TTL)
    assert r.status_code == 422
    problem = r.json()
    assert problem["code"] == "shacl-violation"
    assert problem["report"]["conforms"] is False
    assert {x["focus_node"] for x in problem["report"]["results"]} == {"http://example.org/id/p3"}
    assert dump(store_of(client)) == before


PLACES = "http://example.org/graph/places"
BRUGES = PREFIXES + 'id:bruges a ex:City ; rdfs:label "Bruges"@en .'


def test_deleting_a_graph_others_depend_on_is_rejected(client: TestClient) -> None:
    """p2 (in its own graph) is in Bruges, a city of another steward graph; dropping that graph breaks p2."""
    assert client.put("/store", params={"graph": PLACES}, content=BRUGES, headers=TTL).status_code == 201
    project = VALID_PROJECT.replace("ex:city id:ghent", "ex:city id:bruges")
    assert client.put("/store", params={"graph": NEW_GRAPH}, content=project, headers=TTL).status_code == 201
    before = dump(store_of(client))
    r = client.delete("/store", params={"graph": PLACES}, headers=AUTH)
    assert r.status_code == 422
    assert dump(store_of(client)) == before


@pytest.mark.parametrize("method", ["put", "post", "delete"])
@pytest.mark.parametrize(
    "graph",
    [
        DATA_GRAPH,
        "https://w3id.org/iopgraph/graph/ontology/mini",
        "https://w3id.org/iopgraph/graph/data/not-yet-a-file",
        "https://w3id.org/iopgraph/graph/provenance",
    ],
)
def test_protected_graphs_cannot_be_written(client: TestClient, method: str, graph: str) -> None:
    before = dump(store_of(client))
    body = {} if method == "delete" else {"content": PREFIXES + "id:a ex:b id:c ."}
    r = client.request(method.upper(), "/store", params={"graph": graph}, headers=TTL, **body)
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "protected-graph"
    assert ("iopgraph build" in r.json()["detail"]) == ("/graph/provenance" not in graph)
    assert dump(store_of(client)) == before


def test_post_to_the_store_creates_a_graph(client: TestClient) -> None:
    r = client.post("/store", content=VALID_PROJECT, headers=TTL)
    assert r.status_code == 201, r.text
    location = r.headers["location"]
    assert location.startswith("https://w3id.org/iopgraph/graph/contrib/")
    assert (
        "<http://example.org/id/p2>",
        "<http://www.w3.org/2000/01/rdf-schema#label>",
        '"Digital twin"@en',
    ) in triples_of(store_of(client), location)
    again = client.post("/store", content=VALID_PROJECT, headers=TTL)
    assert again.status_code == 201 and again.headers["location"] != location
    assert (
        client.get("/store", params={"graph": location}, headers={"Accept": "text/turtle"}).status_code == 200
    )
    empty = client.post("/store", content=PREFIXES, headers=TTL)
    assert empty.status_code == 400


def test_multipart_post_merges_every_part(client: TestClient) -> None:
    files = [
        ("first", ("p2.ttl", VALID_PROJECT.encode(), "text/turtle")),
        (
            "second",
            (
                "alt.nt",
                b'<http://example.org/id/p2> <http://example.org/ns#altLabel> "Twin"@en .\n',
                "application/n-triples",
            ),
        ),
    ]
    r = client.post("/store", params={"graph": NEW_GRAPH}, files=files, headers=AUTH)
    assert r.status_code == 201, r.text
    got = triples_of(store_of(client), NEW_GRAPH)
    assert ("<http://example.org/id/p2>", "<http://example.org/ns#altLabel>", '"Twin"@en') in got
    assert (
        "<http://example.org/id/p2>",
        "<http://www.w3.org/2000/01/rdf-schema#label>",
        '"Digital twin"@en',
    ) in got
    bad = client.post(
        "/store",
        params={"graph": NEW_GRAPH},
        files=[("x", ("x.pdf", b"%PDF", "application/pdf"))],
        headers=AUTH,
    )
    assert bad.status_code == 415


def test_direct_identification_under_store(client: TestClient) -> None:
    """<base>/store/person/1.ttl names the graph http://testserver/store/person/1.ttl (its own URL)."""
    r = client.put("/store/person/1.ttl", content=VALID_PROJECT, headers=TTL)
    assert r.status_code == 201, r.text
    assert r.headers["location"] == "http://testserver/store/person/1.ttl"
    assert len(triples_of(store_of(client), "http://testserver/store/person/1.ttl")) > 0
    got = client.get("/store/person/1.ttl", headers={"Accept": "text/turtle"})
    assert got.status_code == 200 and got.headers["content-type"] == "text/turtle; charset=utf-8"
    same = client.get(
        "/store", params={"graph": "http://testserver/store/person/1.ttl"}, headers={"Accept": "text/turtle"}
    )
    assert same.content == got.content
    assert client.head("/store/person/1.ttl").status_code == 200
    assert client.delete("/store/person/1.ttl", headers=AUTH).status_code == 204
    assert client.get("/store/person/1.ttl").status_code == 404
    assert client.head("/store/person/1.ttl").status_code == 404
    assert client.delete("/store/person/1.ttl", headers=AUTH).status_code == 404


def test_direct_identification_where_graph_iris_dereference(client: TestClient) -> None:
    """PUT /graph/contrib/x writes https://w3id.org/iopgraph/graph/contrib/x; GET there keeps its pages."""
    iri = "https://w3id.org/iopgraph/graph/contrib/x"
    r = client.put("/graph/contrib/x", content=VALID_PROJECT, headers=TTL)
    assert r.status_code == 201, r.text
    assert len(triples_of(store_of(client), iri)) > 0
    html = client.get("/graph/contrib/x", headers={"Accept": "text/html"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert client.get("/graph/contrib/x", headers={"Accept": "application/ld+json"}).status_code == 200
    assert client.head("/graph/contrib/x", headers={"Accept": "text/turtle"}).status_code == 200
    extra = PREFIXES + 'id:p2 ex:altLabel "Twin"@en .'
    assert client.post("/graph/contrib/x", content=extra, headers=TTL).status_code == 204
    assert client.delete("/graph/contrib/x", headers=AUTH).status_code == 204
    assert client.get("/graph/contrib/x", headers={"Accept": "text/turtle"}).status_code == 404
    before = dump(store_of(client))
    refused = client.put("/graph/data/base", content=VALID_PROJECT, headers=TTL)
    assert refused.status_code == 403 and refused.json()["code"] == "protected-graph"
    assert dump(store_of(client)) == before


def test_dataset_formats_are_refused_for_a_graph(client: TestClient) -> None:
    r = client.put(
        "/store",
        params={"graph": NEW_GRAPH},
        content=b"<http://a> <http://b> <http://c> <http://g> .",
        headers={"Content-Type": "application/n-quads", **AUTH},
    )
    assert r.status_code == 415


def test_put_json_ld_into_a_graph(client: TestClient) -> None:
    """JSON-LD (which may carry named graphs) is accepted for ?graph when it holds only triples."""
    turtle = ox.Store()
    turtle.load(VALID_PROJECT.encode(), ox.RdfFormat.TURTLE)
    doc = ox.serialize(
        (ox.Triple(q.subject, q.predicate, q.object) for q in turtle), format=ox.RdfFormat.JSON_LD
    )
    r = client.put(
        "/store",
        params={"graph": NEW_GRAPH},
        content=doc,
        headers={"Content-Type": "application/ld+json", **AUTH},
    )
    assert r.status_code == 201, r.text
    assert len(list(store_of(client).quads_for_pattern(None, None, None, ox.NamedNode(NEW_GRAPH)))) == len(
        turtle
    )
    named = b'{"@id": "http://example.org/g", "@graph": [{"@id": "http://example.org/x", "http://example.org/p": "v"}]}'
    r = client.put(
        "/store",
        params={"graph": NEW_GRAPH},
        content=named,
        headers={"Content-Type": "application/ld+json", **AUTH},
    )
    assert r.status_code == 400 and "named graphs" in r.json()["detail"]


def test_relative_iris_resolve_against_the_graph(client: TestClient) -> None:
    body = "<s> <http://example.org/p> <o> ."
    assert client.put("/store?default", content=body, headers=TTL).status_code == 204
    assert client.put("/store/people/a.ttl", content=body, headers=TTL).status_code == 201
    subjects = {
        (q.subject.value, str(q.graph_name))
        for q in store_of(client)
        if q.predicate.value == "http://example.org/p"
    }
    assert subjects == {
        ("http://testserver/s", "DEFAULT"),
        ("http://testserver/store/people/s", "<http://testserver/store/people/a.ttl>"),
    }
