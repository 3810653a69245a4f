"""The query workers share one in-memory copy of the graph: a zygote loads it once and forks them.

Real processes throughout: a :class:`WorkerPool` with its zygote and forked workers, and a real
``iopgraph serve``. What is checked: the workers are children of the zygote and share its pages
(their PSS, which counts a shared page 1/n, is well below their RSS); a worker forked after a
timeout kill has every write sent before it; a dead zygote is replaced while the workers answer;
cold workers answer from a read-only RocksDB checkpoint until the copy is loaded, and a write in
that phase is not lost; a restarted server reuses its snapshot and answers from the checkpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from iopgraph.query.errors import QueryTimeout
from iopgraph.store.engine import QueryJob
from iopgraph.store.pool import WorkerPool
from support.paths import ROOT
from support.server import ServerProcess

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { VALUES ?a { %s } VALUES ?b { %s } VALUES ?c { %s } }" % (
    (" ".join(str(i) for i in range(400)),) * 3
)
JSON = "application/sparql-results+json"


def ask(text: str) -> QueryJob:
    return QueryJob(query=f"ASK {{ {text} }}", form="ASK", media_type=JSON, max_results=1)


def parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def memory_kb(pid: int) -> dict[str, int]:
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    return {line.split(":")[0]: int(line.split()[1]) for line in rollup if line.endswith(" kB")}


def quads(n: int) -> bytes:
    return "".join(f'<urn:s{i}> <urn:p> "value number {i}" <urn:g> .\n' for i in range(n)).encode()


def run_pool(body: Callable[[WorkerPool], Awaitable[None]], snapshot: Path, size: int = 1) -> None:
    async def make() -> Path:
        return snapshot

    async def main() -> None:
        pool = WorkerPool(size, make)
        await pool.start()
        try:
            await body(pool)
        finally:
            await pool.close()

    asyncio.run(main())


async def until(check: Callable[[], bool], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


def test_workers_are_forked_from_the_zygote_and_share_its_pages(tmp_path: Path) -> None:
    snapshot = tmp_path / "graph.nq"
    snapshot.write_bytes(quads(100_000))

    async def body(pool: WorkerPool) -> None:
        for _ in range(4):  # every worker answers at least once
            outcome = await pool.run(ask('<urn:s99999> <urn:p> "value number 99999"'), timeout=60)
            assert b"true" in outcome.body
        zygote = pool.zygote_pid
        assert zygote is not None and len(pool.pids) == 2
        assert all(parent_of(pid) == zygote for pid in pool.pids)
        assert pool.zygote_info["quads"] == 100_000
        for pid in pool.pids:
            memory = memory_kb(pid)
            # The graph and the interpreter are the zygote's pages: counted 1/3 in each worker's PSS.
            assert memory["Pss"] < 0.7 * memory["Rss"], memory

    run_pool(body, snapshot, size=2)


def test_a_worker_forked_after_a_timeout_kill_has_every_earlier_write(tmp_path: Path) -> None:
    snapshot = tmp_path / "graph.nq"
    snapshot.write_bytes(quads(10))
    added = b'<urn:new> <urn:p> "written" <urn:g> .\n'

    async def body(pool: WorkerPool) -> None:
        async with pool.lock:
            await pool.broadcast_write(b'<urn:s1> <urn:p> "value number 1" <urn:g> .\n', added)
        [before] = pool.pids
        with pytest.raises(QueryTimeout):
            await pool.run(QueryJob(query=SLOW, form="SELECT", media_type=JSON, max_results=1), timeout=1)
        await until(lambda: bool(pool.pids) and pool.pids != [before])
        assert parent_of(pool.pids[0]) == pool.zygote_pid
        assert b"true" in (await pool.run(ask('<urn:new> <urn:p> "written"'), timeout=60)).body
        assert b"false" in (await pool.run(ask("<urn:s1> ?p ?o"), timeout=60)).body

    run_pool(body, snapshot)


def test_a_dead_zygote_is_replaced_and_the_workers_answer_meanwhile(tmp_path: Path) -> None:
    snapshot = tmp_path / "graph.nq"
    snapshot.write_bytes(quads(10))

    async def body(pool: WorkerPool) -> None:
        first = pool.zygote_pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        assert b"true" in (await pool.run(ask("<urn:s3> ?p ?o"), timeout=60)).body  # the worker lives on
        await until(lambda: pool.zygote_pid not in (None, first))
        [before] = pool.pids
        with pytest.raises(QueryTimeout):
            await pool.run(QueryJob(query=SLOW, form="SELECT", media_type=JSON, max_results=1), timeout=1)
        assert b"true" in (await pool.run(ask("<urn:s3> ?p ?o"), timeout=60)).body
        assert pool.pids != [before] and parent_of(pool.pids[0]) == pool.zygote_pid

    run_pool(body, snapshot)


def test_cold_workers_answer_from_a_checkpoint_until_the_copy_is_loaded(tmp_path: Path) -> None:
    store = ox.Store(str(tmp_path / "store"))
    store.load(quads(50), format=ox.RdfFormat.N_QUADS)
    store.flush()
    snapshot = tmp_path / "graph.nq"
    store.dump(str(snapshot), format=ox.RdfFormat.N_QUADS)
    checkpoint = tmp_path / "checkpoint"
    store.backup(str(checkpoint))
    added = b'<urn:during> <urn:p> "the cold phase" <urn:g> .\n'

    async def main() -> None:
        release = asyncio.Event()

        async def make_snapshot() -> Path:
            await release.wait()  # the in-memory copy is held back until the test lets it load
            return snapshot

        async def make_checkpoint() -> Path:
            return checkpoint

        pool = WorkerPool(2, make_snapshot, checkpoint=make_checkpoint)
        await pool.start(wait=False)
        try:
            await until(lambda: pool.ready_count == 2)
            assert pool.source == "checkpoint"
            result, _ = await pool.call("echo", {}, timeout=60)
            assert result["quads"] == 50  # a RocksDB store, read-only
            assert b"true" in (await pool.run(ask("<urn:s49> ?p ?o"), timeout=60)).body
            release.set()
            async with pool.lock:  # a write before the copy is loaded: the cold workers cannot follow it
                await pool.broadcast_write(b"", added)
            assert pool.source != "checkpoint"
            assert b"true" in (await pool.run(ask('<urn:during> ?p "the cold phase"'), timeout=60)).body
            assert pool.source == "memory"
            await until(lambda: not checkpoint.exists())
        finally:
            await pool.close()

    asyncio.run(main())


def test_a_live_server_forks_its_workers_and_restarts_from_a_checkpoint(tmp_path: Path) -> None:
    env = {
        "IOPGRAPH_ROOT": str(ROOT),
        "IOPGRAPH_STORE_PATH": str(tmp_path / "store"),
        "IOPGRAPH_QUERY_WORKERS": "2",
        "IOPGRAPH_ACCESS_LOG": "false",
    }
    query = {"query": "ASK { ?s a <http://www.w3.org/2004/02/skos/core#Concept> }"}
    accept = {"Accept": JSON}
    server = ServerProcess(tmp_path, env)
    try:
        server.start(ready="/readyz")
        assert httpx.get(server.url + "/sparql", params=query, headers=accept, timeout=30).json()["boolean"]
        deadline = time.monotonic() + 120
        while "answer from the in-memory copy" not in server.log():
            assert time.monotonic() < deadline, server.log_tail()
            time.sleep(0.1)
        processes = server.children()
        # The forked workers keep the zygote's command line: the zygote is the one the server started.
        zygotes = [p for p in processes if parent_of(p) == server.pid]
        assert len(zygotes) == 1, processes
        assert b"iopgraph.store.zygote" in Path(f"/proc/{zygotes[0]}/cmdline").read_bytes()
        workers = [p for p in processes if p not in zygotes and parent_of(p) == zygotes[0]]
        assert len(workers) == 2
        server.stop()
        assert not list(tmp_path.glob("store.checkpoint-*"))  # removed once the copy was loaded
        first_log = len(server.log())
        server.start(ready="/readyz")
        # Ready means answered: the restart answers at once from the checkpoint, and reuses the snapshot.
        assert httpx.get(server.url + "/sparql", params=query, headers=accept, timeout=30).json()["boolean"]
        restart = server.log()[first_log:]
        assert "answer from a read-only checkpoint" in restart
        assert "snapshot of the previous start is reused" in restart
    finally:
        server.stop()


def test_a_cheap_query_after_an_idle_spell_does_not_check_memory_or_recycle(tmp_path: Path) -> None:
    """Only the query's own time counts towards the memory check, not the wait for it: reading
    smaps_rollup costs ~10 ms at 1M triples, and a retirement costs a fork."""
    snapshot = tmp_path / "graph.nq"
    snapshot.write_bytes(quads(1_000))

    async def main() -> None:
        async def make() -> Path:
            return snapshot

        pool = WorkerPool(1, make, recycle_mb=1)  # any check would retire the worker
        await pool.start()
        try:
            [before] = pool.pids
            for _ in range(3):
                await asyncio.sleep(0.3)  # idle for longer than RECYCLE_CHECK_AFTER
                assert b"true" in (await pool.run(ask("<urn:s5> ?p ?o"), timeout=60)).body
            assert pool.recycled == 0 and pool.pids == [before]
        finally:
            await pool.close()

    asyncio.run(main())


def test_a_worker_whose_private_memory_grew_is_replaced_by_a_fresh_fork(tmp_path: Path) -> None:
    snapshot = tmp_path / "graph.nq"
    snapshot.write_bytes(quads(100_000))
    count = QueryJob(
        # A scan of every quad, long enough (~0.2 s) for the worker to check its memory after it.
        query="SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
        'FILTER(CONTAINS(CONCAT(STR(?s), ?o, STR(?s), ?o), "9")) }',
        form="SELECT",
        media_type=JSON,
        max_results=1,
    )

    async def main() -> None:
        async def make() -> Path:
            return snapshot

        pool = WorkerPool(1, make, recycle_mb=1)  # any scan of the graph passes 1 MB
        await pool.start()
        try:
            [before] = pool.pids
            outcome = await pool.run(count, timeout=60)
            assert b"40951" in outcome.body  # the answer of the retiring worker is whole
            await until(lambda: bool(pool.pids) and pool.pids != [before])
            assert pool.recycled >= 1 and pool.replaced == 0 and pool.crashes == 0
            assert parent_of(pool.pids[0]) == pool.zygote_pid
            assert b"true" in (await pool.run(ask("<urn:s5> ?p ?o"), timeout=60)).body
        finally:
            await pool.close()

    asyncio.run(main())


SCAN = QueryJob(
    # A scan of every quad, long enough (~0.2 s at 100k) for the worker to report its memory after it.
    query="SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
    'FILTER(CONTAINS(CONCAT(STR(?s), ?o, STR(?s), ?o), "9")) }',
    form="SELECT",
    media_type=JSON,
    max_results=1,
)


def test_repeated_scans_run_on_the_warm_worker_and_the_other_stays_lean(tmp_path: Path) -> None:
    """A scan copies the graph pages it walks (reference counts): the next scan goes to the worker that
    holds them, so it runs without the copying, and the other worker keeps sharing the zygote's pages."""
    snapshot = tmp_path / "graph.nq"
    snapshot.write_bytes(quads(100_000))

    async def main() -> None:
        async def make() -> Path:
            return snapshot

        pool = WorkerPool(2, make, recycle_mb=4000)  # nothing is recycled: only the choice of worker counts
        await pool.start()
        try:
            for _ in range(4):
                assert b"40951" in (await pool.run(SCAN, timeout=60)).body
                await asyncio.sleep(
                    0.05
                )  # the answering worker is idle again, as a sequential client sees it
            warm = [pid for pid, mb in pool.private_mb.items() if mb > 0]
            assert len(warm) == 1, pool.private_mb  # every scan ran on the same worker
            assert pool.recycled == 0 and len(pool.pids) == 2
            # The lean worker still shares the zygote's pages: it has written few of its own.
            [lean] = [pid for pid in pool.pids if pid not in warm]
            assert memory_kb(lean)["Private_Dirty"] < memory_kb(warm[0])["Private_Dirty"] / 2
        finally:
            await pool.close()

    asyncio.run(main())


def snapshot_of(folder: Path, count: int) -> Callable[[], Awaitable[Path]]:
    """A snapshot of ``count`` quads written in ``folder``, as the pool asks for it."""
    snapshot = folder / "graph.nq"
    snapshot.write_bytes(quads(count))

    async def make() -> Path:
        return snapshot

    return make


async def one_scan_copy_mb(make: Callable[[], Awaitable[Path]]) -> float:
    """The private memory one worker holds after one scan (what a scan copies), alone in its pool."""
    pool = WorkerPool(1, make, recycle_mb=4000)
    await pool.start()
    try:
        await pool.run(SCAN, timeout=60)
        return max(pool.private_mb.values())
    finally:
        await pool.close()


def test_the_workers_copies_together_stay_within_the_budget(tmp_path: Path) -> None:
    """Two scans at once warm both workers; when their private memory together passes the budget, the
    largest is replaced by a fresh fork (one warm copy is kept, not one per worker)."""
    make = snapshot_of(tmp_path, 100_000)

    async def main() -> None:
        copied = await one_scan_copy_mb(make)
        budget = 1.5 * copied  # one worker's scan fits, two do not
        pool = WorkerPool(2, make, recycle_mb=budget)
        await pool.start()
        try:
            before = set(pool.pids)
            outcomes = await asyncio.gather(pool.run(SCAN, timeout=60), pool.run(SCAN, timeout=60))
            assert all(b"40951" in o.body for o in outcomes)  # both answers are whole
            await until(lambda: pool.recycled == 1 and len(pool.pids) == 2 and set(pool.pids) != before)
            assert sum(pool.private_mb.values()) <= budget, pool.private_mb
            assert pool.replaced == 0 and pool.crashes == 0
            assert b"true" in (await pool.run(ask("<urn:s5> ?p ?o"), timeout=60)).body
        finally:
            await pool.close()

    asyncio.run(main())


def test_two_scans_at_once_hold_about_one_copy_not_two(tmp_path: Path) -> None:
    """While two scans run at once, the pool reads their page faults: past half the budget one of them
    is paused until the other has answered (and been recycled), so the workers' private memory peaks
    near one scan's copy (two unpaused scans: about two). Both answers are whole."""
    make = snapshot_of(tmp_path, 100_000)

    async def main() -> None:
        copied = await one_scan_copy_mb(make)
        pool = WorkerPool(2, make, recycle_mb=1.2 * copied)
        await pool.start()
        peak, sampling = 0.0, True

        async def sample() -> None:
            nonlocal peak
            while sampling:
                total = 0.0
                for pid in pool.pids:
                    with contextlib.suppress(OSError):  # recycled meanwhile
                        total += memory_kb(pid)["Private_Dirty"] / 1024
                peak = max(peak, total)
                await asyncio.sleep(0.01)

        sampler = asyncio.ensure_future(sample())
        try:
            outcomes = await asyncio.gather(pool.run(SCAN, timeout=60), pool.run(SCAN, timeout=60))
            assert all(b"40951" in o.body for o in outcomes)
            assert pool.paused >= 1 and pool.replaced == 0 and pool.crashes == 0
            assert peak < 1.6 * copied, (peak, copied)
        finally:
            sampling = False
            await sampler
            await pool.close()

    asyncio.run(main())
