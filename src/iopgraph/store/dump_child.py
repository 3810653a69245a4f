"""Reading the whole on-disk store in a short-lived child process, so the server does not keep what it reads.

A full read of the RocksDB store fills its block cache: at 1M triples a dump (the workers' snapshot,
the check of a reused one) left ~56 MB in the server process for its lifetime, and counting the
quads at each start (the reused snapshot's token) ~34 MB (pyoxigraph has no setting for the cache;
the memory goes only when the store is closed). So a dump or a count takes a RocksDB checkpoint of
the store beside it (hard links: instant; the store as of that moment, as an in-process read sees
it), and a child process opens the checkpoint read-only, writes the N-Quads and prints their
SHA-256, or prints the count; its memory goes with it. The price: ~15 ms more per start at 1M
triples (the count: 0.132 s in process, 0.147 s in a child); a small store (:data:`CHILD_MIN_BYTES`)
is read in process. The checkpoint is removed after; one left by a killed server is removed by the
next :func:`remove_stale`.

    digest = dump_in_child(store, folder, target)          # in the server (a worker thread)
    quads = count_in_child(store, folder)                  # the quad count, for the snapshot's token
    python -m iopgraph.store.dump_child CHECKPOINT (TARGET [--background] | --count)   # the child

The child ends when its standard input closes (the server stopped or was killed), and with
``--background`` runs at the lowest CPU priority (the check of a reused snapshot must not slow
the queries it runs beside).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

#: The checkpoints of dumps are ``<store>.dump-<id>`` beside the store (hard links need the same file system);
#: the cold workers' are ``<store>.checkpoint-<id>`` (:func:`checkpoint_path`).
SUFFIX = ".dump-"

#: Below this many bytes of store files a full read fills at most that much cache, and starting a child (~50 ms)
#: costs more than it saves: the read runs in process (the shipped graph's store is ~4 MB).
CHILD_MIN_BYTES = 16 * 2**20


def worth_a_child(folder: Path) -> bool:
    """Whether a whole read of the store at ``folder`` should run in a child (its files are big enough)."""
    try:
        with os.scandir(folder) as entries:
            return sum(e.stat().st_size for e in entries if e.is_file()) >= CHILD_MIN_BYTES
    except OSError:
        return False


class DumpError(OSError):
    """The child could not read the store (its message says why)."""


class Children:
    """The children one owner (a backend) runs: :meth:`stop` kills them and waits until every call that
    started one has returned, so no thread of a closed service still reads (or holds) its store."""

    def __init__(self) -> None:
        self._state = threading.Condition()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._calls = 0
        self._stopped = False

    @contextlib.contextmanager
    def call(self) -> Iterator[None]:
        with self._state:
            if self._stopped:
                raise DumpError("the service is shutting down")
            self._calls += 1
        try:
            yield
        finally:
            with self._state:
                self._calls -= 1
                self._state.notify_all()

    def started(self, child: subprocess.Popen[bytes]) -> None:
        with self._state:
            self._running.add(child)
            if self._stopped:
                child.kill()

    def ended(self, child: subprocess.Popen[bytes]) -> None:
        with self._state:
            self._running.discard(child)

    def stop(self, timeout: float = 10.0) -> None:
        """Kill the running children; wait (at most ``timeout`` s) for the calls that run them to return."""
        with self._state:
            self._stopped = True
            for child in self._running:
                child.kill()
            self._state.wait_for(lambda: self._calls == 0, timeout)


def checkpoint_path(folder: Path, suffix: str = SUFFIX) -> Path:
    """A new checkpoint's folder beside the store at ``folder``: ``<store><suffix><id>``."""
    return folder.parent / f"{folder.name}{suffix}{uuid.uuid4().hex[:12]}"


def remove_stale(folder: Path, suffix: str = SUFFIX) -> None:
    """Remove the checkpoints (of dumps, or with ``suffix``) a killed server left beside the store at ``folder``."""
    for stale in folder.parent.glob(f"{folder.name}{suffix}*"):
        shutil.rmtree(stale, ignore_errors=True)


def dump_in_child(
    store: ox.Store,
    folder: Path,
    target: Path | int,
    background: bool = False,
    children: Children | None = None,
) -> str:
    """Write ``store`` (whose files are at ``folder``) as N-Quads to ``target`` (a path, or an open file
    descriptor) from a child process; returns the SHA-256 of the bytes."""
    out = f"/proc/self/fd/{target}" if isinstance(target, int) else str(target)
    fds = (target,) if isinstance(target, int) else ()
    return _in_child(store, folder, [out, *(["--background"] if background else [])], fds, children)


def count_in_child(store: ox.Store, folder: Path) -> int:
    """The number of quads in ``store`` (whose files are at ``folder``), counted by a child process:
    counting walks a whole index (~34 MB of RocksDB cache kept at 1M triples when done in process)."""
    return int(_in_child(store, folder, ["--count"], (), None))


def _in_child(
    store: ox.Store, folder: Path, args: list[str], fds: tuple[int, ...], children: Children | None
) -> str:
    """Checkpoint ``store`` beside ``folder``, run the child on it with ``args``; its last line."""
    with children.call() if children is not None else contextlib.nullcontext():
        checkpoint = checkpoint_path(folder)
        try:
            store.backup(str(checkpoint))
            with subprocess.Popen(
                [sys.executable, "-m", "iopgraph.store.dump_child", str(checkpoint), *args],
                stdin=subprocess.PIPE,  # kept open until the child ends: its end of file means "stop"
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=fds,
            ) as child:
                if children is not None:
                    children.started(child)
                try:
                    assert child.stdout is not None
                    said = child.stdout.read().decode(errors="replace").strip().splitlines()
                    code = child.wait()
                finally:
                    if children is not None:
                        children.ended(child)
            if code != 0 or not said:
                why = said[-1] if said else f"exit status {code}"
                raise DumpError(f"reading the store at {folder} failed: {why}")
            return said[-1]
        finally:
            shutil.rmtree(checkpoint, ignore_errors=True)


def _end_with_stdin() -> None:
    sys.stdin.buffer.read()
    os._exit(1)


def main(argv: list[str]) -> int:
    flags = {arg for arg in argv if arg.startswith("--")}
    paths = [arg for arg in argv if not arg.startswith("--")]
    count = "--count" in flags
    if len(paths) != (1 if count else 2) or flags - {"--background", "--count"}:
        print("usage: python -m iopgraph.store.dump_child CHECKPOINT (TARGET [--background] | --count)")
        return 2
    threading.Thread(target=_end_with_stdin, daemon=True).start()
    if "--background" in flags:
        os.nice(19)
    try:
        store = ox.Store.read_only(paths[0])
        if count:
            print(len(store))
            return 0
        store.dump(paths[1], format=ox.RdfFormat.N_QUADS)
        with open(paths[1], "rb") as written:
            print(hashlib.file_digest(written, "sha256").hexdigest())
    except (OSError, ValueError) as exc:
        print(f"{type(exc).__name__}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    status = main(sys.argv[1:])
    sys.stdout.flush()
    os._exit(status)  # not through the interpreter's shutdown: the stdin thread is still reading
