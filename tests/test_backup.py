"""`iopgraph backup` / `iopgraph restore` give back an isomorphic dataset (issue 5)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from typer.testing import CliRunner

from iopgraph.cli import app
from support.steward import VALID_PROJECT, project

runner = CliRunner()


def canonical(store: ox.Store) -> set[ox.Quad]:
    dataset = ox.Dataset(list(store.quads_for_pattern(None, None, None)))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


def test_backup_then_restore_is_isomorphic(tmp_path: Path) -> None:
    env = {"IOPGRAPH_ROOT": str(project(tmp_path)), "IOPGRAPH_STORE_PATH": str(tmp_path / "store")}
    (tmp_path / "p2.ttl").write_text(VALID_PROJECT)
    assert runner.invoke(app, ["load", str(tmp_path / "p2.ttl")], env=env).exit_code == 0
    original = canonical(ox.Store(env["IOPGRAPH_STORE_PATH"]))
    assert any(isinstance(q.subject, ox.BlankNode) for q in original)  # the fixture has a blank node

    backup = tmp_path / "backup" / "store.nq.gz"
    result = runner.invoke(app, ["backup", str(backup)], env=env)
    assert result.exit_code == 0, result.output
    assert backup.exists() and (tmp_path / "backup" / "store.nq.gz.json").exists()

    # Damage the store: drop a graph, add junk.
    store = ox.Store(env["IOPGRAPH_STORE_PATH"])
    store.clear_graph(ox.NamedNode("https://w3id.org/iopgraph/graph/data/base"))
    store.add(
        ox.Quad(
            ox.NamedNode("http://example.org/junk"), ox.NamedNode("http://example.org/p"), ox.Literal("x")
        )
    )
    store.flush()
    assert canonical(store) != original
    del store

    result = runner.invoke(app, ["restore", str(backup), "--yes"], env=env)
    assert result.exit_code == 0, result.output
    assert canonical(ox.Store(env["IOPGRAPH_STORE_PATH"])) == original


def test_a_damaged_backup_is_refused_and_the_store_kept(tmp_path: Path) -> None:
    env = {"IOPGRAPH_ROOT": str(project(tmp_path)), "IOPGRAPH_STORE_PATH": str(tmp_path / "store")}
    backup = tmp_path / "b.nq.gz"
    assert runner.invoke(app, ["backup", str(backup)], env=env).exit_code == 0
    before = canonical(ox.Store(env["IOPGRAPH_STORE_PATH"]))
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0xFF
    backup.write_bytes(bytes(data))
    result = runner.invoke(app, ["restore", str(backup), "--yes"], env=env)
    assert result.exit_code == 2 and "damaged" in result.output
    assert canonical(ox.Store(env["IOPGRAPH_STORE_PATH"])) == before
