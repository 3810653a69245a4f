"""The query timeout really stops the work: the worker process is killed and replaced, the server stays responsive."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from iopgraph.app import create_app
from iopgraph.query.errors import QueryTimeout
from iopgraph.store.engine import QueryJob
from iopgraph.store.pool import WorkerPool
from support.sparql import json_rows, settings_for

NUMBERS = " ".join(str(i) for i in range(600))
#: About 2e8 combinations counted in one aggregate: seconds of uninterruptible work in the engine.
SLOW = f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?a {{ {NUMBERS} }} VALUES ?b {{ {NUMBERS} }} VALUES ?c {{ {NUMBERS} }} }}"
FAST = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child not yet reaped is a zombie: count it as dead.
    try:
        return Path(f"/proc/{pid}/status").read_text().find("State:\tZ") < 0
    except FileNotFoundError:
        return False


def test_timeout_gives_503_naming_the_limit_and_kills_the_worker(tmp_path: Path) -> None:
    with TestClient(create_app(settings_for(tmp_path, query_timeout=1.0, query_workers=1))) as client:
        assert client.get("/sparql", params={"query": FAST}).status_code == 200
        pool = client.app.state.context.backend.pool  # type: ignore[attr-defined]
        # The first answer may come from a cold (checkpoint) worker: wait for the in-memory one and its pid.
        deadline = time.monotonic() + 60
        while (pool.source != "memory" or len(pool.pids) != 1) and time.monotonic() < deadline:
            time.sleep(0.05)
        [worker_pid] = pool.pids
        started = time.monotonic()
        r = client.get("/sparql", params={"query": SLOW})
        elapsed = time.monotonic() - started
        assert r.status_code == 503
        assert r.json()["code"] == "query-timeout"
        assert "IOPGRAPH_QUERY_TIMEOUT" in r.json()["detail"]
        assert elapsed < 5
        assert not alive(worker_pid)
        # A fresh worker takes over and answers.
        again = client.get("/sparql", params={"query": FAST})
        assert again.status_code == 200 and json_rows(again.content)[0]["n"] != "0"
        assert pool.pids and pool.pids != [worker_pid]


def test_server_stays_responsive_while_a_slow_query_runs(tmp_path: Path) -> None:
    with TestClient(create_app(settings_for(tmp_path, query_timeout=3.0, query_workers=2))) as client:
        client.get("/sparql", params={"query": FAST})
        outcome: dict[str, int] = {}

        def slow() -> None:
            outcome["status"] = client.get("/sparql", params={"query": SLOW}).status_code

        thread = threading.Thread(target=slow)
        thread.start()
        time.sleep(0.3)
        started = time.monotonic()
        assert client.get("/healthz").status_code == 200
        fast = client.get("/sparql", params={"query": FAST + " LIMIT 1"})
        assert fast.status_code == 200
        assert (
            time.monotonic() - started < 1.5
        )  # answered by the other worker, not queued behind the slow one
        thread.join(timeout=20)
        assert outcome["status"] == 503


def test_cancelled_query_kills_its_worker(tmp_path: Path) -> None:
    snapshot = tmp_path / "empty.nq"
    snapshot.write_bytes(b"")

    async def scenario() -> None:
        async def make() -> Path:
            return snapshot

        pool = WorkerPool(1, make)
        await pool.start()
        try:
            [pid] = pool.pids
            job = QueryJob(
                query=SLOW, form="SELECT", media_type="application/sparql-results+json", max_results=10
            )
            task = asyncio.ensure_future(pool.run(job, timeout=60))
            await asyncio.sleep(0.5)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert not alive(pid)
            await pool.wait_ready()
            for _ in range(50):  # the replacement starts in the background
                if pool.pids:
                    break
                await asyncio.sleep(0.1)
            quick = QueryJob(
                query="ASK {}", form="ASK", media_type="application/sparql-results+json", max_results=1
            )
            outcome = await pool.run(quick, timeout=10)
            assert b"true" in outcome.body
            assert pool.pids != [pid] and pool.replaced == 1
            with pytest.raises(QueryTimeout):
                await pool.run(job, timeout=0.5)
        finally:
            await pool.close()

    asyncio.run(scenario())
