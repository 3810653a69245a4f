"""The precompute task (iopgraph.http.warmup) over a stand-in ASGI app: what it asks for, and when it stops."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Response
from starlette.types import Receive, Scope, Send

from iopgraph.http.conditional import representation_key
from iopgraph.http.representation_cache import RepresentationCache
from iopgraph.http.warmup import Target, Warmer

TARGETS = (Target("/a"), Target("/b", "x=1", "application/ld+json"), Target("/c"))


class Recorder:
    """An ASGI app that answers 200 (404 for /c) and records each request; ``on_call`` runs first."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[bytes, bytes]]] = []
        self.on_call: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls.append((scope["path"], scope["query_string"].decode(), dict(scope["headers"])))
        if self.on_call:
            self.on_call()
        await send({"type": "http.response.start", "status": 404 if scope["path"] == "/c" else 200})
        await send({"type": "http.response.body", "body": b""})


def test_a_run_asks_for_each_target_with_its_accept_and_counts_the_200s() -> None:
    app = Recorder()
    warmer = Warmer(app, RepresentationCache(1000, lambda: "v1"), lambda: "v1", TARGETS, delay=0)

    async def run() -> None:
        warmer.schedule()
        await warmer.wait()

    asyncio.run(run())
    assert [(p, q) for p, q, _ in app.calls] == [("/a", ""), ("/b", "x=1"), ("/c", "")]
    assert app.calls[1][2][b"accept"] == b"application/ld+json"
    assert (warmer.runs, warmer.stored) == (1, 2)


def test_a_run_stops_when_the_store_version_moves_and_a_new_write_cancels_it() -> None:
    app = Recorder()
    version = ["v1"]
    warmer = Warmer(app, RepresentationCache(1000, lambda: version[0]), lambda: version[0], TARGETS, delay=0)
    app.on_call = lambda: version.__setitem__(0, "v2")  # a write lands while the first page is made

    async def run() -> None:
        warmer.schedule()
        await warmer.wait()
        assert [p for p, _, _ in app.calls] == ["/a"]  # the pages of v1 are not made any further
        app.on_call = None
        slow = Warmer(app, warmer.cache, lambda: version[0], TARGETS, delay=10)
        slow.schedule()
        first = slow._task
        await slow.on_write(object())  # a newer write: the pending run is cancelled, a new one starts
        await asyncio.sleep(0)
        assert first is not None and first.cancelled()
        await slow.close()

    asyncio.run(run())


def test_nothing_is_precomputed_with_the_cache_off() -> None:
    app = Recorder()

    async def run() -> None:
        for cache in (None, RepresentationCache(0, lambda: "v1")):
            warmer = Warmer(app, cache, lambda: "v1", TARGETS, delay=0)
            warmer.schedule()
            await warmer.wait()
            assert not warmer.enabled and warmer.runs == 0

    asyncio.run(run())
    assert app.calls == []


def test_after_a_write_only_the_pages_served_from_the_cache_before_are_made_again() -> None:
    version = ["v1"]
    cache = RepresentationCache(100_000, lambda: version[0])
    warmer = Warmer(Recorder(), cache, lambda: version[0], TARGETS, delay=0)
    assert warmer.wanted() == TARGETS  # nothing served yet (start-up): everything
    for path, query in (("/b", "x=1"), ("/c", "")):
        key = representation_key("v1", path, query, "text/html")
        cache.put(key, "v1", Response(b"page", media_type="text/html"))
    assert cache.get(representation_key("v1", "/b", "x=1", "text/html"), "v1") is not None  # served
    version[0] = "v2"  # a write
    assert warmer.wanted() == (TARGETS[1],)  # /b was served at v1; /c was kept but nobody asked
    version[0] = "v3"  # a write with no visitor in between: all of them again
    assert warmer.wanted() == TARGETS
