"""iopgraph.http.deferred: made on first use, once, off the event loop; a failure is tried again."""

from __future__ import annotations

import asyncio
import threading

import pytest

from iopgraph.http.deferred import Deferred


def test_nothing_is_made_until_asked_then_once_for_concurrent_callers() -> None:
    calls: list[str] = []

    def make() -> str:
        calls.append(threading.current_thread().name)
        return "made"

    deferred = Deferred(make)
    assert calls == [] and not deferred.made

    async def main() -> tuple[list[str], str]:
        loop_thread = threading.current_thread().name
        results = await asyncio.gather(*(deferred.get() for _ in range(5)))
        return results, loop_thread

    results, loop_thread = asyncio.run(main())
    assert results == ["made"] * 5
    assert len(calls) == 1 and deferred.made
    assert calls[0] != loop_thread  # made in a worker thread, not on the event loop


def test_a_failure_reaches_the_caller_and_the_next_call_tries_again() -> None:
    attempts: list[int] = []

    def make() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("shapes unreadable")
        return 42

    deferred = Deferred(make)

    async def main() -> int:
        with pytest.raises(OSError, match="shapes unreadable"):
            await deferred.get()
        return await deferred.get()

    assert asyncio.run(main()) == 42
    assert len(attempts) == 2
