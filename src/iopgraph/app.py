"""The web application factory: `create_app(settings)` builds a FastAPI app that owns all its state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, PlainTextResponse

from iopgraph import __version__, problems
from iopgraph.backend import LocalBackend
from iopgraph.body_limit import BodyLimitMiddleware
from iopgraph.config import Settings
from iopgraph.observability import Metrics, ObservabilityMiddleware
from iopgraph.routers import collections, resources
from iopgraph.routers import ops as ops_router
from iopgraph.security_headers import SecurityHeadersMiddleware
from iopgraph.sources import graph_sources
from iopgraph.store import ensure_built, open_store


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the store is opened (and built if its sources changed) at start-up."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = open_store(settings.resolved_store_path)
        ensure_built(store, settings.resolved_store_path, graph_sources(settings.root))
        app.state.store = store
        app.state.backend = LocalBackend(store)
        yield
        store.flush()

    app = FastAPI(title="iopgraph", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    problems.install(app)
    # Outermost last: every request is timed and logged, then gets security headers, then the body cap.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.resolved_max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    app.state.metrics = Metrics()
    app.state.metrics.watch(app.state)
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics, log_requests=settings.access_log)
    app.include_router(ops_router.router)
    app.include_router(resources.router)
    app.include_router(collections.router)

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    @app.get("/", response_class=HTMLResponse)
    def home() -> str:
        return "<!doctype html><title>iopgraph</title><h1>iopgraph</h1>"

    return app
