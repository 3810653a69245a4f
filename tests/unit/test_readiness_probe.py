"""``Backend.health``: ready only once a query worker has loaded the graph (issue 13)."""

from __future__ import annotations

import asyncio

from iopgraph.store.backend import BackendStats, probe


class _Backend:
    """Just what :func:`probe` reads: a trivial ASK and the pool's counts."""

    def __init__(self, stats: BackendStats) -> None:
        self._stats = stats

    def stats(self) -> BackendStats:
        return self._stats

    async def ask(self, query: str) -> bool:
        return True


def _health(stats: BackendStats) -> tuple[bool, str, object]:
    found = asyncio.run(probe(_Backend(stats), 1.0))  # type: ignore[arg-type]
    return found.ok, found.reason, found.checks.get("query_workers_ready")


def test_live_workers_that_are_still_loading_are_not_ready() -> None:
    assert _health(BackendStats("embedded", workers=2, ready_workers=0)) == (
        False,
        "the query workers are still loading the graph",
        0,
    )


def test_one_loaded_worker_is_ready() -> None:
    assert _health(BackendStats("embedded", workers=2, ready_workers=1)) == (True, "", 1)


def test_remote_mode_does_not_wait_for_its_screening_workers() -> None:
    ok, _, _ = _health(BackendStats("remote", workers=1, ready_workers=0))
    assert ok
