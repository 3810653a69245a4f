"""Writes through the backend reach every query worker before the version (and so the ETag) changes."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from fastapi.testclient import TestClient

from iopgraph.app import create_app
from support.sparql import EX, json_rows, settings_for

AGE = ox.NamedNode(EX + "age")
QUERY = f"SELECT ?age WHERE {{ <{EX}dave> <{EX}age> ?age }}"


def test_write_is_seen_by_every_worker_and_invalidates_cache_and_etag(tmp_path: Path) -> None:
    with TestClient(create_app(settings_for(tmp_path, query_workers=2))) as client:
        backend = client.app.state.context.backend  # type: ignore[attr-defined]
        before = client.get("/sparql", params={"query": QUERY})
        assert json_rows(before.content) == []
        quad = ox.Quad(ox.NamedNode(EX + "dave"), AGE, ox.Literal("50"), ox.NamedNode(EX + "people"))
        client.portal.call(backend.replace_quads, [], [quad])  # type: ignore[union-attr]
        # Several requests, so both workers answer at least once.
        for _ in range(6):
            r = client.get(
                "/sparql", params={"query": QUERY}, headers={"If-None-Match": before.headers["etag"]}
            )
            assert r.status_code == 200 and json_rows(r.content) == [{"age": "50"}]
        client.portal.call(backend.replace_quads, [quad], [])  # type: ignore[union-attr]
        for _ in range(6):
            assert json_rows(client.get("/sparql", params={"query": QUERY}).content) == []
        # The durable store has the same content as the workers.
        assert list(backend.store.quads_for_pattern(ox.NamedNode(EX + "dave"), None, None)) == []


def test_write_with_blank_nodes_reloads_the_workers(tmp_path: Path) -> None:
    with TestClient(create_app(settings_for(tmp_path, query_workers=2))) as client:
        backend = client.app.state.context.backend  # type: ignore[attr-defined]
        old_pids = set(backend.pool.pids)
        quad = ox.Quad(ox.BlankNode("x"), AGE, ox.Literal("77"), ox.NamedNode(EX + "people"))
        client.portal.call(backend.replace_quads, [], [quad])  # type: ignore[union-attr]
        query = f"SELECT ?age WHERE {{ ?s <{EX}age> ?age FILTER(isBlank(?s)) }}"
        for _ in range(4):
            assert json_rows(client.get("/sparql", params={"query": query}).content) == [{"age": "77"}]
        assert not old_pids & set(backend.pool.pids)


def test_serve_files_survive_a_restart_on_the_same_store(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, query_workers=1)
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    with TestClient(create_app(settings)) as client:
        first = json_rows(client.get("/sparql", params={"query": query}).content)
    with TestClient(create_app(settings)) as client:
        assert json_rows(client.get("/sparql", params={"query": query}).content) == first != [{"n": "0"}]
