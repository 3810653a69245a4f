"""Gated writes and `current=true` validation in remote-store mode, on a live server in front of `oxigraph serve`.

The isolated workers hold no graph in this mode: the service sends the current
dataset with the job. A valid project whose links point into the remote store
conforms only if the worker saw that data; an invalid one is refused (422) and
the store is unchanged.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reliability_support import TOKEN, ServerProcess, free_port
from steward_support import FIXTURE, INVALID_PROJECT, VALID_PROJECT, project

OXIGRAPH = Path(sys.executable).with_name("oxigraph")
pytestmark = pytest.mark.skipif(not OXIGRAPH.exists() and not shutil.which("oxigraph"),
                                reason="the oxigraph server binary (pip package `oxigraph`) is not installed")
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE_GRAPH = "https://w3id.org/iopgraph/graph/data/base"
ONTOLOGY = "https://w3id.org/iopgraph/graph/ontology/mini"
NEW_GRAPH = "http://example.org/graph/remote-new"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("oxigraph-writes")
    binary = str(OXIGRAPH if OXIGRAPH.exists() else shutil.which("oxigraph"))
    for file, graph in ((FIXTURE / "data" / "base.ttl", BASE_GRAPH), (FIXTURE / "ontology" / "mini.ttl", ONTOLOGY)):
        subprocess.run([binary, "load", "--location", str(folder / "db"), "--file", str(file), "--graph", graph],
                       check=True, capture_output=True, timeout=60)
    port = free_port()
    process = subprocess.Popen([binary, "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}",
                                "--union-default-graph"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/query", params={"query": "ASK {}"}, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("remote-writes")
    env = {"IOPGRAPH_ROOT": str(project(folder)), "IOPGRAPH_STORE_URL": store + "/query",
           "IOPGRAPH_STORE_UPDATE_URL": store + "/update", "IOPGRAPH_WRITE_TOKEN": TOKEN,
           "IOPGRAPH_BASE_URL": "http://127.0.0.1", "IOPGRAPH_CACHE_ENTRIES": "0"}
    with ServerProcess(folder, env) as srv:
        yield srv


def _count(store: str, graph: str) -> int:
    r = httpx.post(store + "/query", data={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
                   headers={"Accept": "application/sparql-results+json"}, timeout=30)
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_validation_with_current_sees_the_remote_graph(server: ServerProcess) -> None:
    alone = httpx.post(server.url + "/api/validate", content=VALID_PROJECT,
                       headers={"Content-Type": "text/turtle"}, timeout=60)
    assert alone.status_code == 200 and alone.json()["conforms"] is False  # ghent, org1, c2 are not in the file
    r = httpx.post(server.url + "/api/validate", params={"current": "true"}, content=VALID_PROJECT,
                   headers={"Content-Type": "text/turtle"}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["conforms"] is True, r.json()


def test_gated_writes_reach_the_remote_store(server: ServerProcess, store: str) -> None:
    r = httpx.put(server.url + "/store", params={"graph": NEW_GRAPH}, content=INVALID_PROJECT,
                  headers={"Content-Type": "text/turtle", **AUTH}, timeout=60)
    assert r.status_code == 422, r.text
    assert _count(store, NEW_GRAPH) == 0
    r = httpx.put(server.url + "/store", params={"graph": NEW_GRAPH}, content=VALID_PROJECT,
                  headers={"Content-Type": "text/turtle", **AUTH}, timeout=60)
    assert r.status_code == 201, r.text
    assert _count(store, NEW_GRAPH) == 6
