"""Opening and closing the backend the settings ask for; used by the app's lifespan.

Three set-ups, one decision made here:

* ``IOPGRAPH_STORE_URL`` set: a :class:`~iopgraph.store.remote.RemoteBackend` on that SPARQL endpoint;
* ``IOPGRAPH_SOURCES`` set (``iopgraph serve FILE...``): those RDF files loaded into an
  embedded store in ``IOPGRAPH_STORE_PATH`` or, if unset, a temporary folder removed at exit;
* otherwise the embedded store at ``IOPGRAPH_STORE_PATH`` built from ``ontology/`` and
  ``data/`` (rebuilt only when their content hash changed).

    async with open_backend(settings) as backend:
        ...
"""

from __future__ import annotations

import contextlib
import gc
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread

from iopgraph.core.errors import InputError
from iopgraph.core.malloc import release_free_memory
from iopgraph.core.media_types import rdf_source_extensions
from iopgraph.core.settings import Settings
from iopgraph.core.sources import SourceFile, graph_sources
from iopgraph.store.backend import Backend, LocalBackend, worker_options
from iopgraph.store.local import ensure_built, open_store

log = logging.getLogger("iopgraph")


def served_files(paths: list[Path]) -> list[SourceFile]:
    """The RDF files named by ``paths`` (files, or folders searched recursively); one graph each."""
    extensions = rdf_source_extensions() | {"jsonld", "rdf", "owl", "xml"}
    found: list[SourceFile] = []
    for path in paths:
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                if file.suffix.lstrip(".").lower() in extensions:
                    found.append(SourceFile(file.resolve(), "served/" + file.relative_to(path).as_posix()))
        elif path.is_file():
            found.append(SourceFile(path.resolve(), "served/" + path.name))
        else:
            raise InputError(f"{path}: no such file or folder")
    if not found:
        raise InputError(f"no RDF files found in {', '.join(map(str, paths))}")
    return found


@asynccontextmanager
async def open_backend(settings: Settings) -> AsyncIterator[Backend]:
    """The backend for ``settings``, with its query workers started; closed on exit."""
    if settings.store_url:
        from iopgraph.store.remote import RemoteBackend

        remote = RemoteBackend(settings)
        await remote.start(workers=min(settings.query_workers, 2))
        try:
            yield remote
        finally:
            await remote.close()
        return
    temporary: Path | None = None
    if settings.sources:
        files = served_files(settings.sources)
        path = settings.store_path
        if path is None:
            temporary = Path(tempfile.mkdtemp(prefix="iopgraph-serve-"))
            path = temporary / "store"
    else:
        files = graph_sources(settings.root)
        path = settings.resolved_store_path
    store = open_store(path)
    try:
        outcome = await anyio.to_thread.run_sync(ensure_built, store, path, files)
        log.info(
            "store %s: %s (%d quads)", path, "rebuilt" if outcome.rebuilt else "unchanged", outcome.quads
        )
        if outcome.rebuilt:
            # What the build left in this process (RocksDB's caches and write buffers, the loader's freed
            # pages: ~230 MB at 1M triples) goes back to the system: the store is closed, then reopened.
            del store
            gc.collect()
            release_free_memory()
            store = open_store(path)
        # A fresh version per start: ETags issued before a restart (and any writes since) never match.
        backend = LocalBackend(
            store,
            store_path=None if temporary else path,
            snapshot_token=f"{outcome.source_hash}:{outcome.quads}",
            checkpoint_of=path,
            # an in-memory copy for the views while the graph is small enough (none past the limit)
            read_copy_max_quads=settings.read_copy_max_quads
            if outcome.quads <= settings.read_copy_max_quads
            else 0,
        )
        await backend.start(workers=settings.query_workers, **worker_options(settings))
        try:
            yield backend
        finally:
            await backend.close()
            store.flush()
            del backend
    finally:
        # RocksDB releases its lock only when the last reference to the Store is gone.
        with contextlib.suppress(UnboundLocalError):  # the reopen after a build failed: nothing is open
            del store
        gc.collect()
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
