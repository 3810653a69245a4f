"""Identical requests in flight at once share one run (request coalescing, as a caching proxy does).

Many clients asking the same uncached query at the same moment (a harvester's burst, a dashboard
opened by a class) would each take a query worker and compute the same answer; and each heavy scan
in a worker copies the graph pages it walks (docs/memory-and-startup.md). The first request runs;
the others with the same key await its outcome, and get its answer or its error.

A follower whose leader was cancelled (the leader's client went away, so its worker was killed)
does not inherit the cancellation: it runs the query itself, or follows a newer leader.

    flights = SingleFlight()
    outcome, shared = await flights.run(key, lambda: backend.run_query(job, timeout, client))
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


def _consume(future: asyncio.Future[object]) -> None:
    """Mark a leader's error as retrieved: a burst may have no follower left to read it."""
    if not future.cancelled():
        future.exception()


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._flights: dict[Hashable, asyncio.Future[T]] = {}
        self.shared = 0  # requests answered by a run already in flight

    def __len__(self) -> int:
        return len(self._flights)

    async def run(self, key: Hashable, make: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """``make()``'s result, or that of the identical run already in flight; True if it was shared."""
        while (leader := self._flights.get(key)) is not None:
            try:
                result = await asyncio.shield(leader)
                self.shared += 1
                return result, True
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not leader.cancelled() or (task is not None and task.cancelling()):
                    raise  # this request itself was cancelled
                # The leader was cancelled: run it ourselves (or follow whoever took over).
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_consume)  # type: ignore[arg-type]
        self._flights[key] = future
        try:
            result = await make()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            raise
        else:
            future.set_result(result)
            return result, False
        finally:
            if self._flights.get(key) is future:
                del self._flights[key]
