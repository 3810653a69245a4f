"""N-Quads snapshots of the durable store, from which query workers load their in-memory copy.

Oxigraph dumps the on-disk (RocksDB) store natively (about 6 µs a quad: 6 s at
1M), and the zygote of :mod:`iopgraph.store.pool` parses it in about 3.5 s at 1M;
so the snapshot taken at start-up is kept beside the store
(``<store>.snapshot.nq``) and reused by the next start when:

* its token matches: the sources' content hash and the store's quad count, and
* no write went through the service since it was taken (a write deletes the
  token file before it touches the store).

A store changed behind the service's back with the same sources and the same
count (e.g. a restore of another backup) would still pass, so after a start from
a reused snapshot the backend re-dumps the store in the background and reloads
the workers if the content differs (:func:`digest_of_store`).

    files = SnapshotFiles(store_path)
    path = files.reusable(token) or files.take(store, token)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path

import pyoxigraph as ox

from iopgraph.store.dump_child import Children, dump_in_child, remove_stale, worth_a_child


def _anonymous_file() -> int:
    """A read-write file with no name in the temporary folder: nothing is left behind, even when the
    process is killed in the middle of a dump (named scratch files piled up in /tmp that way)."""
    folder = tempfile.gettempdir()
    with contextlib.suppress(AttributeError, OSError):  # O_TMPFILE: Linux, on most file systems
        return os.open(folder, os.O_TMPFILE | os.O_RDWR, 0o600)
    handle, name = tempfile.mkstemp(prefix="iopgraph-digest-", suffix=".nq", dir=folder)
    os.unlink(name)  # the open handle keeps the file until it is closed
    return handle


def dump(
    store: ox.Store,
    target: Path | None,
    folder: Path | None = None,
    background: bool = False,
    children: Children | None = None,
) -> str:
    """Write the store's quads as N-Quads to ``target`` (if None, to a file without a name, gone once
    hashed); returns the SHA-256 of the bytes. Oxigraph writes the file itself (no Python call per chunk).

    ``folder``: the on-disk store's files; if they are big enough, the dump runs in a child process on a checkpoint
    (:mod:`iopgraph.store.dump_child`: the server keeps none of the memory a full read takes);
    ``background`` runs it at the lowest CPU priority; ``children`` (its owner's) stops it when they stop."""
    if folder is not None and worth_a_child(folder):
        if target is not None:
            return dump_in_child(store, folder, target, background, children)
        with os.fdopen(_anonymous_file(), "w+b") as scratch:
            return dump_in_child(store, folder, scratch.fileno(), background, children)
    if target is not None:
        store.dump(str(target), format=ox.RdfFormat.N_QUADS)
        with target.open("rb") as written:
            return hashlib.file_digest(written, "sha256").hexdigest()
    with os.fdopen(_anonymous_file(), "w+b") as scratch:
        # Oxigraph opens the path itself; /proc/self/fd/N is this nameless file.
        store.dump(f"/proc/self/fd/{scratch.fileno()}", format=ox.RdfFormat.N_QUADS)
        scratch.seek(0)
        return hashlib.file_digest(scratch, "sha256").hexdigest()


def digest_of_store(
    store: ox.Store, folder: Path | None = None, background: bool = True, children: Children | None = None
) -> str:
    """SHA-256 of the store's N-Quads dump (``folder``: see :func:`dump`); in ``background`` the dump runs
    at the lowest CPU priority (Linux threads have their own nice value), so queries are not slowed by the
    check."""
    if folder is not None and worth_a_child(folder):
        return dump(store, None, folder, background, children)
    if not background:
        return dump(store, None)
    thread = threading.get_native_id()
    before = os.getpriority(os.PRIO_PROCESS, thread)
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, thread, 19)
    try:
        return dump(store, None)
    finally:
        # The thread goes back to a shared pool: it must not stay at the lowest priority.
        with contextlib.suppress(OSError):  # lowering the nice value back needs no privilege only as root
            os.setpriority(os.PRIO_PROCESS, thread, before)


class SnapshotFiles:
    """Snapshot files of one store: the persisted start-up snapshot plus temporary ones after writes."""

    def __init__(
        self, store_path: Path | None, folder: Path | None = None, children: Children | None = None
    ) -> None:
        """``store_path``: where the start-up snapshot is kept (None: never kept); ``folder``: the on-disk
        store's files, if any (dumps then run in a child process, :func:`dump`)."""
        self.folder = folder
        self.children = children
        self.persisted = store_path.parent / f"{store_path.name}.snapshot.nq" if store_path else None
        self.meta = store_path.parent / f"{store_path.name}.snapshot.json" if store_path else None
        if folder is None:
            self.scratch = Path(tempfile.mkdtemp(prefix="iopgraph-snapshot-"))
        else:
            # Beside the store, so what a killed server left (a snapshot after writes is as big as the graph)
            # is removed by the next start, with the dumps' checkpoints; in /tmp it stayed.
            remove_stale(folder)
            self.scratch = folder.parent / f"{folder.name}.snapshots"
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch.mkdir(mode=0o700)
        self._written: list[Path] = []

    def reusable(self, token: str) -> tuple[Path, str] | None:
        """The persisted snapshot and its digest, if it was taken of a store with ``token``."""
        if not (self.persisted and self.meta and self.persisted.exists() and self.meta.exists()):
            return None
        try:
            meta = json.loads(self.meta.read_text())
        except ValueError:
            return None
        if meta.get("token") != token:
            return None
        return self.persisted, str(meta.get("sha256"))

    def take(self, store: ox.Store, version: str, token: str | None) -> tuple[Path, str]:
        """Dump ``store``; persisted (for the next start) when a ``token`` is given, else a scratch file."""
        if token is not None and self.persisted and self.meta:
            self.invalidate()
            partial = self.persisted.with_suffix(".partial")
            digest = dump(store, partial, self.folder, children=self.children)
            partial.replace(self.persisted)
            self.meta.write_text(json.dumps({"token": token, "sha256": digest}))
            return self.persisted, digest
        target = self.scratch / f"{version}.nq"
        digest = dump(store, target, self.folder, children=self.children)
        self._written.append(target)
        # Keep the last two: a worker started from the previous one may still be opening it.
        while len(self._written) > 2:
            self._written.pop(0).unlink(missing_ok=True)
        return target, digest

    def invalidate(self) -> None:
        """Forget the persisted snapshot (before a write changes the store)."""
        if self.meta:
            self.meta.unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)
