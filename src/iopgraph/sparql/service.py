"""The SPARQL query service: checks a request, picks the result format, runs it (or serves it from cache).

Pure of HTTP: routers hand it a :class:`ProtocolRequest` and an Accept header
and get back a :class:`QueryAnswer` (serialised bytes plus what the response
headers need).

    service = SparqlService(backend, settings)
    prepared = service.prepare(ProtocolRequest("SELECT * { ?s ?p ?o } LIMIT 1"), accept="text/csv")
    answer = await service.answer(prepared)

Safety rules enforced here, before the engine sees the query:

* updates are refused (the endpoint is read-only; writes have their own API);
* ``SERVICE`` is refused unless its endpoint's host is on ``IOPGRAPH_SERVICE_ALLOWLIST``
  (a variable endpoint is always refused);
* ``FROM`` / ``FROM NAMED`` / ``default-graph-uri`` / ``named-graph-uri`` only
  select graphs of the store: nothing is ever fetched from the web;
* nesting deeper than :data:`MAX_NESTING`, or a flat chain (UNION, OPTIONAL,
  MINUS, operators) longer than ``IOPGRAPH_MAX_QUERY_OPERATORS``, is refused
  (400 ``query-too-complex``) before any worker sees it;
* a query that crashed its isolated worker is remembered (by hash) and refused
  at once when sent again, so it cannot kill worker after worker.

These checks are a fast first answer, not the defence: queries run in
sandboxed worker processes without network (:mod:`iopgraph.store.sandbox`), where a
``SERVICE`` that slipped past the text check gets no connection.
Analysing a large query takes time in proportion to its size, so
:meth:`SparqlService.prepare_async` has it done by a sandboxed worker process of
its own (the analysis lane, :class:`AnalysisLane`): neither the event loop nor
the server's GIL carries work proportional to what a client sent.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox

from iopgraph.core.conneg import negotiate
from iopgraph.core.settings import Settings
from iopgraph.query.binding import bind_values
from iopgraph.query.errors import QuerySyntaxError, QueryTooComplex, UpdateRefused
from iopgraph.query.formats import canonical, offers_for
from iopgraph.query.lexer import QueryInfo, analyse
from iopgraph.query.screen import check_service_targets
from iopgraph.sparql.cache import ResultCache
from iopgraph.sparql.protocol import READ_ONLY, ProtocolRequest
from iopgraph.sparql.single_flight import SingleFlight
from iopgraph.store.backend import Backend, worker_options
from iopgraph.store.engine import Outcome, QueryJob
from iopgraph.store.pool import WorkerPool, empty_snapshot

#: Deepest nesting of { } and ( ) accepted: the engine's recursive parser must not overflow its stack.
MAX_NESTING = 256

#: Queries longer than this (characters) are analysed in the analysis lane, not in the server process.
INLINE_ANALYSIS_CHARS = 8192

#: How many hashes of worker-crashing queries are remembered.
DEADLY_REMEMBERED = 4096


#: What a query's result depends on: (store version, query text, media type, base IRI, default graphs,
#: named graphs, substitutions, row cap).
QueryKey = tuple[
    str,
    str,
    str,
    str | None,
    tuple[str, ...] | None,
    tuple[str, ...] | None,
    tuple[tuple[str, str], ...],
    int,
]


@dataclass(frozen=True)
class PreparedQuery:
    """A checked query with its chosen result media type; ``key`` identifies its result."""

    job: QueryJob
    info: QueryInfo
    key: QueryKey


@dataclass(frozen=True)
class QueryAnswer:
    body: bytes
    media_type: str
    form: str
    count: int
    truncated: bool
    max_results: int
    cached: bool
    cut: str = "rows"  # what cut a truncated result: "rows" or "bytes"
    max_bytes: int = 0


def check_services(info: QueryInfo, allowlist: list[str]) -> None:
    """Refuse SERVICE calls to endpoints whose host is not allow-listed."""
    check_service_targets(info.services, allowlist)


def choose_media_type(form: str, accept: str | None, format_param: str | None) -> str:
    """The result media type for a query of ``form`` (406 via NotAcceptable when none fits); ``format=json``
    is SPARQL JSON results for SELECT and ASK, JSON-LD for CONSTRUCT and DESCRIBE (the first offer it names).

    A pure function of its arguments: remembered for the short Accept headers clients send (a refusal
    is raised again each time, exceptions are not remembered; a long header is negotiated each time, so
    hostile headers cannot fill memory)."""
    if len(accept or "") + len(format_param or "") <= _REMEMBERED_ACCEPT_CHARS:
        return _remembered_choice(form, accept, format_param)
    return _choose(form, accept, format_param)


_REMEMBERED_ACCEPT_CHARS = 512


def _choose(form: str, accept: str | None, format_param: str | None) -> str:
    return canonical(negotiate(accept, offers_for(form), format_param))


_remembered_choice = lru_cache(maxsize=512)(_choose)


class AnalysisLane:
    """One sandboxed, graph-less worker process that runs the lexer on large queries (started on first use)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._pool: WorkerPool | None = None
        self._starting = asyncio.Lock()

    async def analyse(self, text: str, timeout: float) -> QueryInfo:
        async with self._starting:
            if self._pool is None:
                options = {**worker_options(self._settings), "keep_network": False}
                self._pool = WorkerPool(1, empty_snapshot, **options)
                await self._pool.start(wait=False)
        result, _ = await self._pool.call(
            "analyse-query", {}, text.encode("utf-8", "surrogatepass"), timeout=timeout
        )
        return QueryInfo(**result)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


class SparqlService:
    """Answers SPARQL queries against a :class:`Backend`, with limits and a result cache."""

    def __init__(self, backend: Backend, settings: Settings, cache: ResultCache | None = None) -> None:
        self.backend = backend
        self.settings = settings
        self.cache = cache if cache is not None else ResultCache(settings.cache_entries, settings.cache_bytes)
        self.flights: SingleFlight[Outcome] = SingleFlight()  # identical uncached queries at once run once
        self._deadly: OrderedDict[str, None] = OrderedDict()
        self.analysis = AnalysisLane(settings)

    async def close(self) -> None:
        """Stop the analysis lane's worker (the query workers belong to the backend)."""
        await self.analysis.close()

    @staticmethod
    def _fingerprint(query: str) -> str:
        return hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()

    async def prepare_async(
        self,
        request: ProtocolRequest,
        accept: str | None,
        substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None,
        max_results: int | None = None,
        base_iri: str | None = None,
    ) -> PreparedQuery:
        """:meth:`prepare`, with a large query analysed in the analysis lane (the server stays free)."""
        if len(request.query or "") <= INLINE_ANALYSIS_CHARS:
            return self.prepare(request, accept, substitutions, max_results, base_iri)
        assert request.query is not None
        self._refuse_deadly(request.query)
        info = await self.analysis.analyse(request.query, self.settings.query_timeout)
        return self.prepare(request, accept, substitutions, max_results, base_iri, info=info)

    def _refuse_deadly(self, query: str) -> None:
        if self._fingerprint(query) in self._deadly:
            raise QueryTooComplex(
                "this query made an isolated worker crash before; it is refused without "
                "running it again. Simplify it (fewer UNION branches or OPTIONALs, shorter "
                "property paths or expressions, smaller intermediate strings)"
            )

    def prepare(
        self,
        request: ProtocolRequest,
        accept: str | None,
        substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None,
        max_results: int | None = None,
        base_iri: str | None = None,
        info: QueryInfo | None = None,
    ) -> PreparedQuery:
        """Check ``request`` and choose its media type; raises a 4xx error for anything refused.

        ``base_iri`` resolves relative IRIs of the query (the endpoint's URL for ``/sparql``);
        ``info`` is the query's analysis when it was made elsewhere (the analysis lane)."""
        assert request.query is not None
        self._refuse_deadly(request.query)
        if info is None:
            info = analyse(request.query)
        if info.update:
            raise UpdateRefused(f"{READ_ONLY} (this request is a SPARQL Update: {info.update})")
        check_services(info, self.settings.service_allowlist)
        if info.max_depth > MAX_NESTING:
            raise QuerySyntaxError(
                f"the query nests groups or expressions {info.max_depth} levels deep; the limit is {MAX_NESTING}"
            )
        kind, length = info.longest_chain
        if length > self.settings.max_query_operators:
            what = (
                f"{length} {kind} keywords"
                if kind != "operators"
                else f"{length} operators (path steps, + - * / ...)"
            )
            raise QueryTooComplex(
                f"the query has {what}; the limit is {self.settings.max_query_operators} of each kind "
                "(IOPGRAPH_MAX_QUERY_OPERATORS). Split it into several queries, or use VALUES instead of long "
                "UNION chains"
            )
        form = info.form or "SELECT"  # malformed: the engine reports the syntax error
        media_type = choose_media_type(form, accept, request.format)
        # The protocol's graph parameters replace the query's own FROM / FROM NAMED.
        default_graphs = request.default_graphs or None
        named_graphs = request.named_graphs or None
        if default_graphs is None and named_graphs is not None:
            default_graphs = []  # only named graphs given: the default graph is empty
        subs = {name: str(term) for name, term in sorted((substitutions or {}).items())}
        cap = min(max_results or self.settings.max_results, self.settings.max_results)
        job = QueryJob(
            query=bind_values(request.query, subs),
            form=form,
            media_type=media_type,
            max_results=cap,
            union_default_graph=not info.has_dataset and default_graphs is None,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            base_iri=base_iri,
            max_bytes=self.settings.max_result_bytes,
        )
        key: QueryKey = (
            self.backend.version,
            request.query,
            media_type,
            base_iri,
            tuple(default_graphs) if default_graphs is not None else None,
            tuple(named_graphs) if named_graphs is not None else None,
            tuple(subs.items()),
            cap,
        )
        return PreparedQuery(job, info, key)

    def _remember_deadly(self, query: str) -> None:
        self._deadly[self._fingerprint(query)] = None
        while len(self._deadly) > DEADLY_REMEMBERED:
            self._deadly.popitem(last=False)

    async def _run(self, prepared: PreparedQuery, client: str) -> Outcome:
        try:
            outcome = await self.backend.run_query(prepared.job, self.settings.query_timeout, client)
        except QueryTooComplex:
            self._remember_deadly(prepared.key[1])
            raise
        # Only keep it if no write happened meanwhile (the key names the version it was run on).
        if prepared.key[0] == self.backend.version:
            self.cache.put(prepared.key, outcome)
        return outcome

    async def answer(self, prepared: PreparedQuery, client: str = "") -> QueryAnswer:
        """Run ``prepared`` (or take its result from the cache); ``client`` is the requester's address."""
        cached = self.cache.get(prepared.key)
        outcome: Outcome
        if cached is not None:
            outcome = cached
        else:
            # The same query in flight already (same version, form, limits): await its outcome.
            outcome, _ = await self.flights.run(prepared.key, lambda: self._run(prepared, client))
        return QueryAnswer(
            body=outcome.body,
            media_type=prepared.job.media_type,
            form=prepared.job.form,
            count=outcome.count,
            truncated=outcome.truncated,
            max_results=prepared.job.max_results,
            cached=cached is not None,
            cut=outcome.cut,
            max_bytes=prepared.job.max_bytes,
        )
