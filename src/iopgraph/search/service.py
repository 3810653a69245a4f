"""The search index of one running service: built at start-up, kept in step with every accepted write.

    search = await open_search(settings, backend)     # in the app's lifespan
    page = await search.search(parse("trust"), {}, 0, 20)
    await search.refresh(["https://w3id.org/iopgraph/id/initiative/x"])   # after a write, before its 2xx
    await search.close()

At start the index file is reused as it is when it was built from the store content the
service starts on: the backend's :meth:`~iopgraph.store.backend.Backend.content_digest`
(the SHA-256 of the store's N-Quads dump, which the embedded store computes anyway for its
query workers' snapshot) together with the code that makes records, compared with the key
the index recorded (:attr:`SearchIndex.store_key`). Otherwise (a remote store, a write since
the index was built, a changed store or code) the records are read from the store and their
digest compared with the one the index file was built from: equal → the file is reused;
different or missing (new sources, a CLI load, a write since, no file) → rebuilt.
That check runs in the background, so it never delays the start (at 1M triples reading
the records takes tens of seconds): an index file built before answers searches at once
(writes through the service keep it current, so it is stale only after a change made
outside the service, until the check ends); with no file, the first search waits for the
build. :meth:`SearchService.start` schedules it, :meth:`SearchService.ready` awaits it.
The file lives beside the store (``var/store.search.sqlite``); a temporary store
(``iopgraph serve FILE``) and a remote store get an in-memory index.

The write gate calls :meth:`SearchService.refresh` as a listener after the
store accepted a write and before the write is acknowledged, so a new resource is
findable as soon as its 201 arrives; a rejected write never reaches the store,
hence never the index.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import sqlite3
from dataclasses import asdict
from functools import cache
from pathlib import Path

import anyio.to_thread

from iopgraph.core.malloc import release_free_memory
from iopgraph.core.settings import Settings
from iopgraph.search import index as index_module
from iopgraph.search import records as records_module
from iopgraph.search.index import SearchIndex, SearchPage, Suggestion
from iopgraph.search.query import ParsedQuery
from iopgraph.search.records import Record, read_records
from iopgraph.store.backend import Backend

log = logging.getLogger("iopgraph.search")


def index_path(settings: Settings) -> Path | None:
    """Where the index file of these settings lives (None: in memory)."""
    if settings.store_url or (settings.sources and settings.store_path is None):
        return None
    store = settings.resolved_store_path
    return store.parent / f"{store.name}.search.sqlite"


def records_digest(records: list[Record]) -> str:
    text = json.dumps([asdict(r) for r in records], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@cache
def _code_digest() -> str:
    """What makes records and index rows: an index built by other code is not reused on the store's word."""
    code = hashlib.sha256()
    for module in (records_module, index_module):
        code.update(Path(str(module.__file__)).read_bytes())
    return code.hexdigest()


def store_key(content_digest: str) -> str:
    """The key of an index built from the store content ``content_digest`` by this code."""
    return hashlib.sha256(f"{content_digest} {_code_digest()}".encode()).hexdigest()


class SearchService:
    """Asynchronous access to a :class:`SearchIndex` over one backend."""

    def __init__(self, index: SearchIndex, backend: Backend) -> None:
        self.index = index
        self.backend = backend
        self.rebuilt = False
        self.generation = 0  # bumped on every change of the index: part of the ETags of search answers
        self.stale = True  # not built yet, or the last build failed (e.g. a remote store was down)
        self._lock = asyncio.Lock()  # one build or refresh at a time: a refresh never lost under a rebuild
        self._startup: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Check (and if need be rebuild) the index in the background; an earlier index answers meanwhile."""
        if self.index.digest is not None:
            self.stale = False  # built from the store before: answer from it while the check runs
        self._startup = asyncio.ensure_future(self._check_at_start())

    async def _check_at_start(self) -> None:
        try:
            version = self.backend.version
            content = await self.backend.content_digest()
            key = store_key(content) if content is not None and self.backend.version == version else None
            if key is not None and key == self.index.store_key:
                log.info("search index: reused (built from the same store content)")
                self.stale = False
                return
            async with self._lock:
                await self._build_locked(key if self.backend.version == version else None)
        except Exception as exc:  # the service still runs; the first search tries again
            self.stale = True
            log.warning("search index: not built at start (%s); the first search will try again", exc)

    async def ready(self) -> None:
        """Wait for the start-up check to end (tests, the CLI)."""
        if self._startup is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._startup)

    async def build(self) -> None:
        """Reuse the index if it was built from exactly the store's current records; rebuild it otherwise."""
        async with self._lock:
            await self._build_locked()

    async def _build_locked(self, key: str | None = None) -> None:
        """``key``: the :func:`store_key` of the content the records are read from, if known; recorded
        with the index unless a write came in while they were read."""
        version = self.backend.version
        records = await read_records(self.backend)
        digest = await anyio.to_thread.run_sync(records_digest, records)
        if self.index.digest == digest:
            log.info("search index: reused (%d resources)", len(records))
            self.stale = False
        else:
            await anyio.to_thread.run_sync(self.index.rebuild, records, digest)
            self.rebuilt, self.stale = True, False
            self.generation += 1
            log.info("search index: built (%d resources)", len(records))
            # the records' pages go back to the system (~240 MB at 1M triples, kept by the allocator else)
            del records
            await anyio.to_thread.run_sync(release_free_memory)
        if key is not None and self.backend.version == version:
            await anyio.to_thread.run_sync(self.index.mark_store, key)

    async def refresh(self, iris: list[str]) -> None:
        """Re-index ``iris`` from the store (after a write changed their descriptions)."""
        if not iris:
            return
        async with self._lock:
            try:
                records = await read_records(self.backend, iris)
                await anyio.to_thread.run_sync(self.index.update, iris, records)
                self.generation += 1
            except Exception:
                log.exception("search index: updating %d resources failed; rebuilding it", len(iris))
                await self._build_locked()

    async def ensure_built(self) -> None:
        """Build the index if it has none yet (first start) or the start-up build failed (store unreachable)."""
        if self.stale:
            async with self._lock:
                if self.stale:
                    await self._build_locked()

    async def search(
        self, query: ParsedQuery, filters: dict[str, list[str]], offset: int, limit: int
    ) -> SearchPage:
        await self.ensure_built()
        return await anyio.to_thread.run_sync(self.index.search, query, filters, offset, limit)

    async def initials(self, filters: dict[str, list[str]]) -> list[tuple[str, int]]:
        await self.ensure_built()
        return await anyio.to_thread.run_sync(self.index.initials, filters)

    async def suggest(self, query: ParsedQuery, limit: int) -> list[Suggestion]:
        await self.ensure_built()
        return await anyio.to_thread.run_sync(self.index.suggest, query, limit)

    async def close(self) -> None:
        """Stop the start-up check and wait for it to end (a task cancelled and left pending keeps its frames,
        hence the backend and its store, alive past shutdown), then close the index."""
        startup, self._startup = self._startup, None
        if startup is not None and not startup.done():
            startup.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await startup
        self.index.close()


async def open_search(settings: Settings, backend: Backend) -> SearchService:
    """The service's search index, built or reused (see the module docstring)."""
    path = index_path(settings)
    try:
        index = SearchIndex(path)
    except sqlite3.DatabaseError as exc:  # not an SQLite file (damaged, truncated): it is only a cache
        assert path is not None
        log.warning("search index %s is unreadable (%s); building a new one", path, exc)
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        index = SearchIndex(path)
    service = SearchService(index, backend)
    service.start()
    return service
