"""The search index of one running service: built at start-up, kept in step with every accepted write.

    search = await open_search(settings, backend)     # in the app's lifespan
    page = await search.search(parse("trust"), {}, 0, 20)
    await search.refresh(["https://w3id.org/iopgraph/id/initiative/x"])   # after a write, before its 2xx
    search.close()

At start the records are read from the store and their digest compared with the
one the index file was built from: equal → the file is reused as it is;
different or missing (new sources, a CLI load, a write since, no file) → rebuilt.
The file lives beside the store (``var/store.search.sqlite``); a temporary store
(``iopgraph serve FILE``) and a remote store get an in-memory index.

The write gate calls :meth:`SearchService.refresh` as a listener after the
store accepted a write and before the write is acknowledged, so a new resource is
findable as soon as its 201 arrives; a rejected write never reaches the store,
hence never the index.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from dataclasses import asdict
from pathlib import Path

import anyio.to_thread

from iopgraph.core.settings import Settings
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


class SearchService:
    """Asynchronous access to a :class:`SearchIndex` over one backend."""

    def __init__(self, index: SearchIndex, backend: Backend) -> None:
        self.index = index
        self.backend = backend
        self.rebuilt = False
        self.generation = 0  # bumped on every change of the index: part of the ETags of search answers
        self.stale = True  # not built yet, or the last build failed (e.g. a remote store was down)

    async def build(self) -> None:
        """Reuse the index if it was built from exactly the store's current records; rebuild it otherwise."""
        records = await read_records(self.backend)
        digest = await anyio.to_thread.run_sync(records_digest, records)
        if self.index.digest == digest:
            log.info("search index: reused (%d resources)", len(records))
            self.stale = False
            return
        await anyio.to_thread.run_sync(self.index.rebuild, records, digest)
        self.rebuilt, self.stale = True, False
        self.generation += 1
        log.info("search index: built (%d resources)", len(records))

    async def refresh(self, iris: list[str]) -> None:
        """Re-index ``iris`` from the store (after a write changed their descriptions)."""
        if not iris:
            return
        try:
            records = await read_records(self.backend, iris)
            await anyio.to_thread.run_sync(self.index.update, iris, records)
            self.generation += 1
        except Exception:
            log.exception("search index: updating %d resources failed; rebuilding it", len(iris))
            await self.build()

    async def ensure_built(self) -> None:
        """Build the index if the start-up build failed (the store was unreachable then)."""
        if self.stale:
            await self.build()

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

    def close(self) -> None:
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
    try:
        await service.build()
    except Exception as exc:  # the service still starts; the first search tries again
        log.warning("search index: not built at start (%s); the first search will try again", exc)
    return service
