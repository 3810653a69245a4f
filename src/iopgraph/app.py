"""The web application factory: `create_app(settings)` builds a FastAPI app that owns all its state."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from iopgraph import __version__
from iopgraph.core.errors import IopgraphError
from iopgraph.core.settings import Settings
from iopgraph.http import problems
from iopgraph.http.body_limit import BodyLimitMiddleware
from iopgraph.http.context import AppContext, event_log, proposal_box
from iopgraph.http.cors import ReadOnlyCors
from iopgraph.http.deferred import Deferred
from iopgraph.http.fast_path import FastPath
from iopgraph.http.head import HeadAsGet
from iopgraph.http.observability import Metrics, ObservabilityMiddleware
from iopgraph.http.openapi_errors import install as document_problems
from iopgraph.http.render import make_templates
from iopgraph.http.representation_cache import RepresentationCache
from iopgraph.http.security_headers import SecurityHeadersMiddleware
from iopgraph.http.sparql_direct import DirectSparql
from iopgraph.http.warmup import Warmer
from iopgraph.routers import catalog, collections, dumps, guidance, ldes, pages, resources, workbench
from iopgraph.routers import ops as ops_router
from iopgraph.routers import queries as queries_router
from iopgraph.routers import search as search_router
from iopgraph.routers import sparql as sparql_router
from iopgraph.routers import store_protocol as store_protocol_router
from iopgraph.routers import update as update_router
from iopgraph.routers import validate as validate_router
from iopgraph.search.service import SearchService, open_search
from iopgraph.sparql.service import SparqlService
from iopgraph.stewardship.gate import WriteGate, WriteOutcome
from iopgraph.stewardship.provenance import changed_resources
from iopgraph.stewardship.service import start_stewardship
from iopgraph.store.backend import Backend, LocalBackend
from iopgraph.store.lifecycle import open_backend
from iopgraph.views.ldes import EventLog, record_versions
from iopgraph.workbench.formmodel import FormModels
from iopgraph.workbench.sessions import SessionStore

log = logging.getLogger("iopgraph")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the store is opened (and built if its sources changed) at start-up."""
    settings = settings or Settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_backend(settings) as backend:
            sparql = SparqlService(backend, settings)
            try:
                try:
                    context = await _build_context(settings, backend, sparql, metrics)
                except IopgraphError as exc:  # e.g. a shapes file that does not parse: say so, in one line
                    log.error("iopgraph cannot start: %s", exc.message)
                    raise
                # Precomputing pays while pages are cheap: on the in-memory read copy (a remote store: always).
                small = not isinstance(backend, LocalBackend) or backend.read_copy
                if not small:
                    log.info(
                        "pages are not precomputed: the graph is over IOPGRAPH_READ_COPY_MAX_QUADS "
                        "(they are made on demand, then cached)"
                    )
                warmer = Warmer(app, context.representations, lambda: str(backend.version), precompute=small)
                context.stewardship.gate.listeners.append(warmer.on_write)  # precompute after each write
                try:
                    app.state.context = context
                    metrics.watch(backend, sparql.cache, context.representations, sparql.flights)
                    warmer.schedule()  # and at start-up, in the background
                    yield
                finally:
                    await warmer.close()
                    metrics.watch(None, None)
                    app.state.context = None  # let the store close
                    await context.search.close()
            finally:
                await sparql.close()

    # /docs is served by routers/ops.py from local files (no CDN); ReDoc would need one, so it is off.
    app = FastAPI(title="iopgraph", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.context = None  # the lifespan makes the AppContext (iopgraph.http.context)
    problems.install(app)
    document_problems(app)
    # Innermost: SPARQL queries go to their handler, and a GET whose representation is cached is answered,
    # before routing (http/sparql_direct.py, http/fast_path.py).
    app.add_middleware(DirectSparql)
    app.add_middleware(FastPath, answered=metrics.fast_path)
    app.add_middleware(ReadOnlyCors)
    # Outermost last: every request is timed and logged, HEAD runs as GET, then security headers, the body cap.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.resolved_max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(HeadAsGet)  # HEAD on every GET route; inside the log, outside the security headers
    app.add_middleware(ObservabilityMiddleware, metrics=metrics, log_requests=settings.access_log)
    app.include_router(ops_router.router)
    app.include_router(workbench.router)  # before resources: /id/<path>/history
    app.include_router(sparql_router.router)
    app.include_router(queries_router.build_router(settings))
    app.include_router(resources.router)
    app.include_router(collections.router)
    app.include_router(search_router.router)
    app.include_router(pages.router)
    app.include_router(guidance.router)
    app.include_router(catalog.router)
    app.include_router(dumps.router)
    app.include_router(ldes.router)
    app.include_router(validate_router.router)
    app.include_router(store_protocol_router.router)
    app.include_router(update_router.router)

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    return app


async def _build_context(
    settings: Settings, backend: Backend, sparql: SparqlService, metrics: Metrics
) -> AppContext:
    """Every service of the app, made before the first request; a broken ``shapes/`` stops the start here."""
    stewardship = await start_stewardship(settings, backend)
    forms = Deferred(lambda: FormModels.from_root(settings.root))  # on the first workbench request
    log = await anyio.to_thread.run_sync(event_log, settings)
    proposals = await anyio.to_thread.run_sync(proposal_box, settings)
    search = await open_search(settings, backend)
    _connect_feed(backend, log, stewardship.gate)
    _connect_search(search, stewardship.gate)
    return AppContext(
        settings=settings,
        backend=backend,
        sparql=sparql,
        stewardship=stewardship,
        search=search,
        ldes=log,
        templates=make_templates(),
        metrics=metrics,
        sessions=SessionStore(settings.session_lifetime, settings.base_url),
        forms=forms,
        proposals=proposals,
        representations=RepresentationCache(settings.page_cache_bytes, lambda: str(backend.version)),
    )


def _connect_feed(backend: Backend, log: EventLog, gate: WriteGate) -> None:
    """Each accepted write appends a new member version of every resource it changed to the LDES feed."""

    async def to_feed(outcome: WriteOutcome) -> None:
        resources = changed_resources(outcome.change)
        if resources:
            await record_versions(backend, log, resources)

    gate.listeners.append(to_feed)


def _connect_search(search: SearchService, gate: WriteGate) -> None:
    """Each accepted write re-indexes the resources it changed, before the write is acknowledged."""

    async def to_index(outcome: WriteOutcome) -> None:
        await search.refresh([r.value for r in changed_resources(outcome.change)])

    gate.listeners.append(to_index)
