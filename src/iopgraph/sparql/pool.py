"""A pool of query worker processes, each with an in-memory copy of the graph.

Why processes: Oxigraph's ``Store.query`` cannot be interrupted, and an aggregate
or ORDER BY does all its work in one call. A worker that runs past the timeout
is killed (SIGKILL) and replaced, which really frees the CPU; the event loop
only ever awaits pipes, so the service stays responsive meanwhile.

Why in memory: the in-memory store scans several times faster than the RocksDB
one, so reads run at the engine's best speed while the on-disk store stays the
durable copy. Each worker starts from an N-Quads snapshot of the durable store;
writes are applied to the durable store first and then sent to every worker
through the same pipe as queries, so a query sent after a write always sees it.

    pool = WorkerPool(size=2, snapshot=make_snapshot)
    await pool.start()
    outcome = await pool.run(job, timeout=30)
    await pool.broadcast_write(remove_nquads, add_nquads)
    await pool.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from iopgraph.sparql import wire
from iopgraph.sparql.engine import Outcome, QueryJob
from iopgraph.sparql.errors import (
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    WorkersUnavailable,
    describe_syntax_error,
)

log = logging.getLogger("iopgraph.sparql")

#: Makes a snapshot of the current durable store and returns its N-Quads file.
SnapshotMaker = Callable[[], Awaitable[Path]]


@dataclass(eq=False)
class _Worker:
    process: asyncio.subprocess.Process
    snapshot: Path
    ready: asyncio.Event
    alive: bool = True  # False once killed or retired: never handed a query again
    busy: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid


class WorkerPool:
    """``size`` worker processes answering queries; see the module docstring."""

    def __init__(self, size: int, snapshot: SnapshotMaker, startup_timeout: float = 600.0) -> None:
        self.size = size
        self._snapshot = snapshot
        self._startup_timeout = startup_timeout
        self._workers: list[_Worker] = []
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._lock = asyncio.Lock()  # serialises snapshots, spawns and writes
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self.replaced = 0  # workers killed and replaced (timeouts, cancellations, crashes)
        self.broken: str | None = None  # why no worker can be started, if so
        self._load_failures = 0

    @property
    def lock(self) -> asyncio.Lock:
        """Held while a write is applied, so no worker starts from a half-written snapshot."""
        return self._lock

    @property
    def pids(self) -> list[int]:
        return [w.pid for w in self._workers if w.alive]

    async def start(self, wait: bool = True) -> None:
        async with self._lock:
            for _ in range(self.size):
                await self._spawn_locked()
        if wait:
            await self.wait_ready()

    async def wait_ready(self) -> None:
        await asyncio.gather(*(asyncio.wait_for(w.ready.wait(), self._startup_timeout) for w in self._workers))

    async def _spawn_locked(self) -> _Worker:
        snapshot = await self._snapshot()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "iopgraph.sparql.worker", str(snapshot),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            limit=2**26,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        worker = _Worker(process, snapshot, asyncio.Event())
        self._workers.append(worker)
        self._background(self._await_ready(worker))
        return worker

    def _background(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _await_ready(self, worker: _Worker) -> None:
        assert worker.process.stdout is not None
        try:
            header, _ = await wire.read_async(worker.process.stdout)
        except (asyncio.IncompleteReadError, ConnectionError):
            if not worker.alive:
                return  # killed on purpose (reload, close)
            self._load_failures += 1
            log.error("query worker %s died while loading the snapshot (%d in a row)", worker.pid,
                      self._load_failures)
            if self._load_failures < 3:
                await self._replace(worker)
            else:
                self._workers.remove(worker)
                self.broken = "query workers keep dying while loading the graph (out of memory?); see the log"
                self._idle.put_nowait(worker)  # wakes a waiting request, which then reports the failure
            return
        if header.get("ready"):
            self._load_failures = 0
            worker.ready.set()
            self._idle.put_nowait(worker)

    async def run(self, job: QueryJob, timeout: float) -> Outcome:
        """Answer ``job`` in a free worker; kill the worker if it takes longer than ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        # Waiting for a free worker is bounded by the timeout too, but workers still loading
        # their snapshot (start-up, replacement) get the start-up allowance.
        starting = not any(w.ready.is_set() for w in self._workers if w.alive)
        wait = max(timeout, self._startup_timeout) if starting else timeout
        worker = await self._acquire(loop.time() + wait, timeout)
        deadline = loop.time() + timeout
        worker.busy = True
        try:
            async with asyncio.timeout_at(deadline):
                header, body = await self._exchange(worker, job)
        except TimeoutError:
            await self._replace(worker)
            raise QueryTimeout(
                f"the query was stopped after {timeout:g} s (the limit set by IOPGRAPH_QUERY_TIMEOUT); "
                "narrow it down, add a LIMIT, or ask the operator for a longer limit"
            ) from None
        except BaseException:
            # Cancelled (client gone, server stopping) or the worker died: its state is unknown.
            await self._replace(worker)
            raise
        worker.busy = False
        if worker.alive:
            self._idle.put_nowait(worker)
        else:  # retired by reload() while it answered
            await self._kill(worker)
        if header.get("ok"):
            return Outcome(body, int(header["count"]), bool(header["truncated"]))
        if header.get("error") == "syntax":
            raise QuerySyntaxError(f"malformed SPARQL query: {describe_syntax_error(job.query, header['message'])}")
        raise QueryFailed(f"the query engine failed: {header.get('message')}")

    async def _acquire(self, deadline: float, timeout: float) -> _Worker:
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    worker = await self._idle.get()
            except TimeoutError:
                raise WorkersUnavailable(
                    f"all {self.size} query workers stayed busy for {timeout:g} s (IOPGRAPH_QUERY_TIMEOUT); "
                    "try again shortly"
                ) from None
            if self.broken:
                raise WorkersUnavailable(self.broken)
            if worker.alive:
                return worker

    async def _exchange(self, worker: _Worker, job: QueryJob) -> tuple[wire.Header, bytes]:
        stdin, stdout = worker.process.stdin, worker.process.stdout
        assert stdin is not None and stdout is not None
        stdin.write(wire.encode({"op": "query", **job.to_header()}))
        await stdin.drain()
        try:
            return await wire.read_async(stdout)
        except asyncio.IncompleteReadError:
            raise QueryFailed("the query worker stopped unexpectedly (out of memory?); it has been restarted") from None

    async def _kill(self, worker: _Worker) -> None:
        worker.alive = False
        with contextlib.suppress(ProcessLookupError):
            worker.process.kill()
        with contextlib.suppress(Exception):
            await worker.process.wait()

    async def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and, if it was still a member of the pool, start a fresh one in its place."""
        member = worker in self._workers
        if member:
            self._workers.remove(worker)
        await self._kill(worker)
        if member:
            self.replaced += 1
            if not self._closed:
                self._background(self._respawn())

    async def _respawn(self) -> None:
        async with self._lock:
            if not self._closed and len(self._workers) < self.size:
                await self._spawn_locked()

    async def broadcast_write(self, remove: bytes, add: bytes) -> None:
        """Send a write (N-Quads to remove, to add) to every worker; call with :attr:`lock` held."""
        message = wire.encode({"op": "apply"}, remove + b"\0" + add)
        for worker in list(self._workers):
            if worker.alive and worker.process.stdin is not None:
                worker.process.stdin.write(message)
        for worker in list(self._workers):
            if worker.alive and worker.process.stdin is not None:
                with contextlib.suppress(ConnectionError):
                    await worker.process.stdin.drain()

    async def reload(self) -> None:
        """Replace every worker by one started from a fresh snapshot; call with :attr:`lock` held.

        For writes that cannot be sent as quads (e.g. a SPARQL Update). Busy
        workers finish their query first and are then retired.
        """
        old, self._workers = self._workers, []
        for _ in range(self.size):
            await self._spawn_locked()
        for worker in old:
            worker.alive = False
            if not worker.busy:
                await self._kill(worker)

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        for worker in self._workers:
            worker.alive = False
            with contextlib.suppress(ProcessLookupError):
                worker.process.kill()
        for worker in self._workers:
            with contextlib.suppress(Exception):
                await worker.process.wait()
        self._workers.clear()
