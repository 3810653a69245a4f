"""Isolation of untrusted work: the worker sandbox, the generic job call, and the query-side limits.

The job-call tests drive a real :class:`WorkerPool` (real sandboxed worker
processes, graph-less); the user-facing tests run against a real
``iopgraph serve`` on the shipped graph.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from iopgraph.errors import ValidationFailed
from iopgraph.sparql.errors import JobCrashed, JobFailed, JobTimeout
from iopgraph.sparql.pool import WorkerPool, rebuild_error
from reliability_support import ROOT, ServerProcess


class Listener:
    """A loopback TCP listener that counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    try:
        yield found
    finally:
        found.close()


def with_pool(tmp_path: Path, body: Callable[[WorkerPool], Awaitable[None]], **options: Any) -> None:
    empty = tmp_path / "empty.nq"
    empty.write_bytes(b"")

    async def snapshot() -> Path:
        return empty

    async def main() -> None:
        pool = WorkerPool(1, snapshot, **options)
        await pool.start()
        try:
            await body(pool)
        finally:
            await pool.close()

    asyncio.run(main())


def test_job_call_round_trip_and_sandbox_report(tmp_path: Path) -> None:
    async def body(pool: WorkerPool) -> None:
        result, payload = await pool.call("echo", {"n": [1, "two"]}, b"\x00bytes\xff", timeout=30)
        assert result["args"] == {"n": [1, "two"]} and result["quads"] == 0
        assert payload == b"\x00bytes\xff"
        assert result["pid"] in pool.pids
        assert pool.sandbox == {"network_isolation": True, "network_mode": "none",
                                "sandbox_reason": "network namespace", "memory_limit_mb": 2048}

    with_pool(tmp_path, body, memory_mb=2048)


def test_job_errors_travel_as_json_and_are_reraised_as_their_class(tmp_path: Path) -> None:
    async def body(pool: WorkerPool) -> None:
        with pytest.raises(ValidationFailed) as failed:
            await pool.call("selftest", {"do": "input-error"}, timeout=30)
        assert failed.value.message == "the data does not conform"
        assert failed.value.problem_extra == {"report": {"conforms": False, "results": [1, 2]}}
        assert failed.value.status == 422
        with pytest.raises(JobFailed) as bug:
            await pool.call("selftest", {"do": "bug"}, timeout=30)
        assert "internal detail" not in bug.value.message and bug.value.status == 500
        assert pool.replaced == 0  # a job's exception does not cost the worker

    with_pool(tmp_path, body)


def test_only_iopgraph_error_classes_are_rebuilt() -> None:
    for name in ("builtins.SystemExit", "os.system", "subprocess.Popen", "iopgraph.sparql.pool.WorkerPool",
                 "iopgraph.nosuchmodule.Error", "iopgraph.errors.__class__"):
        error = rebuild_error({"class": name, "message": "x", "attrs": {"status": 200}})
        assert type(error) is JobFailed, name
        assert error.status == 500
    error = rebuild_error({"class": "iopgraph.errors.InvalidParameter", "message": "bad page",
                           "attrs": {"__class__": "nope", "_private": 1, "detail": "kept"}})
    assert type(error).__name__ == "InvalidParameter" and error.message == "bad page"
    assert error.detail == "kept" and not hasattr(error, "_private")


def test_a_crashing_job_costs_one_worker_and_gives_a_clear_4xx(tmp_path: Path) -> None:
    async def body(pool: WorkerPool) -> None:
        [before] = pool.pids
        with pytest.raises(JobCrashed) as crashed:
            await pool.call("selftest", {"do": "crash"}, timeout=30)
        assert crashed.value.status == 400 and "SIGSEGV" in crashed.value.message
        with pytest.raises(JobCrashed) as oom:  # over the address-space limit
            await pool.call("selftest", {"do": "allocate", "mb": 1500}, timeout=30)
        assert "memory" in oom.value.message
        result, _ = await pool.call("echo", {}, timeout=60)  # a fresh worker answers
        assert result["pid"] != before and pool.replaced == 2 and pool.crashes == 2
        small, _ = await pool.call("selftest", {"do": "allocate", "mb": 50}, timeout=30)
        assert small == {"allocated_mb": 50}

    with_pool(tmp_path, body, memory_mb=1024)


def test_a_job_past_its_timeout_is_killed(tmp_path: Path) -> None:
    async def body(pool: WorkerPool) -> None:
        [before] = pool.pids
        with pytest.raises(JobTimeout) as stopped:
            await pool.call("selftest", {"do": "sleep", "seconds": 120}, timeout=1)
        assert stopped.value.status == 503
        result, _ = await pool.call("echo", {}, timeout=60)
        assert result["pid"] != before

    with_pool(tmp_path, body)


def test_a_worker_cannot_open_connections(tmp_path: Path, listener: Listener) -> None:
    async def body(pool: WorkerPool) -> None:
        with pytest.raises(JobFailed):
            await pool.call("selftest", {"do": "connect", "port": listener.port}, timeout=30)

    with_pool(tmp_path, body)
    assert listener.accepted == 0
    # The listener itself works: a connection from the test process is accepted.
    socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()
    for _ in range(50):
        if listener.accepted:
            break
        threading.Event().wait(0.1)
    assert listener.accepted == 1


def test_workers_keep_the_network_only_with_an_allow_list(tmp_path: Path, listener: Listener) -> None:
    async def body(pool: WorkerPool) -> None:
        assert pool.sandbox is not None and pool.sandbox["network_mode"] == "allow-list"
        assert pool.sandbox["network_isolation"] is False
        result, _ = await pool.call("selftest", {"do": "connect", "port": listener.port}, timeout=30)
        assert result == {"connected": True}

    with_pool(tmp_path, body, keep_network=True)


def test_readyz_reports_the_sandbox_of_a_live_server(tmp_path: Path) -> None:
    env = {"IOPGRAPH_ROOT": str(ROOT), "IOPGRAPH_STORE_PATH": str(tmp_path / "store"),
           "IOPGRAPH_WORKER_MEMORY_MB": "3072"}
    with ServerProcess(tmp_path, env) as server:
        server.wait_until("/readyz", 120)
        checks = httpx.get(server.url + "/readyz").json()["checks"]
    assert checks["network_isolation"] is True and checks["network_mode"] == "none"
    assert checks["worker_memory_limit_mb"] == 3072
