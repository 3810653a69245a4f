"""The workers' start-up snapshot is kept beside the store, reused on restart, and checked against the store."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyoxigraph as ox
from fastapi.testclient import TestClient

from iopgraph.app import create_app
from support.sparql import EX, json_rows, settings_for

QUERY = f"SELECT ?l WHERE {{ <{EX}alice> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}"


def test_restart_reuses_the_snapshot(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, query_workers=1)
    snapshot = tmp_path / "store.snapshot.nq"
    with TestClient(create_app(settings)) as client:
        assert json_rows(client.get("/sparql", params={"query": QUERY}).content) == [{"l": "Alice"}]
    assert snapshot.exists() and json.loads((tmp_path / "store.snapshot.json").read_text())["token"]
    written = snapshot.stat().st_mtime_ns
    with TestClient(create_app(settings)) as client:
        assert json_rows(client.get("/sparql", params={"query": QUERY}).content) == [{"l": "Alice"}]
    assert snapshot.stat().st_mtime_ns == written  # not dumped again


def test_a_write_invalidates_the_persisted_snapshot(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, query_workers=1)
    with TestClient(create_app(settings)) as client:
        client.get("/sparql", params={"query": QUERY})
        quad = ox.Quad(
            ox.NamedNode(EX + "alice"),
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
            ox.Literal("Alicia"),
            ox.NamedNode(EX + "people"),
        )
        client.portal.call(client.app.state.context.backend.replace_quads, [], [quad])  # type: ignore[union-attr]
        assert not (tmp_path / "store.snapshot.json").exists()
    with TestClient(create_app(settings)) as client:
        rows = json_rows(client.get("/sparql", params={"query": QUERY + " ORDER BY ?l"}).content)
        assert rows == [{"l": "Alice"}, {"l": "Alicia"}]


def test_a_store_changed_behind_the_service_is_detected(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, query_workers=1)
    with TestClient(create_app(settings)) as client:
        client.get("/sparql", params={"query": QUERY})
    # Same sources, same count, different content: the token matches, the content check must catch it.
    store = ox.Store(str(tmp_path / "store"))
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    store.remove(ox.Quad(ox.NamedNode(EX + "alice"), label, ox.Literal("Alice"), ox.NamedNode(EX + "people")))
    store.add(ox.Quad(ox.NamedNode(EX + "alice"), label, ox.Literal("Changed"), ox.NamedNode(EX + "people")))
    store.flush()
    del store
    import gc

    gc.collect()
    with TestClient(create_app(settings)) as client:
        for _ in range(100):
            rows = json_rows(client.get("/sparql", params={"query": QUERY}).content)
            if rows == [{"l": "Changed"}]:
                break
            time.sleep(0.1)
        assert rows == [{"l": "Changed"}]
