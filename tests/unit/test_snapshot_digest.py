"""The store digest's scratch dump has no name: a process killed in the middle of it leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from iopgraph.store.snapshot import digest_of_store, dump

EX = "http://example.org/"


def _store(n: int) -> ox.Store:
    store = ox.Store()
    store.extend(
        ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}p"), ox.Literal(f"value {i}")) for i in range(n)
    )
    return store


def test_the_digest_is_the_hash_of_the_dump(tmp_path: Path) -> None:
    store = _store(50)
    named = tmp_path / "dump.nq"
    assert digest_of_store(store, background=False) == dump(store, named)
    assert len(named.read_bytes().splitlines()) == 50


def test_a_digest_changes_with_the_content() -> None:
    store = _store(5)
    before = digest_of_store(store)
    store.add(ox.Quad(ox.NamedNode(f"{EX}x"), ox.NamedNode(f"{EX}p"), ox.Literal("new")))
    assert digest_of_store(store) != before


def test_a_process_killed_while_it_digests_leaves_no_file(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    script = (
        "import pyoxigraph as ox, sys\n"
        "from iopgraph.store.snapshot import digest_of_store\n"
        "s = ox.Store()\n"
        f"s.extend(ox.Quad(ox.NamedNode('{EX}s%d' % i), ox.NamedNode('{EX}p'), ox.Literal('v' * 200))"
        " for i in range(300000))\n"
        "print('digesting', flush=True)\n"
        "while True:\n"
        "    digest_of_store(s, background=False)\n"
    )
    env = {**os.environ, "TMPDIR": str(scratch)}
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env) as child:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"digesting"
        time.sleep(0.3)  # in the middle of a dump (one takes longer than this)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert child.returncode == -signal.SIGKILL
    assert list(scratch.iterdir()) == []
