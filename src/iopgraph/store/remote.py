"""A :class:`~iopgraph.store.backend.Backend` over any SPARQL 1.1 endpoint (remote-store mode).

Set ``IOPGRAPH_STORE_URL`` (and ``IOPGRAPH_STORE_UPDATE_URL`` for writes) and
the service keeps no graph of its own: replicas are stateless, the store
(Oxigraph server, Fuseki, GraphDB, ...) holds the data. See docs/deploy.md.

* Parameters are bound as RDF terms in a ``VALUES`` block at the start of the
  WHERE clause (a remote store has no substitution API); the terms are
  re-serialised by pyoxigraph, so a value can never change the query's shape.
* ``timeout`` → 504, connection failure → 503 (``IOPGRAPH_STORE_URL`` is never
  shown to clients, only logged), other store errors → 502; a store's 400
  (malformed query) stays a 400 with the store's message. After a failure a
  circuit breaker answers 503 at once (with ``Retry-After``) for
  :data:`BREAKER_SECONDS`, so a hanging store costs one timeout, not one per request.
* Results are capped in rows and bytes while they stream in.
* Every user query is first parsed in a sandboxed, graph-less worker
  (:mod:`iopgraph.query.screen`): the store, which runs it with its own network,
  never gets a non-allow-listed ``SERVICE``.
* The store should present the union of its named graphs as the default graph
  (``oxigraph serve --union-default-graph``, Fuseki ``tdb:unionDefaultGraph``).
* Several processes over one store act as one service (:mod:`iopgraph.store.store_version`):
  ``version`` and ``last_modified`` are the store's own (a version triple in the system graph
  :data:`~iopgraph.store.store_version.SYSTEM_GRAPH`, changed by the same SPARQL Update as each write),
  read once per request; writes take a lease in the store (:meth:`RemoteBackend.lease`), so they
  are serialised across processes, and each write applies only if the version is still the one it
  was planned on.

    backend = RemoteBackend(Settings(store_url="http://127.0.0.1:7878/query",
                                     store_update_url="http://127.0.0.1:7878/update"))
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import http.client
import json
import logging
import random
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import anyio.to_thread
import httpx
import pyoxigraph as ox

from iopgraph.core.errors import IopgraphError, StoreError
from iopgraph.core.media_types import N_TRIPLES, RESULTS_JSON, TSV
from iopgraph.core.settings import Settings
from iopgraph.query.binding import bind_values
from iopgraph.query.errors import (
    QuerySyntaxError,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
    WorkersUnavailable,
)
from iopgraph.query.formats import RESULT_FORMATS
from iopgraph.store.backend import (
    BackendStats,
    Health,
    Row,
    T,
    Term,
    graph_blocks,
    nquads_bytes,
    pool_stats,
    probe,
    worker_options,
)
from iopgraph.store.engine import Outcome, QueryJob, serialize_triples, solutions_outcome, tsv_outcome
from iopgraph.store.patterns import Subject, construct_triples_of, construct_triples_to
from iopgraph.store.pool import WorkerPool, empty_snapshot
from iopgraph.store.sharing import shared_log_store, write_lease
from iopgraph.store.store_version import (
    HOLDERS_QUERY,
    SYSTEM_GRAPH,
    StoreState,
    VersionReader,
    append_entries,
    drop_leases,
    guarded_update,
    log_count_query,
    log_entries_query,
    take_lease,
)

log = logging.getLogger("iopgraph")

#: Seconds to open a TCP connection to the store.
CONNECT_TIMEOUT = 2.0
#: Seconds requests fail fast (503) after the store could not be reached or did not answer in time.
BREAKER_SECONDS = 5.0

#: Least seconds allowed for screening a query in a worker before it is forwarded.
SCREEN_TIMEOUT = 10.0

#: Seconds the (blocking) per-request version query may take before the store counts as failed.
VERSION_TIMEOUT = 1.0
#: A task (a request) reuses the version it read for at most this long.
VERSION_MEMO_SECONDS = 1.0
#: Entries of a shared log read per query.
LOG_BATCH = 500
#: A write lease outlives its holder's crash by this long past the write time limit.
LEASE_MARGIN = 30.0


#: Graphs that are the store's own, not the service's data: its version and lease (:data:`SYSTEM_GRAPH`)
#: and those a fresh Virtuoso database holds (its RDF views' metadata, LDP vocabulary, endpoint description).
HIDDEN_GRAPHS = frozenset(
    {
        SYSTEM_GRAPH,
        "http://www.openlinksw.com/schemas/virtrdf#",
        "http://www.w3.org/ns/ldp#",
        "http://localuriqaserver/sparql",
    }
)
_NOT_THE_STORES = "FILTER(?g NOT IN (" + ", ".join(f"<{g}>" for g in sorted(HIDDEN_GRAPHS)) + "))"


class StoreBusy(IopgraphError):
    """A write could not be serialised: another process holds the store's write lease, or the store
    changed under the write (a write made outside the service)."""

    code = "writes-busy"


@dataclass
class Lease:
    """The write lease this task holds: its holder literal and the store state it was taken on."""

    holder: str
    state: StoreState


_LEASE: contextvars.ContextVar[Lease | None] = contextvars.ContextVar("iopgraph_store_lease", default=None)


def _bind(query: str, substitutions: dict[str, Term] | None) -> str:
    return bind_values(query, {name: str(term) for name, term in (substitutions or {}).items()})


class RemoteBackend:
    """The service's store is a remote SPARQL endpoint; see the module docstring."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        assert settings.store_url, "RemoteBackend needs IOPGRAPH_STORE_URL"
        self.query_url = settings.store_url
        self.update_url = settings.store_update_url
        self.timeout = settings.query_timeout
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(settings.query_timeout, connect=CONNECT_TIMEOUT)
        )
        self._open_until = 0.0  # circuit breaker: until then, requests fail fast with 503
        self._version_paused_until = 0.0  # the version query failed: the last state stands until then
        # Used only while the store holds no version triple (before the first write through a service).
        self._boot = uuid.uuid4().hex
        self._started = datetime.now(UTC).replace(microsecond=0)
        self._reader = VersionReader(settings.store_url, min(VERSION_TIMEOUT, settings.query_timeout))
        self._state = StoreState((), None)  # the last state read (kept while the store cannot be reached)
        self._memo: weakref.WeakKeyDictionary[asyncio.Task[Any], tuple[float, StoreState]] = (
            weakref.WeakKeyDictionary()
        )
        self._settings = settings
        self._pool: WorkerPool | None = None
        self._standard_tsv = True  # False once the store answered TSV that is not SPARQL 1.1's (Virtuoso)

    # -- the store-side version --------------------------------------------------------------------

    def _current_state(self) -> StoreState:
        """The store's state, read once per task (request) and at most every VERSION_MEMO_SECONDS.

        While the breaker is open (the store failed moments ago) or for BREAKER_SECONDS after the version
        query failed (a hung store blocks for VERSION_TIMEOUT at most once in that time), the last state read
        stands: the store's answers fail anyway, cached representations of that state are still right.
        """
        try:
            task: asyncio.Task[Any] | None = asyncio.current_task()
        except RuntimeError:  # a thread without an event loop
            task = None
        now = time.monotonic()
        if (
            task is not None
            and (seen := self._memo.get(task)) is not None
            and now - seen[0] < VERSION_MEMO_SECONDS
        ):
            return seen[1]
        if self._open_until > now or self._version_paused_until > now:
            return self._state
        try:
            state = self._reader.read()
        except (OSError, http.client.HTTPException, ValueError, KeyError) as exc:
            # Not the query breaker: the request's own queries say what is wrong (503, 504, ...).
            self._version_paused_until = time.monotonic() + BREAKER_SECONDS
            log.warning("the store at %s did not answer the version query: %s", self.query_url, exc)
            return self._state
        self._state = state
        if task is not None:
            self._memo[task] = (now, state)
        return state

    def _forget_versions(self) -> None:
        """After a write: every task reads the version again."""
        self._memo.clear()

    @property
    def version(self) -> str:
        """The store's version (one per store, shared by every process over it); see the module docstring."""
        return self._current_state().version or f"unversioned-{self._boot}"

    @property
    def last_modified(self) -> datetime:
        modified = self._current_state().modified
        return modified.replace(microsecond=0) if modified is not None else self._started

    @property
    def pool(self) -> WorkerPool | None:
        """The graph-less sandboxed workers that screen queries and run isolated jobs here."""
        return self._pool

    async def content_digest(self) -> str | None:
        return None  # reading a remote store's whole content to hash it is what this is meant to avoid

    async def start(self, workers: int = 2) -> None:
        """Start ``workers`` sandboxed worker processes with an empty store (jobs, query screening)."""
        if self._pool is None and workers > 0:
            self._pool = WorkerPool(workers, empty_snapshot, **worker_options(self._settings))
            await self._pool.start(wait=False)
        if self.update_url:
            await self._first_version()

    async def _first_version(self) -> None:
        """Give a store without a version triple its first one, so that every process shares it from the
        start (before it, each process keys on a version of its own). Left to the first write when the store
        cannot be reached now."""
        try:
            if self._reader.read().values:
                return
            async with self.lease() as lease:
                if not lease.state.values:
                    await self._update(
                        guarded_update(lease.state, lease.holder, uuid.uuid4().hex, datetime.now(UTC), "", "")
                    )
        except (OSError, http.client.HTTPException, ValueError, KeyError, IopgraphError) as exc:
            log.warning("the store's version could not be set at start-up: %s", exc)
        finally:
            self._forget_versions()

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        await self._client.aclose()
        self._reader.close()

    async def isolated(
        self, job: str, args: dict[str, Any], payload: bytes = b"", *, timeout: float
    ) -> tuple[dict[str, Any], bytes]:
        if self._pool is None:
            raise WorkersUnavailable("no worker processes are running (the backend was not started)")
        return await self._pool.call(job, args, payload, timeout=timeout)

    # -- HTTP ----------------------------------------------------------------------------------

    def _raise_for(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        text = response.text[:2000]
        if response.status_code == 400:
            raise QuerySyntaxError(f"the store refused the query: {text}")
        raise UpstreamError(f"the store answered {response.status_code}: {text}")

    def _check_breaker(self) -> None:
        """Fail fast while the breaker is open (the store failed moments ago)."""
        left = self._open_until - time.monotonic()
        if left > 0:
            error = UpstreamUnavailable(
                f"the store cannot be reached (it failed moments ago; the next attempt is in {left:.0f} s)"
            )
            error.headers = {"Retry-After": str(max(1, round(left)))}
            raise error

    def _failed(self, exc: Exception, timeout: float) -> Exception:
        """The client-facing error for a transport failure; opens the breaker. The store's URL stays in the log."""
        self._open_until = time.monotonic() + BREAKER_SECONDS
        if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
            log.warning("the store at %s did not answer within %g s", self.query_url, timeout)
            return UpstreamTimeout(f"the store did not answer within {timeout:g} s (IOPGRAPH_QUERY_TIMEOUT)")
        log.warning("the store at %s cannot be reached: %s", self.query_url, exc)
        error = UpstreamUnavailable(
            "the store cannot be reached; try again shortly (the server log has the details)"
        )
        error.headers = {"Retry-After": str(round(BREAKER_SECONDS))}
        return error

    async def _post(
        self, url: str, data: dict[str, object], accept: str, timeout: float | None = None
    ) -> bytes:
        self._check_breaker()
        try:
            response = await self._client.post(
                url, data=data, headers={"Accept": accept}, timeout=timeout or self.timeout
            )
        except httpx.TransportError as exc:
            raise self._failed(exc, timeout or self.timeout) from None
        self._open_until = self._version_paused_until = 0.0  # the store answers again
        self._raise_for(response)
        return response.content

    # -- the service's own queries ---------------------------------------------------------------

    async def select(self, query: str, substitutions: dict[str, Term] | None = None) -> list[Row]:
        body = await self._post(self.query_url, {"query": _bind(query, substitutions)}, RESULTS_JSON)
        result = _parse_results(body)
        assert isinstance(result, ox.QuerySolutions)
        names = [v.value for v in result.variables]
        return [{n: s[n] for n in names if s[n] is not None} for s in result]

    async def ask(self, query: str, substitutions: dict[str, Term] | None = None) -> bool:
        body = await self._post(self.query_url, {"query": _bind(query, substitutions)}, RESULTS_JSON)
        return bool(_parse_results(body))

    async def construct(self, query: str, substitutions: dict[str, Term] | None = None) -> list[ox.Triple]:
        body = await self._post(self.query_url, {"query": _bind(query, substitutions)}, N_TRIPLES)
        return [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(body, ox.RdfFormat.N_TRIPLES)]

    async def triples_of(
        self, subjects: Sequence[Subject], predicates: Sequence[str] | None = None
    ) -> list[ox.Triple]:
        return await construct_triples_of(self.construct, subjects, predicates)

    async def triples_to(self, objects: Sequence[Subject], predicates: Sequence[str]) -> list[ox.Triple]:
        return await construct_triples_to(self.construct, objects, predicates)

    async def quads(self, graph: str | None = None) -> list[ox.Quad]:
        if graph == "":
            return []  # a union-default-graph endpoint cannot address its own default graph
        if graph:
            rows = await self.select(
                "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": ox.NamedNode(graph)}
            )
            name: ox.NamedNode | ox.DefaultGraph = ox.NamedNode(graph)
            return [_quad(r, name) for r in rows]
        rows = await self.select(f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {_NOT_THE_STORES} }}")
        return [_quad(r, cast(ox.NamedNode, r["g"])) for r in rows]  # GRAPH ?g binds an IRI

    async def nquads(self, graphs: Iterable[str] | None = None) -> bytes:
        if graphs is None:
            quads = await self.quads()
        else:  # one request for all of them (the default graph cannot be addressed here: see quads())
            names = " ".join(str(ox.NamedNode(g)) for g in sorted(set(graphs)) if g)
            if not names:
                return b""
            rows = await self.select(
                f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?g {{ {names} }} GRAPH ?g {{ ?s ?p ?o }} }}"
            )
            quads = [ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows]  # type: ignore[arg-type]
        return await anyio.to_thread.run_sync(nquads_bytes, quads)

    async def graph_names(self) -> list[str]:
        rows = await self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        names = (r["g"].value for r in rows if isinstance(r.get("g"), ox.NamedNode))
        return sorted(n for n in names if n not in HIDDEN_GRAPHS)

    async def run_on_store(self, work: Callable[[ox.Store], T]) -> T:
        quads = await self.quads()

        def run() -> T:
            copy = ox.Store()
            copy.bulk_extend(quads)
            return work(copy)

        return await anyio.to_thread.run_sync(run)

    @property
    def holds_graph(self) -> bool:
        return False  # the workers start from an empty store

    def stats(self) -> BackendStats:
        return pool_stats("remote", self._pool)

    async def health(self, timeout: float = 5.0) -> Health:
        return await probe(self, timeout)

    # -- writes ------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lease(self, wait: float | None = None) -> AsyncIterator[Lease]:
        """Hold the store's write lease (one writer among all processes over the store) for the block.

        Taking it: add a holder triple, read all holders; alone (expired ones aside) → held, else take
        the triple back and retry after a random pause, for at most ``wait`` s (then :class:`StoreBusy`).
        Two takers can never both be alone: each adds before it reads. A lease expires
        ``wait + LEASE_MARGIN`` s after it was taken (its holder crashed); a write checks, in its own
        update, that its lease is still there. Re-entrant within a task.
        """
        held = _LEASE.get()
        if held is not None:
            yield held
            return
        if not self.update_url:
            raise StoreError("the remote store is read-only here: set IOPGRAPH_STORE_UPDATE_URL to write")
        wait = self._settings.write_timeout if wait is None else wait
        deadline = time.monotonic() + wait
        lifetime_ms = int((wait + LEASE_MARGIN) * 1000)
        pause = 0.005
        while True:
            holder = f"{int(time.time() * 1000) + lifetime_ms:015d} {uuid.uuid4().hex}"
            await self._update(take_lease(holder))
            rows = await self.select(HOLDERS_QUERY)
            holders = [r["h"].value for r in rows if "h" in r]
            now_ms = int(time.time() * 1000)
            expired = [h for h in holders if h != holder and int(h.split(" ")[0]) < now_ms]
            if expired:
                log.warning("dropping %d expired write lease(s) of a crashed process", len(expired))
                await self._update(drop_leases(expired))
            if [h for h in holders if h not in expired] == [holder]:
                break
            await self._update(drop_leases([holder]))
            if time.monotonic() + pause > deadline:
                error = StoreBusy(
                    f"another service process kept the store's write lease for {wait:g} s "
                    "(IOPGRAPH_WRITE_TIMEOUT); nothing was written, try again shortly"
                )
                error.headers = {"Retry-After": "1"}
                raise error
            await asyncio.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, 0.25)
        self._forget_versions()
        lease = Lease(holder, self._current_state())
        token = _LEASE.set(lease)
        try:
            yield lease
        finally:
            _LEASE.reset(token)
            with contextlib.suppress(IopgraphError):  # an unreachable store: the lease expires on its own
                await self._update(drop_leases([holder]))

    # -- shared logs (the LDES members of every process) ------------------------------------------

    async def log_entries(self, name: str, start: int) -> list[str]:
        """The entries of the store's log ``name`` from ``start`` on (one tiny query when there are none)."""
        rows = await self.select(log_count_query(name))
        count = max((int(r["n"].value) for r in rows if "n" in r), default=0)
        found: dict[int, str] = {}
        for first in range(start, count, LOG_BATCH):
            batch = await self.select(log_entries_query(name, range(first, min(first + LOG_BATCH, count))))
            found.update((int(r["i"].value), r["e"].value) for r in batch)
        missing = [i for i in range(start, count) if i not in found]
        if missing:
            raise UpstreamError(
                f"the store's log {name!r} lacks entries {missing[:5]} (it was changed by hand?)"
            )
        return [found[i] for i in range(start, count)]

    async def append_log(self, name: str, start: int, entries: list[str]) -> None:
        """Append ``entries`` to log ``name`` at ``start`` (its current length): only with the lease held."""
        assert _LEASE.get() is not None, "append_log needs the write lease (RemoteBackend.lease)"
        if entries:
            await self._update(append_entries(name, start, entries))

    async def _update(self, text: str) -> None:
        assert self.update_url
        await self._post(self.update_url, {"update": text}, "*/*")

    async def replace_quads(self, remove: Iterable[ox.Quad], add: Iterable[ox.Quad]) -> None:
        """Remove, then add, in one SPARQL Update that also moves the store's version; only if the version
        is still the one the write lease was taken on (else :class:`StoreBusy`, nothing written)."""
        if not self.update_url:
            raise StoreError("the remote store is read-only here: set IOPGRAPH_STORE_UPDATE_URL to write")
        to_remove, to_add = list(remove), list(add)
        async with self.lease() as lease:
            new = uuid.uuid4().hex
            text = guarded_update(
                lease.state,
                lease.holder,
                new,
                datetime.now(UTC),
                graph_blocks(to_remove),
                graph_blocks(to_add),
            )
            try:
                await self._update(text)
            finally:
                self._forget_versions()
            state = self._current_state()
            if new not in state.values:
                log.warning("a write was refused: the store's version moved under the write lease")
                error = StoreBusy(
                    "the store changed while this write was being checked (a write made outside the service?); "
                    "nothing was written, send it again"
                )
                error.headers = {"Retry-After": "1"}
                raise error
            lease.state = state

    # -- users' queries --------------------------------------------------------------------------

    async def run_query(self, job: QueryJob, timeout: float, client: str = "") -> Outcome:
        query = bind_values(job.query, job.substitutions)
        await self._screen(query, job.base_iri, timeout)
        if job.base_iri:  # relative IRIs resolve against this service's endpoint, not the store's
            query = f"BASE <{job.base_iri}>\n{query}"
        data: dict[str, object] = {"query": query}
        if job.default_graphs is not None:
            data["default-graph-uri"] = job.default_graphs
        if job.named_graphs is not None:
            data["named-graph-uri"] = job.named_graphs
        if job.form == "ASK":
            body = await self._post(self.query_url, data, RESULTS_JSON, timeout)
            answer = _parse_results(body)
            return Outcome(answer.serialize(format=RESULT_FORMATS[job.media_type]) or b"", 1, False)
        if job.form in ("CONSTRUCT", "DESCRIBE"):
            lines, truncated, cut = await self._stream_lines(
                data, N_TRIPLES, job.max_results, timeout, job.max_bytes
            )
            triples = [
                ox.Triple(q.subject, q.predicate, q.object)
                for q in ox.parse(b"".join(lines), ox.RdfFormat.N_TRIPLES)
            ]
            return Outcome(serialize_triples(triples, job.media_type), len(triples), truncated, cut)
        if self._standard_tsv:
            lines, truncated, cut = await self._stream_lines(
                data, TSV, job.max_results + 1, timeout, job.max_bytes
            )
            if not lines or lines[0].startswith((b"?", b"$")) or lines[0].strip() == b"":
                return tsv_outcome(
                    b"".join(lines), job.media_type, truncated, max(len(lines) - 1, 0), cut, job.max_bytes
                )
            # Virtuoso: its TSV is not SPARQL's (quoted names, IRIs as strings); from now on read JSON.
            log.info("the store's TSV results are not SPARQL 1.1 TSV; SELECT results are read as JSON")
            self._standard_tsv = False
        body = await self._post(self.query_url, data, RESULTS_JSON, timeout)
        solutions = _parse_results(body)
        assert isinstance(solutions, ox.QuerySolutions)
        return solutions_outcome(solutions, job.media_type, job.max_results, job.max_bytes)

    async def _screen(self, query: str, base: str | None, timeout: float) -> None:
        """Parse ``query`` in a sandboxed worker and refuse non-allow-listed SERVICE calls (the store would run them)."""
        from iopgraph.query.screen import check_service_targets

        # Its own allowance (at least 10 s): a worker may still be starting, and parsing is not the query.
        result, _ = await self.isolated(
            "screen-query", {"base": base}, query.encode("utf-8"), timeout=max(timeout, SCREEN_TIMEOUT)
        )
        check_service_targets(list(result.get("services") or []), self._settings.service_allowlist)

    async def _stream_lines(
        self, data: dict[str, object], accept: str, max_lines: int, timeout: float, max_bytes: int = 0
    ) -> tuple[list[bytes], bool, str]:
        """The first ``max_lines`` lines (and ``max_bytes``) of the answer; stops reading (and says so) at a cap."""
        self._check_breaker()
        lines: list[bytes] = []
        size = 0
        try:
            async with self._client.stream(
                "POST", self.query_url, data=data, headers={"Accept": accept}, timeout=timeout
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    self._raise_for(response)
                pending = b""
                async for chunk in response.aiter_bytes():
                    pending += chunk
                    *complete, pending = pending.split(b"\n")
                    for line in complete:
                        if len(lines) >= max_lines:
                            return lines, True, "rows"
                        size += len(line) + 1
                        if max_bytes and size > max_bytes and lines:
                            return lines, True, "bytes"
                        lines.append(line + b"\n")
                    if max_bytes and size + len(pending) > max_bytes and lines:
                        return lines, True, "bytes"
                if pending.strip():
                    if len(lines) >= max_lines:
                        return lines, True, "rows"
                    lines.append(pending + b"\n")
        except httpx.TransportError as exc:
            raise self._failed(exc, timeout) from None
        self._open_until = 0.0
        return lines, False, "rows"


__all__ = ["RemoteBackend", "StoreBusy", "shared_log_store", "write_lease"]


def _parse_results(body: bytes) -> ox.QuerySolutions | ox.QueryBoolean:
    """SPARQL JSON results; Virtuoso's blank nodes (``nodeID://b10000``, not a valid label) are relabelled."""
    if b"nodeID://" in body:
        data = json.loads(body)
        for row in data.get("results", {}).get("bindings", []):
            for term in row.values():
                if term.get("type") == "bnode":
                    term["value"] = term["value"].removeprefix("nodeID://")
        body = json.dumps(data).encode()
    return ox.parse_query_results(body, ox.QueryResultsFormat.JSON)


def _quad(row: Row, graph: ox.NamedNode | ox.DefaultGraph) -> ox.Quad:
    """The quad of a ``?s ?p ?o`` row: the pattern binds ``?s`` to an IRI or blank node, ``?p`` to an IRI."""
    return ox.Quad(cast(ox.NamedNode | ox.BlankNode, row["s"]), cast(ox.NamedNode, row["p"]), row["o"], graph)
