"""Precomputed pages: the representations people hit most, rendered into the cache before anyone asks.

At start-up and after each accepted write, a background task asks the app's own
routes for the home page, the challenge tree, the matrix, the list pages and the
first page of each API collection, so that the next visitor is answered from the
:class:`~iopgraph.http.representation_cache.RepresentationCache`. The requests go
through the app's router (not its middleware: no access-log line, no metrics),
so a precomputed page is the page the route would build on demand, byte for byte,
and it is stored under the same key, at the store version it was made at.

Never stale: entries are keyed on the store version (the cache drops every entry
the moment the version moves, and refuses a page made while a write landed), so a
GET after a write gets the new page or computes it. After a write only the targets that
were served from the cache at the version before are made again (the pages people hit; all
of them when nobody asked for any, as at start-up), so a busy server with frequent writes
spends no CPU on pages nobody reads. Never in the way of a write:
the write's listener only schedules the task (after ``delay`` seconds, which also
folds a burst of writes into one run); a newer write cancels a run still going.
With the cache off (``IOPGRAPH_PAGE_CACHE_BYTES=0``, e.g. several API processes
over one store) nothing is precomputed; nor on a graph too large for the embedded store's
in-memory read copy (``IOPGRAPH_READ_COPY_MAX_QUADS``): there the list pages hold tens of
thousands of members and making them takes seconds of CPU each, which precomputing would take
from the queries at every start and after every write (they are made on demand, then cached).

    warmer = Warmer(app, cache, version=lambda: str(backend.version))
    gate.listeners.append(warmer.on_write)
    warmer.schedule()            # at start-up
    ...
    await warmer.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Scope

from iopgraph.core.media_types import HTML, JSONLD
from iopgraph.http.representation_cache import RepresentationCache

log = logging.getLogger("iopgraph.warmup")


@dataclass(frozen=True)
class Target:
    """One representation to precompute: a path, its raw query string and the ``Accept`` it is asked with."""

    path: str
    query: str = ""
    accept: str = HTML


#: The entry pages, then the first page of each API collection (JSON-LD, their default representation).
TARGETS: tuple[Target, ...] = (
    Target("/"),
    Target("/challenges"),
    Target("/matrix"),
    Target("/use-cases"),
    Target("/mitigations"),
    Target("/recommendations"),
    Target("/organisations"),
    Target("/initiatives"),
    Target("/statistics"),
    *(
        Target(f"/api/{name}", accept=JSONLD)
        for name in (
            "challenges",
            "mitigations",
            "initiatives",
            "organisations",
            "recommendations",
            "statistics",
        )
    ),
)


class Warmer:
    """Renders :data:`TARGETS` into ``cache`` in the background, one run at a time, the latest write winning."""

    def __init__(
        self,
        app: ASGIApp,
        cache: RepresentationCache | None,
        version: Callable[[], str],
        targets: tuple[Target, ...] = TARGETS,
        delay: float = 0.05,
        precompute: bool = True,
    ) -> None:
        """``precompute``: False leaves every page to be made on demand (see the module docstring)."""
        self.app = app
        self.precompute = precompute
        self.cache = cache
        self.version = version
        self.targets = targets
        self.delay = delay
        self._task: asyncio.Task[int] | None = None
        #: how many runs finished, and how many representations the last one stored (for tests and logs)
        self.runs = 0
        self.stored = 0

    @property
    def enabled(self) -> bool:
        return self.precompute and self.cache is not None and self.cache.max_bytes > 0

    def schedule(self) -> None:
        """Start a run (after ``delay``), cancelling one still going: its pages belong to an older version."""
        if not self.enabled:
            return
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="iopgraph-warmup")

    async def on_write(self, outcome: object) -> None:
        """The write gate's listener: schedules a run and returns at once (the write is not kept waiting)."""
        self.schedule()

    async def wait(self) -> None:
        """Until the current run (if any) is over (tests, and a clean shut-down)."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._task)

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    def wanted(self) -> tuple[Target, ...]:
        """What to precompute: the targets people were served from the cache at the version before,
        or all of them when nobody was (at start-up, on a quiet server: its cores are idle anyway)."""
        assert self.cache is not None
        self.cache.refresh()
        served = {tuple(json.loads(key)[1:3]) for key in self.cache.served_before}
        if not served:
            return self.targets
        return tuple(t for t in self.targets if (t.path, t.query) in served)

    async def _run(self) -> int:
        await asyncio.sleep(self.delay)
        started = self.version()
        stored = 0
        targets = self.wanted()
        for target in targets:
            if self.version() != started:
                break  # a newer write: its own run follows
            try:
                stored += await self._get(target)
            except asyncio.CancelledError:
                raise
            except Exception:  # a page that fails here fails on demand too, with its own error
                log.exception("precomputing %s failed", target.path)
        self.runs += 1
        self.stored = stored
        log.info("precomputed %d of %d pages at store version %s", stored, len(targets), started)
        return stored

    async def _get(self, target: Target) -> int:
        """Ask the router for ``target``; 1 if it answered 200 (the route itself stored it in the cache)."""
        status = 0

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])

        async with AsyncExitStack() as stack:
            scope: Scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "GET",
                "scheme": "http",
                "server": ("127.0.0.1", 80),
                "client": None,
                "root_path": "",
                "path": target.path,
                "raw_path": target.path.encode(),
                "query_string": target.query.encode(),
                "headers": [(b"host", b"127.0.0.1"), (b"accept", target.accept.encode())],
                "state": {},
                "fastapi_middleware_astack": stack,
            }
            router = getattr(self.app, "router", self.app)  # below the middleware: no log line, no metrics
            scope["app"] = self.app
            await router(scope, receive, send)
        return 1 if status == 200 else 0
