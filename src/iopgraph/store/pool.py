"""A pool of sandboxed worker processes that share one in-memory copy of the graph.

Why processes: Oxigraph's ``Store.query`` cannot be interrupted, and an aggregate
or ORDER BY does all its work in one call. A worker that runs past the timeout
is killed (SIGKILL) and replaced, which really frees the CPU; the event loop
only ever awaits pipes, so the service stays responsive meanwhile. Each worker
runs in the sandbox of :mod:`iopgraph.store.sandbox` (no network, an address-space
limit, a big evaluation stack), so a query or job that crashes or exhausts
memory takes down one worker, never the server.

Why in memory: the in-memory store scans several times faster than the RocksDB
one, so reads run at the engine's best speed while the on-disk store stays the
durable copy. One **zygote** process (:mod:`iopgraph.store.zygote`) enters the
sandbox, loads an N-Quads snapshot of the durable store once (an empty file for
graph-less workers, as in remote-store mode) and forks the workers, which share
its pages copy-on-write: N workers cost about one copy of the graph. Writes are
applied to the durable store first and then sent to every worker through the
same socket as queries (so a query sent after a write always sees it) and to
the zygote (so a worker forked later, e.g. after a timeout kill, is current).
A zygote that dies is replaced from a fresh snapshot; workers already forked
keep answering meanwhile. Workers are killed through a pidfd, so a pid reused
after an exit is never signalled.

    pool = WorkerPool(size=2, snapshot=make_snapshot, memory_mb=4096)
    await pool.start()
    outcome = await pool.run(job, timeout=30, client="203.0.113.9")
    result, body = await pool.call("echo", {"x": 1}, b"payload", timeout=10)
    await pool.broadcast_write(remove_nquads, add_nquads)
    await pool.close()

**Fair scheduling.** A free worker goes to the waiting client (remote address)
that holds the fewest workers, oldest request first. A client whose queries
have been running for :data:`HEAVY_AFTER` seconds or more on ``per_client``
workers (default: all but one) gets no further worker until one of them ends:
a client looping slow queries can never hold every worker, while its (and
everyone's) quick queries still run beside them. Waiting is bounded by the
request's timeout, and by :data:`LOADING_WAIT` while every worker is still
loading the graph (503 ``query-workers-busy`` with ``Retry-After``).

**The job call** (:meth:`WorkerPool.call`) runs
``iopgraph.jobs.JOBS[job](store, args, payload)`` in a worker and returns
its ``(dict, bytes)``. Errors: an :class:`~iopgraph.core.errors.IopgraphError` the job
raised is re-raised here as the same class (JSON across the pipe, never pickle:
only ``iopgraph.*`` classes under IopgraphError, rebuilt from message and JSON
attributes); any other exception is :class:`JobFailed` (500, neutral message); a
worker that dies during the call (segfault, memory limit) is replaced and the
caller gets :class:`JobCrashed` (400); past ``timeout`` the worker is killed and
replaced and the caller gets :class:`JobTimeout` (503).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import itertools
import logging
import os
import re
import shutil
import signal
import socket
import sys
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iopgraph.core.errors import IopgraphError
from iopgraph.query.errors import (
    JobCrashed,
    JobFailed,
    JobTimeout,
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooComplex,
    ServiceUnreachable,
    WorkersUnavailable,
    describe_syntax_error,
)
from iopgraph.store import copy_guard, wire
from iopgraph.store.engine import Outcome, QueryJob

log = logging.getLogger("iopgraph.sparql")

#: Makes a snapshot of the current durable store and returns its N-Quads file.
SnapshotMaker = Callable[[], Awaitable[Path]]
#: Makes a RocksDB checkpoint of the durable store for cold workers (None: start without them); the
#: pool removes the folder once no cold worker uses it.
CheckpointMaker = Callable[[], Awaitable[Path | None]]

#: Seconds after which a running query counts as heavy for the per-client limit.
HEAVY_AFTER = 1.0
#: Most seconds a request waits while every worker is still loading the graph (start-up, after a
#: build or a reload): then 503 with Retry-After, rather than a long silent queue.
LOADING_WAIT = 10.0

_MODULE = re.compile(r"iopgraph(\.[A-Za-z_][A-Za-z0-9_]*)*")


class WorkerDied(Exception):
    """The worker process ended while it answered (crash, memory limit)."""

    def __init__(self, how: str) -> None:
        super().__init__(how)
        self.how = how


async def empty_snapshot() -> Path:
    """The snapshot of a graph-less pool (remote mode, query analysis): an empty file, so an empty store."""
    return Path(os.devnull)


@dataclass(eq=False)
class _Zygote:
    """The process that holds the graph and forks the workers (see :mod:`iopgraph.store.zygote`)."""

    process: asyncio.subprocess.Process
    fds: socket.socket  # our end of the fd-passing socket
    snapshot: Path
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    unforked: deque[_Worker] = field(default_factory=deque)  # fork asked, pid not yet known
    exits: dict[int, int] = field(default_factory=dict)  # pid -> return code, as reported
    exit_waiters: dict[int, asyncio.Future[int]] = field(default_factory=dict)
    alive: bool = True
    cold: bool = False  # its workers answer from a read-only checkpoint, not from memory
    info: dict[str, Any] = field(default_factory=dict)  # its ready message (quads, load time)

    def send(self, message: bytes) -> None:
        if self.alive and self.process.stdin is not None:
            self.process.stdin.write(message)

    async def drain(self) -> None:
        if self.alive and self.process.stdin is not None:
            with contextlib.suppress(ConnectionError):
                await self.process.stdin.drain()

    async def returncode(self, pid: int, timeout: float) -> int | None:
        """The exit status of worker ``pid`` as the zygote reaped it (None: not known in time)."""
        if pid in self.exits:
            return self.exits.pop(pid)
        if not self.alive:
            return None
        waiter = self.exit_waiters.setdefault(pid, asyncio.get_running_loop().create_future())
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            return None
        finally:
            if waiter.done():
                self.exit_waiters.pop(pid, None)
                self.exits.pop(pid, None)


@dataclass(eq=False)
class _Worker:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    zygote: _Zygote
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    pid: int = 0  # known once the zygote forked it
    pidfd: int = -1
    alive: bool = True  # False once killed or retired: never handed a query again
    busy: bool = False
    # Its own memory (MB), as it said after its latest long query: the graph pages it copied; its page
    # faults then, and the MB of faults since (read while it is busy: :mod:`copy_guard`).
    private_mb: float = 0.0
    faults: int = 0
    grown_mb: float = 0.0
    seen_faults: int = 0  # its page faults at their latest reading (report or copy guard)
    query_faults: int = 0  # ...when its current query started
    query_mb: float = 0.0  # the MB of faults since then
    paused_at: float | None = None  # stopped (SIGSTOP) by the copy guard since then
    paused_s: float = 0.0  # seconds paused in its current query before that
    retiring: bool = False  # recycled after its answer (the copy guard)

    def forked(self, pid: int) -> None:
        self.pid = pid
        with contextlib.suppress(OSError, AttributeError):
            self.pidfd = os.pidfd_open(pid)

    def signal_kill(self) -> None:
        """SIGKILL the process (through its pidfd: never a reused pid); close the channel."""
        if self.pidfd >= 0:
            with contextlib.suppress(ProcessLookupError, OSError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        elif self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        self.writer.close()  # a worker not forked yet ends at once when it is

    async def exited(self, timeout: float) -> None:
        """Wait until the process has ended (its pidfd turns readable)."""
        pidfd = self.pidfd  # a concurrent kill may forget it meanwhile
        if pidfd < 0:
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def readable() -> None:
            if not done.done():
                done.set_result(None)

        loop.add_reader(pidfd, readable)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done, timeout)
        finally:
            loop.remove_reader(pidfd)

    def forget(self) -> None:
        if self.pidfd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.pidfd)
            self.pidfd = -1


@dataclass(eq=False)
class _Waiter:
    client: str
    seq: int
    future: asyncio.Future[_Worker] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


def _death(returncode: int | None) -> str:
    if returncode is None:
        return "it stopped answering"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        hint = {
            "SIGSEGV": "a stack overflow or crash",
            "SIGABRT": "out of memory or stack",
            "SIGKILL": "killed, e.g. by the kernel's out-of-memory killer",
        }.get(name, "a crash")
        return f"{name}: {hint}"
    if returncode == 70:
        return "it ran out of memory (IOPGRAPH_WORKER_MEMORY_MB)"
    return f"exit status {returncode}"


def rebuild_error(header: dict[str, Any]) -> IopgraphError:
    """The :class:`IopgraphError` a job raised, rebuilt from its JSON description (never unpickled)."""
    message = str(header.get("message") or "the isolated job failed")
    module, _, name = str(header.get("class", "")).rpartition(".")
    cls: object = None
    if _MODULE.fullmatch(module) and name.isidentifier():
        loaded = sys.modules.get(module)
        if loaded is None:
            with contextlib.suppress(ImportError):
                loaded = importlib.import_module(module)  # our own package only (checked above)
        cls = getattr(loaded, name, None)
    if not (isinstance(cls, type) and issubclass(cls, IopgraphError)):
        return JobFailed("the isolated job failed; the details are in the server log")
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.message = message
    attrs = header.get("attrs")
    for key, value in attrs.items() if isinstance(attrs, dict) else ():
        if isinstance(key, str) and key.isidentifier() and not key.startswith("_"):
            setattr(error, key, value)
    return error


class WorkerPool:
    """``size`` worker processes answering queries and jobs; see the module docstring."""

    def __init__(
        self,
        size: int,
        snapshot: SnapshotMaker,
        startup_timeout: float = 600.0,
        *,
        memory_mb: int | None = None,
        keep_network: bool = False,
        per_client: int | None = None,
        checkpoint: CheckpointMaker | None = None,
        recycle_mb: float | None = None,
    ) -> None:
        self.size = size
        self._snapshot = snapshot
        self._startup_timeout = startup_timeout
        self.memory_mb = memory_mb
        self.keep_network = keep_network
        self.per_client = max(1, per_client if per_client else size - 1)
        self._workers: list[_Worker] = []
        self._idle: list[_Worker] = []
        self._waiters: list[_Waiter] = []
        self._held: Counter[str] = Counter()
        self._running: dict[_Worker, tuple[str, float]] = {}  # worker -> (client, started)
        self._seq = itertools.count()
        self._lock = asyncio.Lock()  # serialises snapshots, spawns and writes
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self.replaced = 0  # workers killed and replaced (timeouts, cancellations, crashes)
        self.crashes = 0  # workers that died while answering
        self.recycled = 0  # workers replaced because their private memory grew (not counted in replaced)
        self.broken: str | None = None  # why no worker can be started, if so
        self.paused = 0  # workers paused by the copy guard while another one copied
        self._paused: set[_Worker] = set()
        self._guard: asyncio.Task[None] | None = None
        self.sandbox: dict[str, Any] | None = None  # the sandbox report of the latest ready worker
        self._warned = False
        self._load_failures = 0
        self._zygote: _Zygote | None = None
        self._zygote_failures = 0
        self._checkpoint = checkpoint
        # MB the workers' own copies may hold together (None: the zygote decides).
        self.recycle_mb = recycle_mb
        self._cold: _Zygote | None = None  # the zygote of the cold workers, while they serve
        self._checkpoints: set[Path] = set()  # checkpoint folders not removed yet

    @property
    def lock(self) -> asyncio.Lock:
        """Held while a write is applied, so no worker starts from a half-written snapshot."""
        return self._lock

    @property
    def pids(self) -> list[int]:
        """The process ids of the live workers (a worker the zygote has not forked yet has none)."""
        return [w.pid for w in self._workers if w.alive and w.pid]

    @property
    def private_mb(self) -> dict[int, float]:
        """Each live worker's own memory (MB) as it said after its latest long query: the graph pages its
        scans copied (0 for a worker that has run none)."""
        return {w.pid: w.private_mb for w in self._workers if w.alive and w.pid}

    @property
    def live_count(self) -> int:
        """Live workers: loading (their zygote is loading the graph) or ready."""
        return sum(1 for w in self._workers if w.alive)

    @property
    def zygote_pid(self) -> int | None:
        """The process id of the zygote the next worker is forked from."""
        zygote = self._zygote
        return zygote.process.pid if zygote is not None and zygote.alive else None

    @property
    def source(self) -> str:
        """Where the ready workers answer from: ``"memory"`` (the zygote's copy) or ``"checkpoint"``
        (cold workers on a read-only RocksDB checkpoint, until the copy is loaded); ``""``: none ready."""
        ready = [w for w in self._workers if w.alive and w.ready.is_set()]
        if any(not w.zygote.cold for w in ready):
            return "memory"
        return "checkpoint" if ready else ""

    @property
    def zygote_info(self) -> dict[str, Any]:
        """What the current zygote said when it had loaded the graph (``quads``, ``load_seconds``)."""
        zygote = self._zygote
        return dict(zygote.info) if zygote is not None else {}

    @property
    def ready_count(self) -> int:
        """Workers that have loaded their snapshot and can answer."""
        return sum(1 for w in self._workers if w.alive and w.ready.is_set())

    async def start(self, wait: bool = True) -> None:
        """Start the workers. With a checkpoint maker, cold workers answer at once from a checkpoint while
        the zygote loads the in-memory copy in the background (see :meth:`_go_warm_locked`)."""
        async with self._lock:
            checkpoint = await self._checkpoint() if self._checkpoint is not None and not wait else None
            if checkpoint is None:
                for _ in range(self.size):
                    await self._spawn_locked()
            else:
                self._checkpoints.add(checkpoint)
                self._cold = await self._spawn_zygote_locked(checkpoint)
                for _ in range(self.size):
                    await self._spawn_locked(self._cold)
                log.info("query workers answer from a read-only checkpoint until the graph is in memory")
                self._background(self._start_warm())
        if wait:
            await self.wait_ready()

    async def _start_warm(self) -> None:
        async with self._lock:
            if not self._closed and self._zygote is None:
                self._zygote = await self._spawn_zygote_locked()

    async def _go_warm_locked(self) -> None:
        """Fork in-memory workers in place of the cold ones, and retire those (a busy one after its answer).

        Called when the zygote has loaded the graph, and before any write (a checkpoint cannot follow it):
        the new workers' fork requests queue behind the zygote's load, so they answer once it is done."""
        if self._cold is None or self._closed:
            return
        zygote = self._zygote
        if zygote is None or not zygote.alive:
            zygote = self._zygote = await self._spawn_zygote_locked()
        cold = [w for w in self._workers if w.zygote.cold]
        for _ in range(self.size - (len(self._workers) - len(cold))):
            await self._spawn_locked(zygote)
        self._drop_cold_locked(cold)

    def _drop_cold_locked(self, cold: list[_Worker]) -> None:
        for worker in cold:
            if worker in self._workers:
                self._workers.remove(worker)
            worker.alive = False
            if not worker.busy and worker not in self._running:  # handed out: killed after its answer
                self._background(self._kill(worker))
        if self._cold is not None:
            zygote, self._cold = self._cold, None
            self._stop_zygote(zygote)
            self._background(self._remove_checkpoint(zygote.snapshot, cold))
        self._dispatch()

    async def _remove_checkpoint(self, folder: Path, cold: list[_Worker]) -> None:
        """Delete the checkpoint once every cold worker has ended (a busy one finishes its answer first)."""
        for worker in cold:
            while worker.pidfd >= 0 or (worker.pid == 0 and not worker.writer.is_closing()):
                await asyncio.sleep(0.2)
        await asyncio.to_thread(shutil.rmtree, folder, True)
        self._checkpoints.discard(folder)
        log.info("query workers answer from the in-memory copy of the graph; the checkpoint is removed")

    async def wait_ready(self) -> None:
        """Wait until every live worker has the graph (workers retired meanwhile, e.g. cold ones, do not
        count); raises TimeoutError after the start-up timeout."""
        async with asyncio.timeout(self._startup_timeout):
            while True:
                pending = [w for w in self._workers if w.alive and not w.ready.is_set()]
                if not pending and (self._workers or self._closed or self.broken):
                    return
                await asyncio.sleep(0.05)

    async def _spawn_zygote_locked(self, checkpoint: Path | None = None) -> _Zygote:
        """A zygote loading a fresh snapshot, or (``checkpoint``) one forking cold workers on it."""
        snapshot = checkpoint or await self._snapshot()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        args = [
            sys.executable,
            "-m",
            "iopgraph.store.zygote",
            str(snapshot),
            "--fd-socket",
            str(theirs.fileno()),
        ]
        if self.memory_mb:
            args += ["--memory-mb", str(self.memory_mb)]
        if self.keep_network:
            args.append("--keep-network")
        if checkpoint is not None:
            args.append("--read-only")
        if self.recycle_mb:
            args += ["--recycle-mb", str(self.recycle_mb)]
        try:
            process = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                pass_fds=(theirs.fileno(),),
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        finally:
            theirs.close()
        ours.setblocking(False)
        zygote = _Zygote(process, ours, snapshot, cold=checkpoint is not None)
        self._background(self._watch_zygote(zygote))
        return zygote

    async def _spawn_locked(self, zygote: _Zygote | None = None) -> _Worker:
        """Ask ``zygote`` (default: the current one, started if there is none) to fork one more worker;
        returns at once."""
        if zygote is None:
            zygote = self._zygote
            if zygote is None or not zygote.alive:
                zygote = self._zygote = await self._spawn_zygote_locked()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            # The socket first, then the message naming it: the zygote takes fds in message order.
            socket.send_fds(zygote.fds, [b"F"], [theirs.fileno()])
        except OSError:
            pass  # the zygote is gone or stuck: this worker is never forked; its end of stream replaces it
        finally:
            theirs.close()
        zygote.send(wire.encode({"op": "fork"}))
        reader, writer = await asyncio.open_unix_connection(sock=ours, limit=2**26)
        worker = _Worker(reader, writer, zygote)
        zygote.unforked.append(worker)
        self._workers.append(worker)
        self._background(self._await_ready(worker))
        await zygote.drain()
        return worker

    async def _watch_zygote(self, zygote: _Zygote) -> None:
        """Read the zygote's reports (ready, forked, exited); replace it if it dies."""
        assert zygote.process.stdout is not None
        try:
            while True:
                header, _ = await wire.read_async(zygote.process.stdout)
                if "forked" in header:
                    if zygote.unforked:
                        zygote.unforked.popleft().forked(int(header["forked"]))
                elif "exited" in header:
                    pid, code = int(header["exited"]), int(header["returncode"])
                    waiter = zygote.exit_waiters.get(pid)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(code)
                    else:
                        zygote.exits[pid] = code
                        while len(zygote.exits) > 64:  # never asked for (killed on purpose)
                            zygote.exits.pop(next(iter(zygote.exits)))
                elif header.get("ready") and zygote.cold:
                    zygote.ready.set()
                elif header.get("ready"):
                    self._zygote_failures = 0
                    zygote.info = {k: header.get(k) for k in ("pid", "quads", "load_seconds", "recycle_mb")}
                    zygote.ready.set()
                    if self._cold is not None:
                        self._background(self._locked(self._go_warm_locked))
                    log.info(
                        "query workers: the graph (%s quads) is in memory in %s s; workers are forked from it",
                        header.get("quads"),
                        header.get("load_seconds"),
                    )
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        zygote.alive = False
        for waiter in zygote.exit_waiters.values():
            if not waiter.done():
                waiter.cancel()
        with contextlib.suppress(Exception):
            await zygote.process.wait()
        zygote.fds.close()
        if self._closed or zygote is not self._zygote:
            return  # stopped or replaced on purpose, or cold (its workers are replaced when the copy is warm)
        self._zygote = None
        self._zygote_failures += 1
        log.error(
            "the query workers' zygote %s ended (%s); %s",
            zygote.process.pid,
            _death(zygote.process.returncode),
            "workers already running keep answering; the next one starts from a new zygote",
        )
        if self._zygote_failures < 3:
            self._background(self._respawn_zygote())

    async def _locked(self, work: Callable[[], Awaitable[None]]) -> None:
        async with self._lock:
            await work()

    async def _respawn_zygote(self) -> None:
        async with self._lock:
            if not self._closed and self._zygote is None:
                self._zygote = await self._spawn_zygote_locked()

    def _background(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _await_ready(self, worker: _Worker) -> None:
        try:
            header, _ = await wire.read_async(worker.reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            if not worker.alive:
                return  # killed on purpose (reload, close)
            self._load_failures += 1
            log.error(
                "query worker %s died while loading the snapshot (%d in a row)",
                worker.pid or "(not forked)",
                self._load_failures,
            )
            if self._load_failures < 3:
                await self._replace(worker)
            else:
                self._workers.remove(worker)
                self.broken = (
                    "query workers keep dying while loading the graph (out of memory? "
                    "IOPGRAPH_WORKER_MEMORY_MB); see the log"
                )
                self._fail_waiters()
            return
        if header.get("ready"):
            self._load_failures = 0
            if not worker.pid:
                worker.forked(int(header["pid"]))
            self._note_sandbox(header)
            worker.ready.set()
            self._release(worker)

    def _note_sandbox(self, header: dict[str, Any]) -> None:
        self.sandbox = {
            k: header.get(k)
            for k in ("network_isolation", "network_mode", "sandbox_reason", "memory_limit_mb")
        }
        if self.sandbox["network_mode"] == "unisolated" and not self._warned:
            self._warned = True
            log.warning(
                "worker processes run WITHOUT network isolation: %s. A SERVICE clause that slips past "
                "the query-text check could reach the network; see docs/security.md",
                self.sandbox["sandbox_reason"],
            )
        elif not self._warned:
            self._warned = True
            log.info(
                "worker sandbox: network %s (%s), memory limit %s MB",
                self.sandbox["network_mode"],
                self.sandbox["sandbox_reason"],
                self.sandbox["memory_limit_mb"],
            )

    # -- scheduling ------------------------------------------------------------------------------

    def _release(self, worker: _Worker) -> None:
        if worker.alive:
            self._idle.append(worker)
        self._dispatch()

    def _fail_waiters(self) -> None:
        for waiter in self._waiters:
            if not waiter.future.done():
                waiter.future.set_exception(WorkersUnavailable(self.broken or "no query worker is available"))
        self._waiters.clear()

    def _dispatch(self) -> None:
        """Hand idle workers to waiters: fewest workers held first, then oldest; never above ``per_client``."""
        self._idle = [w for w in self._idle if w.alive]
        if not (self._idle and self._waiters):
            return
        now = asyncio.get_running_loop().time()
        heavy: Counter[str] = Counter(
            client for client, started in self._running.values() if now - started >= HEAVY_AFTER
        )
        while self._idle and self._waiters:
            eligible = [w for w in self._waiters if heavy[w.client] < self.per_client or self.size == 1]
            if not eligible:
                return
            waiter = min(eligible, key=lambda w: (self._held[w.client], w.seq))
            self._waiters.remove(waiter)
            worker = self._warmest_idle()
            self._idle.remove(worker)
            self._held[waiter.client] += 1
            self._running[worker] = (waiter.client, now)
            waiter.future.set_result(worker)

    def _warmest_idle(self) -> _Worker:
        """The idle worker with the most graph pages of its own (then the latest released): the pages a
        scan copied make its next scan faster, and the other workers stay lean (see :meth:`_over_budget`)."""
        return max(reversed(self._idle), key=lambda w: w.private_mb)

    def _budget(self) -> float | None:
        """MB the workers' own copies may hold together (``recycle_mb`` of the zygote's ready message)."""
        budget = self._zygote.info.get("recycle_mb") if self._zygote is not None else None
        return float(budget) if isinstance(budget, int | float) and budget > 0 else None

    def _over_budget(self, answered: _Worker) -> _Worker | None:
        """The worker to recycle when the workers' private memory together passed the zygote's budget
        (counting what busy ones copied since their reports): the largest of ``answered`` and the idle ones."""
        budget = self._budget()
        live = [w for w in self._workers if w.alive and not w.zygote.cold]
        if budget is None or sum(w.private_mb + w.grown_mb for w in live) <= budget:
            return None
        candidates = [w for w in (answered, *self._idle) if w.alive and w in live]
        return max(candidates, key=lambda w: w.private_mb, default=None)

    def _give_back(self, client: str, worker: _Worker) -> None:
        self._running.pop(worker, None)
        self._held[client] -= 1
        if self._held[client] <= 0:
            del self._held[client]

    async def _acquire(self, client: str, timeout: float, what: str) -> _Worker:
        if self.broken:
            raise WorkersUnavailable(self.broken)
        waiter = _Waiter(client, next(self._seq))
        self._waiters.append(waiter)
        self._dispatch()
        if not waiter.future.done() and not any(w.ready.is_set() for w in self._workers if w.alive):
            timeout = min(timeout, LOADING_WAIT)
        try:
            return await asyncio.wait_for(asyncio.shield(waiter.future), timeout)
        except BaseException as exc:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            if waiter.future.done() and not waiter.future.cancelled() and waiter.future.exception() is None:
                # Handed a worker just as the wait ended: give it back.
                self._give_back(client, waiter.future.result())
                self._release(waiter.future.result())
            if isinstance(exc, TimeoutError):
                loading = not any(w.ready.is_set() for w in self._workers if w.alive)
                reason = (
                    "the query workers are still loading the graph"
                    if loading
                    else f"all {self.size} query workers stayed busy"
                )
                busy = WorkersUnavailable(
                    f"{reason} for {timeout:g} s, so the {what} was not started; try again in a few seconds"
                )
                busy.headers = {"Retry-After": "5"}
                raise busy from None
            raise

    # -- one exchange ------------------------------------------------------------------------------

    async def _roundtrip(
        self, message: bytes, timeout: float, client: str, what: str
    ) -> tuple[wire.Header, bytes]:
        """Send ``message`` to a free worker, await its answer; raises TimeoutError or WorkerDied."""
        worker = await self._acquire(client, timeout, what)
        worker.busy = True
        worker.query_faults, worker.query_mb, worker.paused_s = worker.seen_faults, 0.0, 0.0
        if self._guard is None and not worker.zygote.cold:
            self._guard = asyncio.ensure_future(self._guard_copies())
            self._tasks.add(self._guard)
            self._guard.add_done_callback(self._tasks.discard)
        try:
            async with asyncio.timeout(timeout):
                header, body = await self._exchange(worker, message)
        except WorkerDied:
            self.crashes += 1
            await self._replace(worker)
            raise
        except BaseException:
            # Timed out, cancelled (client gone, server stopping): its state is unknown.
            await self._replace(worker)
            raise
        finally:
            self._give_back(client, worker)
            self._dispatch()
        worker.busy = False
        private, faults = header.pop("private_mb", None), header.pop("faults", None)
        if isinstance(private, int | float):
            worker.private_mb = float(private)
            worker.grown_mb = 0.0
            if isinstance(faults, int):
                worker.faults = worker.seen_faults = faults
        if (header.pop("retire", False) or worker.retiring) and worker.alive:
            await self._recycle(worker)
        elif worker.alive:
            largest = self._over_budget(worker)
            if largest is worker:
                await self._recycle(worker)
            else:
                if largest is not None:  # idle: handed no further query, then replaced
                    largest.alive = False
                    self._background(self._recycle(largest))
                self._release(worker)
        else:  # retired by reload() while it answered
            await self._kill(worker)
            self._dispatch()
        return header, body

    async def _exchange(self, worker: _Worker, message: bytes) -> tuple[wire.Header, bytes]:
        try:
            worker.writer.write(message)
            await worker.writer.drain()
            return await wire.read_async(worker.reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            code = await worker.zygote.returncode(worker.pid, 5.0) if worker.pid else None
            raise WorkerDied(_death(code)) from None

    async def run(self, job: QueryJob, timeout: float, client: str = "") -> Outcome:
        """Answer ``job`` in a free worker; kill the worker if it takes longer than ``timeout`` seconds."""
        try:
            header, body = await self._roundtrip(
                wire.encode({"op": "query", **job.to_header()}), timeout, client, "query"
            )
        except TimeoutError:
            raise QueryTimeout(
                f"the query was stopped after {timeout:g} s (the limit set by IOPGRAPH_QUERY_TIMEOUT); "
                "narrow it down, add a LIMIT, or ask the operator for a longer limit"
            ) from None
        except WorkerDied as died:
            if self._closed:
                raise WorkersUnavailable("the service is shutting down") from None
            raise QueryTooComplex(
                f"the query made its isolated worker crash ({died.how}); it was not answered and this query "
                "will be refused from now on. Simplify it: fewer UNION branches or OPTIONALs, shorter property "
                "paths or expressions, smaller intermediate strings"
            ) from None
        if header.get("ok"):
            return Outcome(
                body, int(header["count"]), bool(header["truncated"]), str(header.get("cut") or "rows")
            )
        if header.get("error") == "syntax":
            raise QuerySyntaxError(
                f"malformed SPARQL query: {describe_syntax_error(job.query, header['message'])}"
            )
        if header.get("error") == "network":
            log.info("a SERVICE call failed in a worker: %s", str(header.get("message"))[:500])
            if self.keep_network:
                raise ServiceUnreachable(
                    "a SERVICE call in the query failed: its endpoint could not be reached"
                )
            raise ServiceUnreachable(
                "a SERVICE call in the query could not be made: the query workers have no network access "
                "(only hosts on IOPGRAPH_SERVICE_ALLOWLIST can be called, and only when it is set)"
            )
        raise QueryFailed(f"the query engine failed: {str(header.get('message', ''))[:1000]}")

    async def call(
        self, job: str, args: dict[str, Any], payload: bytes = b"", *, timeout: float, client: str = ""
    ) -> tuple[dict[str, Any], bytes]:
        """Run ``iopgraph.jobs.JOBS[job](store, args, payload)`` in a worker; see the module docstring."""
        try:
            header, body = await self._roundtrip(
                wire.encode({"op": "call", "job": job, "args": args}, payload), timeout, client, f"{job} job"
            )
        except TimeoutError:
            raise JobTimeout(f"the {job} job was stopped after {timeout:g} s, its time limit") from None
        except WorkerDied as died:
            if self._closed:
                raise WorkersUnavailable("the service is shutting down") from None
            raise JobCrashed(
                f"the input made the isolated worker crash ({died.how}); nothing was applied"
            ) from None
        if header.get("ok"):
            result = header.get("result")
            return (result if isinstance(result, dict) else {}), body
        if header.get("error") == "iopgraph":
            raise rebuild_error(header)
        log.error("isolated job %s failed: %s", job, str(header.get("message"))[:2000])
        raise JobFailed(f"the {job} job failed inside its isolated worker; the details are in the server log")

    # -- lifecycle of workers ------------------------------------------------------------------------

    # -- the copy budget while queries run (see copy_guard) -------------------------------------------

    async def _guard_copies(self) -> None:
        """While an in-memory worker is busy: every ``copy_guard.TICK`` s, estimate what each busy worker has
        copied since its last report and carry out :func:`copy_guard.plan`."""
        loop = asyncio.get_running_loop()
        try:
            while not self._closed:
                await asyncio.sleep(copy_guard.TICK)
                for worker in [w for w in self._paused if not w.alive or w not in self._workers]:
                    self._resume(worker)  # retired meanwhile (a reload): let it answer and end
                live = [w for w in self._workers if w.alive and w.pid and not w.zygote.cold]
                budget = self._budget()
                if budget is None or not any(w.busy for w in live):
                    return
                now = loop.time()
                copies = []
                for worker in live:
                    if worker.busy:
                        faults = copy_guard.minor_faults(worker.pid)
                        if faults is not None:
                            worker.seen_faults = faults
                            worker.grown_mb = max(0, faults - worker.faults) * copy_guard.PAGE_MB
                            worker.query_mb = max(0, faults - worker.query_faults) * copy_guard.PAGE_MB
                    paused = worker.paused_at is not None
                    paused_s = worker.paused_s + (
                        now - worker.paused_at if worker.paused_at is not None else 0.0
                    )
                    copies.append(
                        copy_guard.Copy(
                            worker,
                            worker.private_mb,
                            worker.grown_mb,
                            worker.busy,
                            worker.query_mb if worker.busy else 0.0,
                            paused,
                            paused_s,
                            worker.retiring,
                        )
                    )
                for step in copy_guard.plan(copies, budget):
                    self._carry_out(step.action, step.key)  # type: ignore[arg-type]
        finally:
            self._guard = None
            for worker in list(self._paused):
                self._resume(worker)

    def _carry_out(self, action: str, worker: _Worker) -> None:
        if action == "recycle" and worker.alive and not worker.busy:
            worker.alive = False  # handed no further query, then replaced
            self._background(self._recycle(worker))
        elif action == "retire":
            worker.retiring = True
        elif action == "pause" and worker.busy and worker.pidfd >= 0:
            with contextlib.suppress(ProcessLookupError, OSError):
                signal.pidfd_send_signal(worker.pidfd, signal.SIGSTOP)
                worker.paused_at = asyncio.get_running_loop().time()
                self._paused.add(worker)
                self.paused += 1
                log.info(
                    "query worker %s paused: it copied %.0f MB of the graph in its query while another worker "
                    "held or copied one (copy budget %.0f MB)",
                    worker.pid,
                    worker.query_mb,
                    self._budget() or 0,
                )
        elif action == "resume":
            self._resume(worker)

    def _resume(self, worker: _Worker) -> None:
        self._paused.discard(worker)
        if worker.paused_at is not None:
            worker.paused_s += asyncio.get_running_loop().time() - worker.paused_at
            worker.paused_at = None
            if worker.pidfd >= 0:
                with contextlib.suppress(ProcessLookupError, OSError):
                    signal.pidfd_send_signal(worker.pidfd, signal.SIGCONT)

    async def _kill(self, worker: _Worker) -> None:
        worker.alive = False
        self._paused.discard(worker)
        worker.paused_at = None
        worker.signal_kill()
        await worker.exited(10.0)
        worker.forget()

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

    async def _recycle(self, worker: _Worker) -> None:
        """Replace a worker that asked to retire (its private memory grew; see ``worker.serve``)."""
        if worker in self._workers:
            self._workers.remove(worker)
        await self._kill(worker)
        self.recycled += 1
        if not self._closed:
            self._background(self._respawn())

    async def _respawn(self) -> None:
        async with self._lock:
            if not self._closed and len(self._workers) < self.size:
                await self._spawn_locked()

    async def broadcast_write(self, remove: bytes, add: bytes) -> None:
        """Send a write (N-Quads to remove, to add) to every worker; call with :attr:`lock` held."""
        await self._go_warm_locked()  # cold workers cannot follow a write
        message = wire.encode({"op": "apply"}, remove + b"\0" + add)
        zygote = self._zygote
        if zygote is not None:
            zygote.send(message)  # a worker forked from now on starts with the write
        for worker in list(self._workers):
            if worker.alive and not worker.writer.is_closing():
                worker.writer.write(message)
        if zygote is not None:
            await zygote.drain()
        for worker in list(self._workers):
            if worker.alive and not worker.writer.is_closing():
                with contextlib.suppress(ConnectionError):
                    await worker.writer.drain()

    async def reload(self) -> None:
        """Replace every worker by one started from a fresh snapshot; call with :attr:`lock` held.

        For writes that cannot be sent as quads (e.g. a SPARQL Update). Busy
        workers finish their query first and are then retired.
        """
        old, self._workers = self._workers, []
        old_zygote, self._zygote = self._zygote, None
        for _ in range(self.size):
            await self._spawn_locked()
        if old_zygote is not None:
            self._stop_zygote(old_zygote)
        self._drop_cold_locked([w for w in old if w.zygote.cold])
        for worker in old:
            worker.alive = False
            if not worker.busy and worker not in self._running:
                await self._kill(worker)
        self._dispatch()

    def _stop_zygote(self, zygote: _Zygote) -> None:
        """End a zygote that is no longer needed (its workers are killed separately)."""
        zygote.alive = False
        with contextlib.suppress(ProcessLookupError):
            zygote.process.kill()

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        for worker in self._workers:
            worker.alive = False
            worker.signal_kill()
        for worker in self._workers:
            await worker.exited(10.0)
            worker.forget()
        self._workers.clear()
        for zygote in (self._zygote, self._cold):
            if zygote is not None:
                self._stop_zygote(zygote)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(zygote.process.wait(), 10.0)
        self._zygote = self._cold = None
        for folder in self._checkpoints:  # cold workers are gone: nobody reads them any more
            shutil.rmtree(folder, ignore_errors=True)
        self._checkpoints.clear()
        self.broken = "the service is shutting down"
        self._fail_waiters()
