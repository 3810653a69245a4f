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

    backend = RemoteBackend(Settings(store_url="http://127.0.0.1:7878/query",
                                     store_update_url="http://127.0.0.1:7878/update"))
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, cast

import anyio.to_thread
import httpx
import pyoxigraph as ox

from iopgraph.core.errors import StoreError
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
    _update_text,
    nquads_bytes,
    pool_stats,
    probe,
    worker_options,
)
from iopgraph.store.engine import Outcome, QueryJob, serialize_triples, tsv_outcome
from iopgraph.store.pool import WorkerPool, empty_snapshot

log = logging.getLogger("iopgraph")

#: Seconds to open a TCP connection to the store.
CONNECT_TIMEOUT = 2.0
#: Seconds requests fail fast (503) after the store could not be reached or did not answer in time.
BREAKER_SECONDS = 5.0

#: Least seconds allowed for screening a query in a worker before it is forwarded.
SCREEN_TIMEOUT = 10.0


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
        self._version = uuid.uuid4().hex
        self._modified = datetime.now(UTC).replace(microsecond=0)
        self._settings = settings
        self._pool: WorkerPool | None = None

    @property
    def version(self) -> str:
        return self._version

    @property
    def last_modified(self) -> datetime:
        return self._modified

    @property
    def pool(self) -> WorkerPool | None:
        """The graph-less sandboxed workers that screen queries and run isolated jobs here."""
        return self._pool

    async def start(self, workers: int = 2) -> None:
        """Start ``workers`` sandboxed worker processes with an empty store (jobs, query screening)."""
        if self._pool is None and workers > 0:
            self._pool = WorkerPool(workers, empty_snapshot, **worker_options(self._settings))
            await self._pool.start(wait=False)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        await self._client.aclose()

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
        self._open_until = 0.0
        self._raise_for(response)
        return response.content

    # -- the service's own queries ---------------------------------------------------------------

    async def select(self, query: str, substitutions: dict[str, Term] | None = None) -> list[Row]:
        body = await self._post(self.query_url, {"query": _bind(query, substitutions)}, RESULTS_JSON)
        result = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
        assert isinstance(result, ox.QuerySolutions)
        names = [v.value for v in result.variables]
        return [{n: s[n] for n in names if s[n] is not None} for s in result]

    async def ask(self, query: str, substitutions: dict[str, Term] | None = None) -> bool:
        body = await self._post(self.query_url, {"query": _bind(query, substitutions)}, RESULTS_JSON)
        return bool(ox.parse_query_results(body, ox.QueryResultsFormat.JSON))

    async def construct(self, query: str, substitutions: dict[str, Term] | None = None) -> list[ox.Triple]:
        body = await self._post(self.query_url, {"query": _bind(query, substitutions)}, N_TRIPLES)
        return [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(body, ox.RdfFormat.N_TRIPLES)]

    async def quads(self, graph: str | None = None) -> list[ox.Quad]:
        if graph == "":
            return []  # a union-default-graph endpoint cannot address its own default graph
        if graph:
            rows = await self.select(
                "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": ox.NamedNode(graph)}
            )
            name: ox.NamedNode | ox.DefaultGraph = ox.NamedNode(graph)
            return [_quad(r, name) for r in rows]
        rows = await self.select("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
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
        return sorted(r["g"].value for r in rows if isinstance(r.get("g"), ox.NamedNode))

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

    async def replace_quads(self, remove: Iterable[ox.Quad], add: Iterable[ox.Quad]) -> None:
        if not self.update_url:
            raise StoreError("the remote store is read-only here: set IOPGRAPH_STORE_UPDATE_URL to write")
        await self._post(self.update_url, {"update": _update_text(list(remove), list(add))}, "*/*")
        self._version = uuid.uuid4().hex
        self._modified = datetime.now(UTC).replace(microsecond=0)

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
            answer = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
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
        lines, truncated, cut = await self._stream_lines(
            data, TSV, job.max_results + 1, timeout, job.max_bytes
        )
        return tsv_outcome(
            b"".join(lines), job.media_type, truncated, max(len(lines) - 1, 0), cut, job.max_bytes
        )

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


__all__ = ["RemoteBackend"]


def _quad(row: Row, graph: ox.NamedNode | ox.DefaultGraph) -> ox.Quad:
    """The quad of a ``?s ?p ?o`` row: the pattern binds ``?s`` to an IRI or blank node, ``?p`` to an IRI."""
    return ox.Quad(cast(ox.NamedNode | ox.BlankNode, row["s"]), cast(ox.NamedNode, row["p"]), row["o"], graph)
