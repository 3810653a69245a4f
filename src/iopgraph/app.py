"""The web application factory: `create_app(settings)` builds a FastAPI app that owns all its state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from iopgraph import __version__, problems
from iopgraph.backend import LocalBackend
from iopgraph.config import Settings
from iopgraph.routers import catalog, collections, dumps, guidance, ldes, pages, resources
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
    app.include_router(resources.router)
    app.include_router(collections.router)
    app.include_router(pages.router)
    app.include_router(guidance.router)
    app.include_router(catalog.router)
    app.include_router(dumps.router)
    app.include_router(ldes.router)

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    return app
