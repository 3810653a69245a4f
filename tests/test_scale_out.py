"""Two real `iopgraph serve` processes over one remote store behave as one service.

Against a real `oxigraph serve` and a real Virtuoso (`virtuoso-t`), each started here on random
ports with a database of its own: a write through process A is read through process B at once
(ETags, the result cache and the page cache are keyed on the store's version, not a
process-local counter), both processes give one representation the same ETag, writes through
both at once are serialised by the store's write lease (every accepted write lands, with one
provenance activity each, and the store keeps exactly one version), a lease left by a crashed
process expires, and a lease held elsewhere makes a write wait, then fail with 503.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from support.oxigraph import OxigraphServer
from support.reliability import TOKEN
from support.server import ServerProcess
from support.steward import FIXTURE, VALID_PROJECT, project
from support.virtuoso import VirtuosoServer

BASE_GRAPH = "https://w3id.org/iopgraph/graph/data/base"
ONTOLOGY = "https://w3id.org/iopgraph/graph/ontology/mini"
PROVENANCE = "https://w3id.org/iopgraph/graph/provenance"
SYSTEM = "urn:x-iopgraph:system"
NEW_GRAPH = "http://example.org/graph/scale-new"
TAGS = "http://example.org/graph/scale-tags"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
UPDATE = {**AUTH, "Content-Type": "application/sparql-update"}
JSON = {"Accept": "application/sparql-results+json"}
WRITE_TIMEOUT = 8


@dataclass
class Store:
    """The remote store under test: its endpoints and a way to ask it directly."""

    kind: str
    query_url: str
    update_url: str

    def select(self, query: str) -> list[dict[str, str]]:
        r = httpx.post(self.query_url, data={"query": query}, headers=JSON, timeout=60)
        r.raise_for_status()
        return [{k: v["value"] for k, v in row.items()} for row in r.json()["results"]["bindings"]]

    def count(self, graph: str) -> int:
        return int(self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")[0]["n"])

    def update(self, text: str) -> None:
        httpx.post(self.update_url, data={"update": text}, timeout=60).raise_for_status()

    def versions(self) -> list[str]:
        rows = self.select(
            f"SELECT ?v WHERE {{ GRAPH <{SYSTEM}> {{ <{SYSTEM}#store> <{SYSTEM}#version> ?v }} }}"
        )
        return [r["v"] for r in rows]


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp(f"scale-{request.param}")
    files: list[tuple[Path, str | None]] = [
        (FIXTURE / "data" / "base.ttl", BASE_GRAPH),
        (FIXTURE / "ontology" / "mini.ttl", ONTOLOGY),
    ]
    if request.param == "oxigraph":
        oxigraph = OxigraphServer(folder)
        oxigraph.load_files(files)
        try:
            oxigraph.start("--timeout-s", "60")
            yield Store("oxigraph", oxigraph.url + "/query", oxigraph.url + "/update")
        finally:
            oxigraph.stop()
        return
    virtuoso = VirtuosoServer(folder / "virtuoso")
    try:
        virtuoso.start()
        for file, graph in files:
            assert graph is not None
            virtuoso.load_turtle(file, graph)
        yield Store("virtuoso", virtuoso.query_url, virtuoso.update_url)
    finally:
        virtuoso.stop()


@pytest.fixture(scope="module")
def pair(
    store: Store, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two service processes (each with a project folder of its own, as on two machines) over ``store``;
    caches on (their defaults)."""
    servers = []
    try:
        for name in ("a", "b"):
            folder = tmp_path_factory.mktemp(f"scale-{store.kind}-{name}")
            env = {
                "IOPGRAPH_ROOT": str(project(folder)),
                "IOPGRAPH_STORE_URL": store.query_url,
                "IOPGRAPH_STORE_UPDATE_URL": store.update_url,
                "IOPGRAPH_WRITE_TOKEN": TOKEN,
                "IOPGRAPH_WRITE_TIMEOUT": str(WRITE_TIMEOUT),
                "IOPGRAPH_BASE_URL": "http://127.0.0.1",
                "IOPGRAPH_QUERY_WORKERS": "1",
                "IOPGRAPH_ACCESS_LOG": "false",
            }
            server = ServerProcess(folder, env)
            servers.append(server)
            server.start()
            server.wait_until("/readyz", 120)
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()


def _count_via(server: ServerProcess, graph: str) -> tuple[int, str]:
    """The triples in ``graph`` as the service answers (the same request each time: cacheable), and its ETag."""
    r = httpx.get(
        server.url + "/sparql",
        params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
        headers=JSON,
        timeout=60,
    )
    assert r.status_code == 200, r.text + server.log_tail()
    return int(r.json()["results"]["bindings"][0]["n"]["value"]), r.headers["etag"]


def _graph_via(server: ServerProcess, graph: str, etag: str | None = None) -> httpx.Response:
    headers = {"Accept": "application/n-triples", **({"If-None-Match": etag} if etag else {})}
    return httpx.get(server.url + "/store", params={"graph": graph}, headers=headers, timeout=60)


def test_a_write_through_one_process_is_read_through_the_other_at_once(
    pair: tuple[ServerProcess, ServerProcess], store: Store
) -> None:
    a, b = pair
    before_b, etag_b = _count_via(b, NEW_GRAPH)
    assert _count_via(b, NEW_GRAPH) == (before_b, etag_b)  # the same request again: B's cache answers
    before_a, etag_a = _count_via(a, NEW_GRAPH)
    assert (before_a, etag_a) == (before_b, etag_b)  # one store version: one ETag in both processes
    page = _graph_via(b, BASE_GRAPH)
    assert page.status_code == 200
    assert _graph_via(a, BASE_GRAPH, page.headers["etag"]).status_code == 304  # B's ETag is current at A

    r = httpx.put(
        a.url + "/store",
        params={"graph": NEW_GRAPH},
        content=VALID_PROJECT,
        headers={"Content-Type": "text/turtle", **AUTH},
        timeout=60,
    )
    assert r.status_code == 201, r.text

    after_b, new_etag_b = _count_via(b, NEW_GRAPH)  # no pause: B must already see it
    assert after_b == store.count(NEW_GRAPH) == before_b + 6
    assert new_etag_b != etag_b
    assert _count_via(a, NEW_GRAPH)[1] == new_etag_b
    assert (
        _graph_via(b, BASE_GRAPH, page.headers["etag"]).status_code == 200
    )  # the old ETag no longer matches
    assert len(store.versions()) == 1


def _insert_tag(server: ServerProcess, n: int) -> int:
    """A SPARQL Update adding one tag; retried while the service answers 503 writes-busy."""
    text = (
        f"INSERT DATA {{ GRAPH <{TAGS}> {{ <http://example.org/id/tag-{n}> a <http://example.org/ns#Tag> ; "
        f'<http://www.w3.org/2000/01/rdf-schema#label> "tag {n}"@en }} }}'
    )
    for _ in range(20):
        r = httpx.post(server.url + "/update", content=text, headers=UPDATE, timeout=120)
        if r.status_code != 503:
            return r.status_code
        assert r.json()["code"] == "writes-busy", r.text
        time.sleep(0.2)
    return r.status_code


def _activities(store: Store) -> int:
    rows = store.select(
        f"SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {{ GRAPH <{PROVENANCE}> "
        "{ ?a a <http://www.w3.org/ns/prov#Activity> } }"
    )
    return int(rows[0]["n"])


def test_writes_through_both_processes_at_once_are_serialised(
    pair: tuple[ServerProcess, ServerProcess], store: Store
) -> None:
    a, b = pair
    activities = _activities(store)
    writes = [(a if n % 2 else b, n) for n in range(12)]
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda job: _insert_tag(*job), writes))
    assert statuses == [204] * len(writes)
    assert store.count(TAGS) == 2 * len(writes)  # every write landed, none lost
    assert _activities(store) == activities + len(writes)  # one provenance activity per write
    assert len(store.versions()) == 1  # never two writes applied on the same version
    assert _count_via(a, TAGS)[0] == _count_via(b, TAGS)[0] == 2 * len(writes)


def _holders(store: Store) -> list[str]:
    rows = store.select(
        f"SELECT ?h WHERE {{ GRAPH <{SYSTEM}> {{ <{SYSTEM}#write-lock> <{SYSTEM}#holder> ?h }} }}"
    )
    return [r["h"] for r in rows]


def test_a_lease_left_by_a_crashed_process_expires(
    pair: tuple[ServerProcess, ServerProcess], store: Store
) -> None:
    a, _ = pair
    dead = f"{1000:015d} crashed-process"  # expired long ago
    store.update(f'INSERT DATA {{ GRAPH <{SYSTEM}> {{ <{SYSTEM}#write-lock> <{SYSTEM}#holder> "{dead}" }} }}')
    assert _insert_tag(a, 100) == 204
    assert _holders(store) == []  # the dead lease was dropped, the writer's own released


def test_a_lease_held_elsewhere_makes_a_write_wait_then_fail(
    pair: tuple[ServerProcess, ServerProcess], store: Store
) -> None:
    a, b = pair
    live = f"{int(time.time() * 1000) + 600_000:015d} another-process"
    holder = f'<{SYSTEM}#write-lock> <{SYSTEM}#holder> "{live}"'
    store.update(f"INSERT DATA {{ GRAPH <{SYSTEM}> {{ {holder} }} }}")
    try:
        tags = store.count(TAGS)
        r = httpx.post(
            a.url + "/update",
            content=f'INSERT DATA {{ GRAPH <{TAGS}> {{ <http://example.org/id/tag-x> <{SYSTEM}#p> "x" }} }}',
            headers=UPDATE,
            timeout=120,
        )
        assert r.status_code == 503, r.text
        assert r.json()["code"] == "writes-busy"
        assert "write lease" in r.json()["detail"] and r.headers["retry-after"] == "1"
        assert store.count(TAGS) == tags
        assert _holders(store) == [live]
        assert httpx.get(b.url + "/healthz", timeout=10).status_code == 200
    finally:
        store.update(f"DELETE DATA {{ GRAPH <{SYSTEM}> {{ {holder} }} }}")
    assert _insert_tag(a, 101) == 204


def _fragment(server: ServerProcess) -> set[str]:
    r = httpx.get(server.url + "/ldes/fragment/0", headers={"Accept": "application/n-triples"}, timeout=120)
    assert r.status_code == 200, r.text + server.log_tail()
    return {line for line in r.text.splitlines() if line.strip()}


def test_both_processes_serve_one_ldes_feed(pair: tuple[ServerProcess, ServerProcess], store: Store) -> None:
    """The feed's members live in the store: the same members, numbers and timestamps through A and B,
    including the versions of resources written through the other process."""
    a, b = pair
    first_a, first_b = _fragment(a), _fragment(b)
    assert first_a == first_b
    r = httpx.post(
        b.url + "/store",
        params={"graph": NEW_GRAPH},
        content=VALID_PROJECT.replace("Another project.", "Changed through B."),
        headers={"Content-Type": "text/turtle", **AUTH},
        timeout=60,
    )
    assert r.status_code in (200, 204), r.text
    then_a, then_b = _fragment(a), _fragment(b)
    assert then_a == then_b
    new = then_a - first_a
    assert any("Changed through B." in line for line in new), new  # B's write is a member at A at once
    versions_of = [line for line in then_a if "http://purl.org/dc/terms/isVersionOf" in line]
    assert len(versions_of) == len(set(versions_of))  # no member twice (one appender at a time)
    tags = [line for line in versions_of if "/id/tag-" in line]
    assert len(tags) == 14  # each tag written by either process is one member, once
