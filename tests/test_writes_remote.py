"""Gated writes and `current=true` validation in remote-store mode, on a live server in front of `oxigraph serve`.

The isolated workers hold no graph in this mode: the service sends the current
dataset with the job. A valid project whose links point into the remote store
conforms only if the worker saw that data; an invalid one is refused (422) and
the store is unchanged.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import httpx
import pytest

from support.oxigraph import OXIGRAPH, oxigraph_serve
from support.reliability import TOKEN
from support.server import ServerProcess
from support.steward import FIXTURE, INVALID_PROJECT, VALID_PROJECT, project

pytestmark = pytest.mark.skipif(
    not OXIGRAPH.exists() and not shutil.which("oxigraph"),
    reason="the oxigraph server binary (pip package `oxigraph`) is not installed",
)
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE_GRAPH = "https://w3id.org/iopgraph/graph/data/base"
ONTOLOGY = "https://w3id.org/iopgraph/graph/ontology/mini"
NEW_GRAPH = "http://example.org/graph/remote-new"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    files = [(FIXTURE / "data" / "base.ttl", BASE_GRAPH), (FIXTURE / "ontology" / "mini.ttl", ONTOLOGY)]
    with oxigraph_serve(tmp_path_factory.mktemp("oxigraph-writes"), files) as (base, _):
        yield base


@pytest.fixture(scope="module")
def server(store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("remote-writes")
    env = {
        "IOPGRAPH_ROOT": str(project(folder)),
        "IOPGRAPH_STORE_URL": store + "/query",
        "IOPGRAPH_STORE_UPDATE_URL": store + "/update",
        "IOPGRAPH_WRITE_TOKEN": TOKEN,
        "IOPGRAPH_BASE_URL": "http://127.0.0.1",
        "IOPGRAPH_CACHE_ENTRIES": "0",
    }
    with ServerProcess(folder, env) as srv:
        yield srv


def _count(store: str, graph: str) -> int:
    r = httpx.post(
        store + "/query",
        data={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_validation_with_current_sees_the_remote_graph(server: ServerProcess) -> None:
    alone = httpx.post(
        server.url + "/api/validate",
        content=VALID_PROJECT,
        headers={"Content-Type": "text/turtle"},
        timeout=60,
    )
    assert (
        alone.status_code == 200 and alone.json()["conforms"] is False
    )  # ghent, org1, c2 are not in the file
    r = httpx.post(
        server.url + "/api/validate",
        params={"current": "true"},
        content=VALID_PROJECT,
        headers={"Content-Type": "text/turtle"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    assert r.json()["conforms"] is True, r.json()


def test_gated_writes_reach_the_remote_store(server: ServerProcess, store: str) -> None:
    r = httpx.put(
        server.url + "/store",
        params={"graph": NEW_GRAPH},
        content=INVALID_PROJECT,
        headers={"Content-Type": "text/turtle", **AUTH},
        timeout=60,
    )
    assert r.status_code == 422, r.text
    assert _count(store, NEW_GRAPH) == 0
    r = httpx.put(
        server.url + "/store",
        params={"graph": NEW_GRAPH},
        content=VALID_PROJECT,
        headers={"Content-Type": "text/turtle", **AUTH},
        timeout=60,
    )
    assert r.status_code == 201, r.text
    assert _count(store, NEW_GRAPH) == 6


def test_one_graph_is_read_from_the_remote_store(server: ServerProcess, store: str) -> None:
    """GET /store?graph= reads that one graph from the store (not a copy of the dataset); 404 when absent."""
    r = httpx.get(
        server.url + "/store",
        params={"graph": BASE_GRAPH},
        headers={"Accept": "application/n-triples"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    assert len([line for line in r.text.splitlines() if line.strip()]) == _count(store, BASE_GRAPH)
    r = httpx.get(server.url + "/store", params={"graph": "http://example.org/graph/absent"}, timeout=60)
    assert r.status_code == 404, r.text
    assert r.json()["code"] == "graph-not-found"
