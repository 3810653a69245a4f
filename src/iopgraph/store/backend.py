"""The store behind the service, as one async interface with interchangeable implementations.

Every component that reads or writes the graph (SPARQL endpoint, linked-data
views, validation against the current graph, writes) goes through a
:class:`Backend`; none touches pyoxigraph or HTTP stores directly. Blocking work
runs off the event loop.

    backend = LocalBackend(open_store(path))
    await backend.start(workers=2)          # query worker processes for run_query()
    rows = await backend.select("SELECT ?s WHERE { ?s a ?c } LIMIT 3")
    triples = await backend.construct("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 3")
    outcome = await backend.run_query(job, timeout=30)   # a user's query, serialised, killable
    result, body = await backend.isolated("echo", {"x": 1}, b"data", timeout=10)  # a job in a sandboxed worker
    await backend.close()

Two implementations: :class:`LocalBackend` (the embedded on-disk Oxigraph store,
with an in-memory copy in each query worker process) and
:class:`iopgraph.store.remote.RemoteBackend` (any SPARQL 1.1 endpoint over HTTP).

``version`` changes on every accepted write; ETags and caches are keyed on it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import anyio.to_thread
import pyoxigraph as ox

from iopgraph.core.errors import IopgraphError, StoreError
from iopgraph.query.errors import WorkersUnavailable
from iopgraph.store.dump_child import Children, checkpoint_path, remove_stale
from iopgraph.store.engine import Outcome, QueryJob, execute
from iopgraph.store.patterns import Subject, read_triples_of, read_triples_to
from iopgraph.store.pool import WorkerPool
from iopgraph.store.snapshot import SnapshotFiles, digest_of_store
from iopgraph.store.triple_index import MAX_QUADS as INDEX_MAX_QUADS
from iopgraph.store.triple_index import TripleIndex

if TYPE_CHECKING:
    from iopgraph.core.settings import Settings

log = logging.getLogger("iopgraph")

T = TypeVar("T")

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Row = dict[str, Term]

#: The trivial query :meth:`Backend.health` asks (true when the store holds any triple).
PROBE_QUERY = "ASK { ?s ?p ?o }"


@dataclass(frozen=True)
class BackendStats:
    """What a backend says about itself (for ``/readyz`` and ``/metrics``), read without a query."""

    kind: str  # "embedded" or "remote"
    workers: int | None = None  # live worker processes; None when it runs no pool
    ready_workers: int | None = None  # of those, the ones that have loaded the graph and can answer
    workers_replaced: int = 0  # workers killed and replaced (timeouts, cancellations, crashes)
    workers_recycled: int = 0  # workers replaced by a fresh fork to give their copies of graph pages back
    workers_paused: int = 0  # pauses of a worker that copied graph pages while another held or copied some
    sandbox: dict[str, Any] | None = None  # the sandbox report of the latest ready worker


@dataclass(frozen=True)
class Health:
    """Whether the backend can answer a query now (``ok``), why not (``reason``), and what was checked."""

    ok: bool
    reason: str = ""
    checks: dict[str, object] = field(default_factory=dict)


class Backend(Protocol):
    """What the service needs from a store."""

    @property
    def version(self) -> str: ...

    @property
    def last_modified(self) -> datetime: ...

    async def select(self, query: str, substitutions: dict[str, Term] | None = None) -> list[Row]: ...

    async def ask(self, query: str, substitutions: dict[str, Term] | None = None) -> bool: ...

    async def construct(
        self, query: str, substitutions: dict[str, Term] | None = None
    ) -> list[ox.Triple]: ...

    async def triples_of(
        self, subjects: Sequence[Subject], predicates: Sequence[str] | None = None
    ) -> list[ox.Triple]:
        """Every triple whose subject is one of ``subjects`` (and predicate one of ``predicates``, when
        given): each triple once, subject by subject in the order given (:mod:`iopgraph.store.patterns`)."""
        ...

    async def triples_to(self, objects: Sequence[Subject], predicates: Sequence[str]) -> list[ox.Triple]:
        """The triples ``?s p o`` with ``o`` one of ``objects`` and ``p`` one of ``predicates``: each once,
        object by object in the order given."""
        ...

    async def quads(self, graph: str | None = None) -> list[ox.Quad]:
        """The quads of ``graph`` (a named graph's IRI; ``""`` is the store's own default graph), or of
        every graph (None); read off the event loop."""
        ...

    @property
    def holds_graph(self) -> bool:
        """True when the sandboxed workers hold a copy of the graph; False: a job that needs the graph
        must be sent the quads it reads (:meth:`nquads`)."""
        ...

    async def nquads(self, graphs: Iterable[str] | None = None) -> bytes:
        """The quads of ``graphs`` (named graphs' IRIs; ``""`` is the default graph), or of every graph,
        as N-Quads with the store's blank-node labels (what a sandboxed write plan starts from)."""
        ...

    async def graph_names(self) -> list[str]:
        """The IRIs of the named graphs that hold quads."""
        ...

    async def replace_quads(self, remove: Iterable[ox.Quad], add: Iterable[ox.Quad]) -> None: ...

    async def content_digest(self) -> str | None:
        """SHA-256 of the store's content (its N-Quads dump) as the service found it at start, once known
        (None: not known, e.g. a remote store, no workers, or written to since start). Cheap to ask for:
        it is computed anyway for the query workers' snapshot."""
        ...

    async def run_query(self, job: QueryJob, timeout: float, client: str = "") -> Outcome:
        """Run a user's query with a hard ``timeout``; the result comes back serialised (``job.media_type``).

        ``client`` (the remote address) is the unit of fair scheduling among the workers."""
        ...

    async def isolated(
        self, job: str, args: dict[str, Any], payload: bytes = b"", *, timeout: float
    ) -> tuple[dict[str, Any], bytes]:
        """Run ``iopgraph.jobs.JOBS[job]`` in a sandboxed worker (see :meth:`WorkerPool.call`)."""
        ...

    async def run_on_store(self, work: Callable[[ox.Store], T]) -> T:
        """Run trusted ``work`` (a write plan of the operator's own files, the search index's reads) in a
        thread, on a store holding the current graph: the embedded store itself, or a copy of a remote
        store's quads. ``work`` must not write to the store."""
        ...

    def stats(self) -> BackendStats: ...

    async def health(self, timeout: float = 5.0) -> Health:
        """Answer a trivial query within ``timeout`` s and report the worker pool; never raises."""
        ...

    async def start(self, workers: int = 2) -> None: ...

    async def close(self) -> None: ...


def pool_stats(kind: str, pool: WorkerPool | None) -> BackendStats:
    """The :class:`BackendStats` of a backend of ``kind`` running ``pool`` (or none)."""
    if pool is None:
        return BackendStats(kind)
    return BackendStats(
        kind,
        pool.live_count,
        pool.ready_count,
        pool.replaced,
        pool.recycled,
        pool.paused,
        pool.sandbox,
    )


async def probe(backend: Backend, timeout: float) -> Health:
    """The :meth:`Backend.health` of any backend: a trivial query, then its worker pool."""
    stats = backend.stats()
    checks: dict[str, object] = {"store": "remote" if stats.kind == "remote" else "open"}
    try:
        checks["triples"] = await asyncio.wait_for(backend.ask(PROBE_QUERY), timeout)
    except TimeoutError:
        checks["query"] = "timeout"
        return Health(False, f"the store did not answer a trivial query within {timeout:g} s", checks)
    except IopgraphError as exc:
        checks["query"] = exc.code
        return Health(False, exc.message, checks)
    except Exception as exc:  # any failure of the probe means "not ready"
        checks["query"] = "error"
        return Health(False, f"the store failed a trivial query: {type(exc).__name__}", checks)
    checks["query"] = "ok"
    if stats.workers is None:
        return Health(True, "", checks)
    checks["query_workers"] = stats.workers
    sandbox = stats.sandbox
    if sandbox is not None:
        checks["network_isolation"] = bool(sandbox.get("network_isolation"))
        checks["network_mode"] = sandbox.get("network_mode")
        if not sandbox.get("network_isolation"):
            checks["network_isolation_reason"] = sandbox.get("sandbox_reason")
        checks["worker_memory_limit_mb"] = sandbox.get("memory_limit_mb")
    if stats.workers == 0:
        return Health(False, "no query worker process is running", checks)
    checks["query_workers_ready"] = stats.ready_workers
    if stats.kind == "embedded" and not stats.ready_workers:
        # Queries are answered by the workers' copies of the graph: ready once one has loaded it.
        return Health(False, "the query workers are still loading the graph", checks)
    return Health(True, "", checks)


def graph_term(name: str) -> ox.NamedNode | ox.DefaultGraph:
    """``""`` is the default graph, any other name a named graph's IRI."""
    return ox.DefaultGraph() if name == "" else ox.NamedNode(name)


def nquads_bytes(quads: list[ox.Quad]) -> bytes:
    """``quads`` as N-Quads (blank-node labels kept)."""
    return (ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"") if quads else b""


#: The cold workers' checkpoints: ``<store>.checkpoint-<id>`` beside the store.
COLD_SUFFIX = ".checkpoint-"


class LocalBackend:
    """The embedded Oxigraph store.

    * ``select``/``ask``/``construct``/``quads`` (the service's own, trusted
      queries) run on the on-disk store in worker threads.
    * ``run_query`` (users' queries) runs in a :class:`WorkerPool` of processes
      holding in-memory copies, so that it can be killed at the timeout.
    * Writes land in the on-disk store in one transaction, then reach every
      worker before the version changes. A new write method must end with
      ``await self._publish(...)`` while holding ``self._write_lock()``.
    * The service's own reads (``select``, ``ask``, ``construct``, ``triples_of``, ``triples_to``,
      ``quads``, ``nquads``: the
      views, dumps and catalogue) run on an in-memory *read copy* when the graph has at most
      ``read_copy_max_quads`` quads (``IOPGRAPH_READ_COPY_MAX_QUADS``): the in-memory store
      answers a view's lookups several times faster than RocksDB. Made by :meth:`start`; every
      write reaches it in the same transaction text before the version changes. Larger graphs
      (where the memory matters more than page speed) are read from disk. ``triples_of`` and
      ``triples_to`` on a copy of at most 50,000 quads are answered from its
      :class:`~iopgraph.store.triple_index.TripleIndex`, made once per version.

    All graphs form the default graph of a query (union default graph).
    """

    def __init__(
        self,
        store: ox.Store,
        version: str | None = None,
        store_path: Path | None = None,
        snapshot_token: str | None = None,
        checkpoint_of: Path | None = None,
        read_copy_max_quads: int = 0,
    ) -> None:
        """``store_path`` and ``snapshot_token`` (e.g. sources hash + quad count) let the
        workers' start-up snapshot be kept beside the store and reused by the next start.
        ``checkpoint_of`` (the store's folder) lets cold workers answer from a RocksDB checkpoint
        of it while the in-memory copy loads (see :mod:`iopgraph.store.pool`)."""
        self.store = store
        self._version = version or uuid.uuid4().hex
        self._modified = datetime.now(UTC).replace(microsecond=0)
        self._pool: WorkerPool | None = None
        self._local_lock = asyncio.Lock()
        self._store_path = store_path
        self._token = snapshot_token
        self._files: SnapshotFiles | None = None
        self._snapshot: tuple[str, Path] | None = None  # (version, file)
        self._verify: str | None = None  # digest of a reused snapshot, checked once the workers are up
        self._tasks: set[asyncio.Task[None]] = set()
        self._checkpoint_of = checkpoint_of
        self._read_copy_max = read_copy_max_quads
        self._reads: ox.Store | None = None  # the in-memory read copy, if the graph is small enough
        self._reads_changed = 0  # counts the read copy's changes: an index made across one is dropped
        self._index: TripleIndex | None = None  # the read copy's lookups, made once per version
        self._index_of = -1  # the change count the index (or the decision to have none) was made at
        self._index_lock = asyncio.Lock()
        self._content: asyncio.Future[str | None] | None = None  # see content_digest
        self._children = Children()  # the dumps' child processes, stopped on close

    @property
    def version(self) -> str:
        return self._version

    @property
    def last_modified(self) -> datetime:
        return self._modified

    @property
    def pool(self) -> WorkerPool | None:
        return self._pool

    def _bump(self) -> None:
        self._version = uuid.uuid4().hex
        self._modified = datetime.now(UTC).replace(microsecond=0)

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self, workers: int = 2, wait: bool = False, **options: Any) -> None:
        """Start ``workers`` query worker processes (they load a snapshot in the background).

        ``options`` are :class:`WorkerPool` keywords (see :func:`worker_options`)."""
        if self._read_copy_max > 0 and self._reads is None:
            await self._refresh_read_copy()
        if self._content is None:
            self._content = asyncio.get_running_loop().create_future()
            if workers <= 0:
                self._settle_content(None)
        if self._pool is None and workers > 0:
            self._files = SnapshotFiles(self._store_path, self._checkpoint_of, self._children)
            checkpoint = self._make_checkpoint if self._checkpoint_of is not None else None
            self._pool = WorkerPool(workers, self._make_snapshot, checkpoint=checkpoint, **options)
            await self._pool.start(wait=wait)

    async def content_digest(self) -> str | None:
        if self._content is None:
            return None
        return await asyncio.shield(self._content)

    def _settle_content(self, digest: str | None) -> None:
        if self._content is not None and not self._content.done():
            self._content.set_result(digest)

    async def close(self) -> None:
        self._settle_content(None)
        for task in list(self._tasks):
            task.cancel()
        # A dump still running (the snapshot, the check of a reused one) is killed, and its thread has let
        # go of the store before this returns: the store can be opened again at once.
        await anyio.to_thread.run_sync(self._children.stop)
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self._files is not None:
            self._files.close()
            self._files = None

    async def _make_snapshot(self) -> Path:
        """An N-Quads dump of the store at the current version (reused while the version holds)."""
        if self._snapshot and self._snapshot[0] == self._version and self._snapshot[1].exists():
            return self._snapshot[1]
        files = self._files
        assert files is not None
        first = self._snapshot is None
        if first and self._token is not None:
            reused = files.reusable(self._token)
            if reused is not None:
                log.info("query workers: the snapshot of the previous start is reused (not dumped again)")
                self._snapshot, self._verify = (self._version, reused[0]), reused[1]
                # The pool may call this in the background (cold start): the check is scheduled here.
                task = asyncio.ensure_future(self._verify_reused_snapshot(reused[1]))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                return reused[0]
        version = self._version
        token = self._token if first else None  # only the start-up state is worth keeping
        try:
            path, digest = await anyio.to_thread.run_sync(files.take, self.store, version, token)
        except BaseException:
            self._settle_content(None)
            raise
        self._snapshot = (version, path)
        self._settle_content(digest if first and self._version == version else None)
        return path

    async def _make_checkpoint(self) -> Path | None:
        """A RocksDB checkpoint of the store beside it (hard links: instant), for the cold workers; None if
        it cannot be made (they are then skipped). Checkpoints left by a killed server are removed first."""
        folder = self._checkpoint_of
        assert folder is not None

        def make() -> Path | None:
            remove_stale(folder, COLD_SUFFIX)
            target = checkpoint_path(folder, COLD_SUFFIX)
            try:
                self.store.backup(str(target))
            except OSError as exc:
                log.warning("no checkpoint for the cold start of the query workers: %s", exc)
                shutil.rmtree(target, ignore_errors=True)
                return None
            return target

        return await anyio.to_thread.run_sync(make)

    async def _verify_reused_snapshot(self, digest: str) -> None:
        """Compare the reused snapshot with the store; reload the workers if they differ."""
        try:
            await self._verify_reused(digest)
        except OSError as exc:  # e.g. the dump's child killed at shutdown; the service goes on as it was
            log.warning("the reused snapshot was not checked against the store: %s", exc)
        finally:
            self._settle_content(None)  # if the check failed or was cancelled before it knew

    async def _verify_reused(self, digest: str) -> None:
        assert self._pool is not None
        await self._pool.wait_ready()
        version = self._version
        # A thread of its own (then gone), not one of the shared pool; the dump runs niced (snapshot.digest_of_store).
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="iopgraph-snapshot-check")
        try:
            actual = await asyncio.get_running_loop().run_in_executor(
                executor, digest_of_store, self.store, self._checkpoint_of, True, self._children
            )
        finally:
            executor.shutdown(wait=False)  # never block the event loop (e.g. when cancelled at shutdown)
        self._settle_content(actual if self._version == version else None)
        if actual == digest or self._pool is None:
            return
        async with self._pool.lock:
            if self._version != version:
                return  # a write happened meanwhile; the workers already follow the store
            log.warning(
                "the store changed since its snapshot was taken (outside the service?); reloading workers"
            )
            if self._files is not None:
                self._files.invalidate()
            self._snapshot = None  # dumped again from the store, and kept for the next start
            if self._reads is not None:
                await self._refresh_read_copy()
            await self._pool.reload()
            # Only now: an answer run at the new version comes from a worker with the store's content (one run
            # before, by a worker still holding the reused snapshot, was cached under the new version).
            self._bump()

    # -- the read copy -----------------------------------------------------------------------

    @property
    def read_copy(self) -> bool:
        """Whether the service's own reads run on an in-memory copy (see the class docstring)."""
        return self._reads is not None

    async def _refresh_read_copy(self) -> None:
        """(Re)make the read copy from the durable store, or drop it when the graph outgrew the limit."""
        limit = self._read_copy_max

        def make() -> ox.Store | None:
            quads = list(itertools.islice(self.store, limit + 1))
            if len(quads) > limit:
                return None
            copy = ox.Store()
            copy.bulk_extend(quads)  # labels kept: the copy names the durable store's blank nodes
            return copy

        copy = await anyio.to_thread.run_sync(make) if limit > 0 else None
        if copy is None and self._reads is not None:
            log.info(
                "read copy dropped: the graph has more than %d quads (IOPGRAPH_READ_COPY_MAX_QUADS)", limit
            )
        self._reads = copy
        self._read_copy_changed()

    def _read_copy_changed(self) -> None:
        self._reads_changed += 1
        self._index = None

    async def _triple_index(self) -> TripleIndex | None:
        """The read copy's :class:`TripleIndex`, made by the first lookup after a change (None: no read
        copy, or over :data:`~iopgraph.store.triple_index.MAX_QUADS`: decided once per change, since
        counting an in-memory store's quads walks it)."""
        if self._reads is None or self._index_of == self._reads_changed:
            return self._index
        async with self._index_lock:
            copy, changes = self._reads, self._reads_changed
            if copy is not None and self._index_of != changes:
                index = await anyio.to_thread.run_sync(
                    lambda: TripleIndex.of(copy) if len(copy) <= INDEX_MAX_QUADS else None
                )
                if changes == self._reads_changed:  # no write landed while it was made
                    self._index, self._index_of = index, changes
        return self._index

    @property
    def _readable(self) -> ox.Store:
        return self._reads if self._reads is not None else self.store

    # -- reads -------------------------------------------------------------------------------

    def _query(
        self, query: str, substitutions: dict[str, Term] | None
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        subs: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
            ox.Variable(k): v for k, v in (substitutions or {}).items()
        }
        return self._readable.query(query, use_default_graph_as_union=True, substitutions=subs or None)

    async def select(self, query: str, substitutions: dict[str, Term] | None = None) -> list[Row]:
        def run() -> list[Row]:
            result = self._query(query, substitutions)
            assert isinstance(result, ox.QuerySolutions)
            names = [v.value for v in result.variables]
            rows = []
            for solution in result:
                row = {n: solution[n] for n in names if solution[n] is not None}
                rows.append(row)
            return rows

        return await anyio.to_thread.run_sync(run)

    async def ask(self, query: str, substitutions: dict[str, Term] | None = None) -> bool:
        return await anyio.to_thread.run_sync(lambda: bool(self._query(query, substitutions)))

    async def construct(self, query: str, substitutions: dict[str, Term] | None = None) -> list[ox.Triple]:
        def run() -> list[ox.Triple]:
            result = self._query(query, substitutions)
            assert isinstance(result, ox.QueryTriples)
            return list(result)

        return await anyio.to_thread.run_sync(run)

    async def triples_of(
        self, subjects: Sequence[Subject], predicates: Sequence[str] | None = None
    ) -> list[ox.Triple]:
        if (index := await self._triple_index()) is not None:
            return index.triples_of(subjects, predicates)  # dictionary lookups: no thread needed
        return await anyio.to_thread.run_sync(lambda: read_triples_of(self._readable, subjects, predicates))

    async def triples_to(self, objects: Sequence[Subject], predicates: Sequence[str]) -> list[ox.Triple]:
        if (index := await self._triple_index()) is not None:
            return index.triples_to(objects, predicates)
        return await anyio.to_thread.run_sync(lambda: read_triples_to(self._readable, objects, predicates))

    async def quads(self, graph: str | None = None) -> list[ox.Quad]:
        g = None if graph is None else graph_term(graph)
        return await anyio.to_thread.run_sync(
            lambda: list(self._readable.quads_for_pattern(None, None, None, g))
        )

    async def nquads(self, graphs: Iterable[str] | None = None) -> bytes:
        names = None if graphs is None else sorted(set(graphs))

        def run() -> bytes:
            if names is None:
                return nquads_bytes(list(self._readable))
            source = self._readable
            return nquads_bytes(
                [q for n in names for q in source.quads_for_pattern(None, None, None, graph_term(n))]
            )

        return await anyio.to_thread.run_sync(run)

    async def graph_names(self) -> list[str]:
        return await anyio.to_thread.run_sync(
            lambda: sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))
        )

    async def run_on_store(self, work: Callable[[ox.Store], T]) -> T:
        return await anyio.to_thread.run_sync(lambda: work(self.store))

    @property
    def holds_graph(self) -> bool:
        """The worker processes hold a copy of the graph (a sandboxed job needs no dataset sent along)."""
        return True

    def stats(self) -> BackendStats:
        return pool_stats("embedded", self._pool)

    async def health(self, timeout: float = 5.0) -> Health:
        return await probe(self, timeout)

    async def run_query(self, job: QueryJob, timeout: float, client: str = "") -> Outcome:
        if self._pool is None:
            # No worker processes (e.g. a backend built by hand in a test): run in a thread, no hard stop.
            return await anyio.to_thread.run_sync(lambda: execute(self.store, job))
        return await self._pool.run(job, timeout, client)

    async def isolated(
        self, job: str, args: dict[str, Any], payload: bytes = b"", *, timeout: float
    ) -> tuple[dict[str, Any], bytes]:
        if self._pool is None:
            raise WorkersUnavailable("no worker processes are running (the backend was not started)")
        return await self._pool.call(job, args, payload, timeout=timeout)

    # -- writes ------------------------------------------------------------------------------

    @asynccontextmanager
    async def _write_lock(self) -> AsyncIterator[None]:
        """Held around every write: one writer at a time, no worker starting from a half-written store.

        Entering it also forgets the persisted start-up snapshot (the store is about to change).
        """
        lock = self._pool.lock if self._pool is not None else self._local_lock
        async with lock:
            if self._files is not None:
                self._files.invalidate()
            yield

    async def _publish(self, remove: list[ox.Quad] | None = None, add: list[ox.Quad] | None = None) -> None:
        """Bring the query workers in step with a write that just landed on disk, then bump the version.

        With ``remove``/``add`` the quads are sent to the workers; without them
        (or when blank nodes are involved, whose labels the store may rename)
        the workers are reloaded from a fresh snapshot.
        """
        quads = [*(remove or []), *(add or [])]
        as_delta = (remove is not None or add is not None) and not any(_has_blank_node(q) for q in quads)
        if self._reads is not None:
            await self._update_read_copy(remove or [], add or [], as_delta)
        if self._pool is not None:
            if as_delta:
                await self._pool.broadcast_write(nquads_bytes(remove or []), nquads_bytes(add or []))
            self._bump()
            if not as_delta:
                await self._pool.reload()
        else:
            self._bump()

    async def _update_read_copy(self, remove: list[ox.Quad], add: list[ox.Quad], as_delta: bool) -> None:
        """Bring the read copy in step with a write on disk: the same quads in one transaction, or anew."""
        copy = self._reads
        if copy is None:
            return
        if not as_delta:  # blank nodes (the store may rename them) or no delta: copy the store again
            await self._refresh_read_copy()
            return
        text = _update_text(remove, add, copy)
        self._read_copy_changed()
        try:
            await anyio.to_thread.run_sync(lambda: copy.update(text) if text.strip() else None)
        except Exception:  # never leave a copy that differs from disk: make it again
            log.exception("read copy: applying a write failed; copying the store again")
            await self._refresh_read_copy()

    async def replace_quads(self, remove: Iterable[ox.Quad], add: Iterable[ox.Quad]) -> None:
        to_remove, to_add = list(remove), list(add)

        def run() -> None:
            # One SPARQL update = one transaction: all of it lands or none of it.
            try:
                self.store.update(_update_text(to_remove, to_add, self.store))
            except OSError as exc:  # disk full, read-only file system, ...: nothing was written
                log.error("store write failed: %s", exc)
                raise StoreError(f"the write was not applied: {_io_problem(exc)}") from None
            try:
                self.store.flush()
            except OSError as exc:  # the write is in the write-ahead log already: applied and durable
                log.warning("store flush after a write failed: %s", exc)

        async with self._write_lock():
            await anyio.to_thread.run_sync(run)
            await self._publish(to_remove, to_add)


def worker_options(settings: Settings) -> dict[str, Any]:
    """The :class:`WorkerPool` keywords the settings ask for (sandbox, fairness, copies kept)."""
    return {
        "memory_mb": settings.worker_memory_mb or None,
        "recycle_mb": float(settings.worker_copy_budget_mb) or None,
        "keep_network": bool(settings.service_allowlist),
        "per_client": settings.query_workers_per_client or None,
    }


def _io_problem(exc: OSError) -> str:
    """What an operator must do about a failed store write, without the server's file paths."""
    text = str(exc)
    if "No space left" in text:
        return "the disk holding the store is full; free space, then restart the service (reads still work)"
    if "Read-only file system" in text or "Permission denied" in text:
        return "the store's folder is not writable (read-only file system or permissions); reads still work"
    return "the store reported an I/O error (see the server log); reads still work"


def _has_blank_node(quad: ox.Quad) -> bool:
    return any(isinstance(t, ox.BlankNode) for t in (quad.subject, quad.object, quad.graph_name))


def graph_blocks(quads: list[ox.Quad]) -> str:
    """``quads`` as the ``GRAPH <g> { … }`` blocks of a SPARQL update (default-graph quads bare)."""
    lines = []
    for q in quads:
        triple = f"{q.subject} {q.predicate} {q.object} ."
        lines.append(
            triple if isinstance(q.graph_name, ox.DefaultGraph) else f"GRAPH {q.graph_name} {{ {triple} }}"
        )
    return "\n".join(lines)


def _update_text(remove: list[ox.Quad], add: list[ox.Quad], store: ox.Store | None = None) -> str:
    """One SPARQL update (= one Oxigraph transaction) removing ``remove``, then adding ``add``.

    DELETE DATA cannot name blank nodes, so a graph losing a blank-node quad is
    rewritten in the same transaction: CLEAR it, then insert what it keeps (its
    blank nodes get new labels: the graph stays isomorphic) with the additions.
    """
    rewrite = {q.graph_name for q in remove if _has_blank_node(q)} if store is not None else set()
    gone = set(remove)
    keep = (
        [q for g in rewrite for q in store.quads_for_pattern(None, None, None, g) if q not in gone]
        if store is not None and rewrite  # not `if store`: that counts every quad of an on-disk store
        else []
    )
    parts = [
        ("CLEAR SILENT DEFAULT" if isinstance(g, ox.DefaultGraph) else f"CLEAR SILENT GRAPH {g}")
        for g in sorted(rewrite, key=str)
    ]
    plain = [q for q in remove if q.graph_name not in rewrite]
    if plain:
        parts.append("DELETE DATA {\n" + graph_blocks(plain) + "\n}")
    if keep or add:
        # One INSERT DATA, so one blank-node label is one node across all inserted quads.
        parts.append("INSERT DATA {\n" + graph_blocks(keep + add) + "\n}")
    return " ;\n".join(parts) or "# nothing to do"
