"""Whole-store reads in a child process: the same bytes and count as in process, none of the memory kept,
no checkpoint left behind, a clear error when the child cannot read."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from iopgraph.store import dump_child, local, snapshot

EX = "http://example.org/"


@pytest.fixture(autouse=True)
def any_store_is_read_in_a_child(monkeypatch: pytest.MonkeyPatch) -> None:
    """These stores are small: below ``CHILD_MIN_BYTES`` their reads would run in process."""
    monkeypatch.setattr(dump_child, "CHILD_MIN_BYTES", 0)


def _disk_store(folder: Path, n: int) -> ox.Store:
    store = ox.Store(str(folder))
    store.extend(
        ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}p"), ox.Literal(f"value {i} " + "x" * 80))
        for i in range(n)
    )
    store.flush()
    return store


def _checkpoints(folder: Path) -> list[Path]:
    return sorted(folder.parent.glob(f"{folder.name}{dump_child.SUFFIX}*"))


def test_a_child_dump_writes_what_an_in_process_dump_writes(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    store = _disk_store(folder, 300)
    here, there = tmp_path / "here.nq", tmp_path / "there.nq"
    digest = snapshot.dump(store, here)
    assert snapshot.dump(store, there, folder) == digest
    assert there.read_bytes() == here.read_bytes()
    assert hashlib.sha256(there.read_bytes()).hexdigest() == digest
    assert _checkpoints(folder) == []  # the checkpoint went with the child


def test_the_digest_of_a_store_on_disk_is_taken_in_a_child(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    store = _disk_store(folder, 50)
    before = snapshot.digest_of_store(store, folder)
    assert before == snapshot.digest_of_store(store, background=False)
    store.add(ox.Quad(ox.NamedNode(f"{EX}new"), ox.NamedNode(f"{EX}p"), ox.Literal("new")))
    assert snapshot.digest_of_store(store, folder) != before  # the checkpoint sees the write


def test_the_count_is_the_stores_and_falls_back_in_memory(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    store = _disk_store(folder, 120)
    assert dump_child.count_in_child(store, folder) == 120
    assert local.count_quads(store, folder) == 120
    memory = ox.Store()
    memory.add(ox.Quad(ox.NamedNode(f"{EX}a"), ox.NamedNode(f"{EX}p"), ox.NamedNode(f"{EX}b")))
    assert local.count_quads(memory, tmp_path / "nowhere") == 1  # no RocksDB files there: counted here


def _anon_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss_Anon:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no Pss_Anon")


def test_the_calling_process_keeps_none_of_the_memory_a_full_read_takes(tmp_path: Path) -> None:
    """A full read in process leaves RocksDB's cache behind; the same read in a child leaves nothing."""
    script = (
        "import sys, pyoxigraph as ox\n"
        "from pathlib import Path\n"
        "from iopgraph.store import dump_child, snapshot\n"
        "dump_child.CHILD_MIN_BYTES = 0\n"
        "folder = Path(sys.argv[1])\n"
        "store = ox.Store(str(folder))\n"
        "store.bulk_extend(ox.Quad(ox.NamedNode(f'http://example.org/s{i}'), ox.NamedNode("
        "f'http://example.org/p{i % 7}'), ox.Literal('v' * 60 + str(i))) for i in range(200_000))\n"
        "store.flush(); store.optimize()\n"
        "del store\n"
        "import gc, ctypes; gc.collect(); ctypes.CDLL(None).malloc_trim(0)\n"
        "store = ox.Store(str(folder))\n"
        "def anon():\n"
        "    for l in open('/proc/self/smaps_rollup'):\n"
        "        if l.startswith('Pss_Anon:'): return int(l.split()[1]) / 1024\n"
        "start = anon()\n"
        "snapshot.dump(store, folder.parent / 'child.nq', folder)\n"
        "dump_child.count_in_child(store, folder)\n"
        "child = anon()\n"
        "snapshot.dump(store, folder.parent / 'here.nq')\n"
        "len(store)\n"
        "here = anon()\n"
        "print(start, child, here)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "store")], capture_output=True, text=True, check=True
    ).stdout
    start, child, here = (float(x) for x in out.split())
    assert child - start < 4, out  # what the child read stayed in the child
    assert here - start > child - start + 8, (
        out
    )  # the same reads in process keep the cache: the test can fail


def test_a_child_that_cannot_read_says_why_and_leaves_no_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "store"
    store = _disk_store(folder, 10)
    with pytest.raises(dump_child.DumpError, match="failed: .*"):
        snapshot.dump(store, tmp_path / "no-such-folder" / "x.nq", folder)
    assert _checkpoints(folder) == []


def test_what_a_killed_server_left_beside_the_store_is_removed_at_the_next_start(tmp_path: Path) -> None:
    """Its dumps' checkpoints and its scratch snapshots (written after writes) live beside the store."""
    folder = tmp_path / "store"
    store = _disk_store(folder, 5)
    stale = folder.parent / f"{folder.name}{dump_child.SUFFIX}0123456789ab"
    stale.mkdir()
    (stale / "CURRENT").write_text("x")
    left = snapshot.SnapshotFiles(None, folder)
    written, _ = left.take(store, "v1", None)
    assert written.parent == folder.parent / "store.snapshots" and written.exists()
    # killed here: close() never runs
    again = snapshot.SnapshotFiles(None, folder)
    assert not stale.exists() and not written.exists()
    again.close()
    assert not (folder.parent / "store.snapshots").exists()


def test_the_child_ends_cleanly_while_its_standard_input_is_open(tmp_path: Path) -> None:
    """Its thread watching standard input is still reading when it ends: it exits without the interpreter's
    shutdown (which aborted with "could not acquire lock for <stdin>" when it did not)."""
    folder = tmp_path / "store"
    store = _disk_store(folder, 10)
    checkpoint = tmp_path / "checkpoint"
    store.backup(str(checkpoint))
    with subprocess.Popen(
        [sys.executable, "-m", "iopgraph.store.dump_child", str(checkpoint), "--count"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        out, err = child.stdout.read(), child.stderr.read()  # type: ignore[union-attr]
        assert child.wait(30) == 0, err
    assert out.strip() == "10"
    assert "Fatal Python error" not in err


def test_a_small_store_is_read_in_process_a_big_one_in_a_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "store"
    store = _disk_store(folder, 200)
    size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    children: list[list[str]] = []
    real = subprocess.Popen

    def counting(args: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
        children.append(args)
        return real(args, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(dump_child.subprocess, "Popen", counting)
    monkeypatch.setattr(dump_child, "CHILD_MIN_BYTES", size + 1)
    assert not dump_child.worth_a_child(folder)
    assert local.count_quads(store, folder) == 200 and children == []  # counted here
    monkeypatch.setattr(dump_child, "CHILD_MIN_BYTES", size)
    assert dump_child.worth_a_child(folder)
    assert local.count_quads(store, folder) == 200 and len(children) == 1  # counted by a child
    assert not dump_child.worth_a_child(tmp_path / "missing")
