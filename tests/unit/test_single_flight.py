"""Request coalescing (iopgraph.sparql.single_flight): identical requests in flight at once share one run."""

from __future__ import annotations

import asyncio

import pytest

from iopgraph.sparql.single_flight import SingleFlight


class Slow:
    """A run that counts its calls and ends when released (or with ``error``)."""

    def __init__(self, error: Exception | None = None) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.error = error

    async def __call__(self) -> str:
        self.calls += 1
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return f"answer {self.calls}"


async def settle() -> None:
    for _ in range(5):  # let every task reach its await
        await asyncio.sleep(0)


def test_identical_requests_at_once_run_once_and_all_get_the_answer() -> None:
    async def main() -> None:
        flights: SingleFlight[str] = SingleFlight()
        run = Slow()
        tasks = [asyncio.create_task(flights.run("q", run)) for _ in range(5)]
        await settle()
        run.release.set()
        results = await asyncio.gather(*tasks)
        assert run.calls == 1
        assert [r for r, _ in results] == ["answer 1"] * 5
        assert sorted(shared for _, shared in results) == [False, True, True, True, True]
        assert flights.shared == 4 and len(flights) == 0

    asyncio.run(main())


def test_different_keys_and_later_requests_run_on_their_own() -> None:
    async def main() -> None:
        flights: SingleFlight[str] = SingleFlight()
        run = Slow()
        run.release.set()
        await asyncio.gather(flights.run("a", run), flights.run("b", run))
        assert run.calls == 2
        await flights.run("a", run)  # the first "a" has ended: nothing is in flight
        assert run.calls == 3 and flights.shared == 0

    asyncio.run(main())


def test_the_leaders_error_reaches_every_follower() -> None:
    async def main() -> None:
        flights: SingleFlight[str] = SingleFlight()
        run = Slow(ValueError("malformed"))
        tasks = [asyncio.create_task(flights.run("q", run)) for _ in range(3)]
        await settle()
        run.release.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert run.calls == 1
        assert all(isinstance(r, ValueError) and str(r) == "malformed" for r in results)

    asyncio.run(main())


def test_a_cancelled_leader_hands_over_to_a_follower() -> None:
    """The leader's client went away: its run is cancelled, and a follower runs the query itself."""

    async def main() -> None:
        flights: SingleFlight[str] = SingleFlight()
        run = Slow()
        leader = asyncio.create_task(flights.run("q", run))
        await settle()
        followers = [asyncio.create_task(flights.run("q", run)) for _ in range(2)]
        await settle()
        leader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leader
        await settle()
        run.release.set()
        results = await asyncio.gather(*followers)
        assert run.calls == 2  # the cancelled one, then one of the followers for both
        assert sorted(shared for _, shared in results) == [False, True]
        assert {r for r, _ in results} == {"answer 2"}

    asyncio.run(main())


def test_a_cancelled_follower_leaves_the_leader_running() -> None:
    async def main() -> None:
        flights: SingleFlight[str] = SingleFlight()
        run = Slow()
        leader = asyncio.create_task(flights.run("q", run))
        await settle()
        follower = asyncio.create_task(flights.run("q", run))
        await settle()
        follower.cancel()
        with pytest.raises(asyncio.CancelledError):
            await follower
        run.release.set()
        assert await leader == ("answer 1", False)
        assert run.calls == 1

    asyncio.run(main())
