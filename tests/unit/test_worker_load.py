"""The zygote's load of a snapshot: every quad, in chunks, with the store's blank-node labels kept."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from iopgraph.store import worker


def test_every_quad_is_loaded_across_chunks_with_labels_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "LOAD_CHUNK", 7)  # many chunks and a partial last one
    lines = [f'_:b{i} <urn:p> "v{i}" <urn:g> .\n' for i in range(50)]
    lines += [f"<urn:s{i}> <urn:q> _:b{i} .\n" for i in range(3)]
    snapshot = tmp_path / "snapshot.nq"
    snapshot.write_text("".join(lines))
    store = worker.load(str(snapshot))
    assert len(store) == 53
    # A write planned in a worker names the on-disk store's blank nodes: the labels must be the file's.
    subjects = {q.subject for q in store.quads_for_pattern(None, ox.NamedNode("urn:p"), None)}
    assert subjects == {ox.BlankNode(f"b{i}") for i in range(50)}
    assert ox.Quad(ox.NamedNode("urn:s2"), ox.NamedNode("urn:q"), ox.BlankNode("b2")) in store


def test_an_empty_snapshot_is_an_empty_store(tmp_path: Path) -> None:
    snapshot = tmp_path / "empty.nq"
    snapshot.write_bytes(b"")
    assert len(worker.load(str(snapshot))) == 0
