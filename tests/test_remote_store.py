"""Remote-store mode: the service in front of a real `oxigraph serve` process on loopback."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from iopgraph.app import create_app
from support.oxigraph import OXIGRAPH, oxigraph_serve
from support.ports import free_port
from support.sparql import EX, GRAPH, csv_rows, json_rows, settings_for, triples

pytestmark = pytest.mark.skipif(
    not OXIGRAPH.exists() and not shutil.which("oxigraph"),
    reason="the oxigraph server binary (pip package `oxigraph`) is not installed",
)


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with oxigraph_serve(tmp_path_factory.mktemp("oxigraph"), [(GRAPH, None)], "--timeout-s", "10") as (
        base,
        _,
    ):
        yield base


@pytest.fixture(scope="module")
def client(oxigraph_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = settings_for(
        tmp_path_factory.mktemp("remote"),
        sources=[],
        store_url=oxigraph_server + "/query",
        store_update_url=oxigraph_server + "/update",
        max_results=5,
    )
    with TestClient(create_app(settings)) as c:
        yield c


SELECT_PEOPLE = f"SELECT ?p WHERE {{ ?p a <{EX}Person> }} ORDER BY ?p"


def test_no_embedded_store_in_remote_mode(client: TestClient) -> None:
    assert client.app.state.context.backend.stats().kind == "remote"  # type: ignore[attr-defined]
    assert type(client.app.state.context.backend).__name__ == "RemoteBackend"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "accept",
    [
        "application/sparql-results+json",
        "text/csv",
        "application/sparql-results+xml",
        "text/tab-separated-values",
    ],
)
def test_select_through_the_remote_store(client: TestClient, accept: str) -> None:
    r = client.get("/sparql", params={"query": SELECT_PEOPLE}, headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
    if accept == "text/csv":
        assert [row["p"] for row in csv_rows(r.text)] == [EX + "alice", EX + "bob", EX + "carol"]
    else:
        parsed = ox.parse_query_results(r.content, ox.QueryResultsFormat.from_media_type(accept))
        assert [s["p"].value for s in parsed] == [EX + "alice", EX + "bob", EX + "carol"]  # type: ignore[union-attr]


def test_construct_ask_and_post_forms(client: TestClient) -> None:
    query = f"CONSTRUCT WHERE {{ <{EX}alice> <{EX}knows> ?o }}"
    r = client.post(
        "/sparql",
        content=query,
        headers={"Content-Type": "application/sparql-query", "Accept": "application/ld+json"},
    )
    assert triples(r.content, "application/ld+json") == {
        ox.Triple(ox.NamedNode(EX + "alice"), ox.NamedNode(EX + "knows"), ox.NamedNode(EX + "bob"))
    }
    ask = client.post("/sparql", data={"query": f"ASK {{ <{EX}bob> a <{EX}Person> }}"})
    assert ask.json()["boolean"] is True


def test_graph_parameters_are_passed_on(client: TestClient) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?t }"
    r = client.get("/sparql", params={"query": query, "default-graph-uri": EX + "people"})
    assert json_rows(r.content) == [{"n": "3"}]


def test_cap_and_errors(client: TestClient) -> None:
    many = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert len(json_rows(many.content)) == 5 and many.headers["x-sparql-maxrows"] == "5"
    bad = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert bad.status_code == 400
    refused = client.get(
        "/sparql", params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }"}
    )
    assert refused.status_code == 403


def test_named_query_parameters_bound_remotely(client: TestClient) -> None:
    r = client.get("/api/queries/mitigations", params={"challenge": EX + "trust"})
    assert r.status_code == 200
    assert json_rows(r.content) == [{"mitigation": EX + "sharing", "label": "Data sharing agreement"}]
    evil = client.get("/api/queries/labelled", params={"label": '"> } ; DROP ALL #'})
    assert evil.status_code == 200 and json_rows(evil.content) == []
    paged = client.get("/api/queries/people")
    assert len(json_rows(paged.content)) == 2 and 'rel="next"' in paged.headers["link"]


def test_writes_reach_the_store_and_change_the_etag(client: TestClient, oxigraph_server: str) -> None:
    backend = client.app.state.context.backend  # type: ignore[attr-defined]
    query = f"SELECT ?o WHERE {{ <{EX}dave> <{EX}age> ?o }}"
    before = client.get("/sparql", params={"query": query})
    assert json_rows(before.content) == []
    quad = ox.Quad(
        ox.NamedNode(EX + "dave"),
        ox.NamedNode(EX + "age"),
        ox.Literal("50", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        ox.NamedNode(EX + "people"),
    )
    client.portal.call(backend.replace_quads, [], [quad])  # type: ignore[union-attr]
    after = client.get("/sparql", params={"query": query}, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and json_rows(after.content) == [{"o": "50"}]
    direct = httpx.get(
        oxigraph_server + "/query",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert json_rows(direct.content) == [{"o": "50"}]
    client.portal.call(backend.replace_quads, [quad], [])  # type: ignore[union-attr]


def test_unreachable_store_gives_503(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, sources=[], store_url=f"http://127.0.0.1:{free_port()}/query")
    with TestClient(create_app(settings)) as c:
        r = c.get("/sparql", params={"query": "ASK {}"})
        assert r.status_code == 503 and r.json()["code"] == "upstream-unavailable"


def test_slow_store_gives_504(tmp_path: Path, oxigraph_server: str) -> None:
    numbers = " ".join(str(i) for i in range(500))
    slow = f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?a {{ {numbers} }} VALUES ?b {{ {numbers} }} VALUES ?c {{ {numbers} }} }}"
    settings = settings_for(tmp_path, sources=[], store_url=oxigraph_server + "/query", query_timeout=0.5)
    with TestClient(create_app(settings)) as c:
        r = c.get("/sparql", params={"query": slow})
        assert r.status_code == 504 and "IOPGRAPH_QUERY_TIMEOUT" in r.json()["detail"]
