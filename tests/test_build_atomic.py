"""`iopgraph build --force` is atomic: SIGKILL at any moment leaves the old or the new graph, never an empty one.

The store holds a large steward graph (quads outside the file-backed graphs,
bulk-loaded from generated N-Quads) and the shipped sources with one marker
file whose value changes before every build, so "old" and "new" are told apart.
Each round starts the real `iopgraph build --force` in a subprocess, kills it
(SIGKILL) at a random moment within the time a build needs to commit, and then
checks the store: the steward graph is whole, the file-backed graphs hold
exactly the old or the new sources, and a build that was interrupted after it
marked the store is noticed (and redone) by the next start.
"""

from __future__ import annotations

import gc
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from iopgraph.core.sources import graph_sources
from iopgraph.store.local import build_interrupted, ensure_built, kept_on_rebuild, open_store, stored_hash
from support.paths import BIN
from support.project import build_project
from support.reliability import record

STEWARD_GRAPH = "https://w3id.org/iopgraph/graph/contrib/big"
MARKER = "https://w3id.org/iopgraph/id/test/build-marker"


def _project(folder: Path) -> Path:
    return build_project(folder, parts=("ontology", "shapes", "queries", "data"), data=())


def _set_marker(root: Path, value: int) -> None:
    (root / "data" / "zz-marker.ttl").write_text(
        f'<{MARKER}> <http://www.w3.org/2000/01/rdf-schema#comment> "{value}" .\n'
    )


def _steward_nquads(path: Path, count: int) -> None:
    with path.open("w") as out:
        for i in range(count):
            out.write(f'<http://example.org/s/{i}> <http://example.org/p> "value {i}" <{STEWARD_GRAPH}> .\n')


def _env(folder: Path, root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOPGRAPH_")}
    env.update(
        {
            "IOPGRAPH_ROOT": str(root),
            "IOPGRAPH_STORE_PATH": str(folder / "store"),
            "IOPGRAPH_BUILD_DIR": str(folder / "build"),
        }
    )
    return env


def _prepare(folder: Path, steward_quads: int) -> tuple[Path, int]:
    """A project, a store built from it, and ``steward_quads`` quads in a steward graph; returns the file quads."""
    root = _project(folder)
    _set_marker(root, 0)
    nq = folder / "steward.nq"
    _steward_nquads(nq, steward_quads)
    store = open_store(folder / "store")
    store.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
    outcome = ensure_built(store, folder / "store", graph_sources(root))
    del store
    gc.collect()
    nq.unlink()
    return root, outcome.quads


def _inspect(folder: Path) -> tuple[int, int, list[str]]:
    """(steward quads, file-backed quads, marker values) of the store, opened read-write as the next start would."""
    store = open_store(folder / "store")
    try:
        steward = next(
            iter(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{STEWARD_GRAPH}> {{ ?s ?p ?o }} }}"))
        )["n"]
        files = sum(1 for q in store.quads_for_pattern(None, None, None) if not kept_on_rebuild(q.graph_name))
        markers = sorted(q.object.value for q in store.quads_for_pattern(ox.NamedNode(MARKER), None, None))
        return int(steward.value), files, markers
    finally:
        del store
        gc.collect()


def _build(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(BIN / "iopgraph"), "build", "--force"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _committed_after(folder: Path, env: dict[str, str]) -> float:
    """Seconds a full `build --force` needs until the store is committed (the hash file loses its mark)."""
    meta = folder / "store.iopgraph-store.json"
    started = time.monotonic()
    process = _build(env)
    seen_mark = False
    committed = None
    while process.poll() is None and committed is None:
        text = meta.read_text() if meta.exists() else ""
        marked = '"building": true' in text
        seen_mark = seen_mark or marked
        if seen_mark and not marked and text:
            committed = time.monotonic() - started
        time.sleep(0.005)
    if committed is None:
        committed = time.monotonic() - started
    process.wait(timeout=600)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    return committed


def _kill_loop(tmp_path: Path, steward_quads: int, rounds: int) -> dict[str, int]:
    root, file_quads = _prepare(tmp_path, steward_quads)
    env = _env(tmp_path, root)
    _set_marker(root, 1)
    window = _committed_after(tmp_path, env)
    rng = random.Random(20260901)
    outcomes = {"old": 0, "new": 0}
    for i in range(rounds):
        previous, current = i + 1, i + 2
        _set_marker(root, current)
        process = _build(env)
        time.sleep(rng.uniform(0.0, window * 1.1))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        steward, files, markers = _inspect(tmp_path)
        assert steward == steward_quads, f"round {i}: the steward graph has {steward} quads"
        assert files == file_quads, f"round {i}: the file-backed graphs hold {files} quads, not {file_quads}"
        assert markers in ([str(previous)], [str(current)]), f"round {i}: markers {markers}"
        if markers == [str(previous)]:
            outcomes["old"] += 1
            assert stored_hash(tmp_path / "store") != _hash(root)  # so the next start builds the new sources
        else:
            outcomes["new"] += 1
        assert _finish(tmp_path, root) == [str(current)]
    return outcomes


def _hash(root: Path) -> str:
    from iopgraph.core.sources import content_hash

    return content_hash(graph_sources(root))


def _finish(folder: Path, root: Path) -> list[str]:
    """What the next start does (``ensure_built`` on the sources): it must bring the store to the current sources."""
    store = open_store(folder / "store")
    try:
        ensure_built(store, folder / "store", graph_sources(root))
    finally:
        del store
        gc.collect()
    assert not build_interrupted(folder / "store")
    return _inspect(folder)[2]


def test_build_kill_loop_short(tmp_path: Path) -> None:
    outcomes = _kill_loop(tmp_path, steward_quads=20_000, rounds=4)
    assert sum(outcomes.values()) == 4


@pytest.mark.slow
def test_build_kill_loop_large_steward_graph(tmp_path: Path) -> None:
    outcomes = _kill_loop(tmp_path, steward_quads=500_000, rounds=12)
    record("build kill loop", steward_quads=500_000, **outcomes)


def test_an_interrupted_build_is_noticed_and_redone(tmp_path: Path) -> None:
    """A build that marked the store and died is redone by the next start, even on unchanged sources."""
    root, file_quads = _prepare(tmp_path, steward_quads=10)
    meta = tmp_path / "store.iopgraph-store.json"
    digest = json.loads(meta.read_text())["source_hash"]
    # What a SIGKILL between the mark and the commit leaves behind (the old graph, a marked hash file).
    meta.write_text(json.dumps({"building": True, "source_hash": digest}))
    assert build_interrupted(tmp_path / "store") and stored_hash(tmp_path / "store") is None
    store = open_store(tmp_path / "store")
    outcome = ensure_built(store, tmp_path / "store", graph_sources(root))
    del store
    gc.collect()
    assert outcome.rebuilt and outcome.quads == file_quads
    assert not build_interrupted(tmp_path / "store")
    assert _inspect(tmp_path) == (10, file_quads, ["0"])


def test_a_source_that_does_not_parse_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    root, file_quads = _prepare(tmp_path, steward_quads=10)
    (root / "data" / "zz-marker.ttl").write_text("<broken")
    done = subprocess.run(
        [str(BIN / "iopgraph"), "build", "--force"],
        env=_env(tmp_path, root),
        capture_output=True,
        timeout=600,
    )
    assert done.returncode == 2, done.stderr.decode()
    assert _inspect(tmp_path) == (10, file_quads, ["0"])
