"""Typed providers of the app's state, for ``Depends`` (or a direct call with the request).

The only module that reads ``app.state``: everything else asks for what it needs.

    @router.get("/x")
    async def x(backend: BackendDep, settings: SettingsDep) -> Response: ...

    steward = providers.stewardship(request)          # the same, inside a helper
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from iopgraph.core.errors import IopgraphError
from iopgraph.core.settings import Settings
from iopgraph.http.context import AppContext
from iopgraph.search.service import SearchService
from iopgraph.sparql.service import SparqlService
from iopgraph.stewardship.service import Stewardship
from iopgraph.store.backend import Backend
from iopgraph.views.ldes import EventLog
from iopgraph.workbench.formmodel import FormModels


class NotStarted(IopgraphError):
    """A request reached an app whose lifespan has not run (or has ended): nothing to answer it with."""

    status = 503
    code = "not-ready"


def running(request: Request) -> AppContext | None:
    """The app's :class:`AppContext`, or None before its lifespan has made it (or after it ended)."""
    found: AppContext | None = request.app.state.context
    return found


def context_of_app(app: Any) -> AppContext | None:
    """A running app's :class:`AppContext` (None before its lifespan has made it, or for a bare app)."""
    try:
        found: AppContext | None = app.state.context
    except AttributeError:  # a bare Starlette app (a middleware driven alone) has no context
        return None
    return found


def base_url_of_app(app: Any) -> str | None:
    """The base URL of a running app's links (None before its lifespan has made the context)."""
    try:
        found: AppContext | None = app.state.context
    except AttributeError:  # a bare Starlette app (a middleware driven alone) has no context
        return None
    return found.settings.base_url if found is not None else None


def context(request: Request) -> AppContext:
    """The app's :class:`AppContext` (made in its lifespan; 503 ``not-ready`` outside it)."""
    found = running(request)
    if found is None:
        raise NotStarted("the service is starting or stopping: the store is not open; try again shortly")
    return found


def settings(request: Request) -> Settings:
    return context(request).settings


def backend(request: Request) -> Backend:
    return context(request).backend


def sparql(request: Request) -> SparqlService:
    return context(request).sparql


def stewardship(request: Request) -> Stewardship:
    return context(request).stewardship


def search(request: Request) -> SearchService:
    return context(request).search


def event_log(request: Request) -> EventLog:
    return context(request).ldes


def templates(request: Request) -> Jinja2Templates:
    return context(request).templates


async def forms(request: Request) -> FormModels:
    """The workbench's forms (made by the first request that needs them, off the event loop)."""
    return await context(request).forms.get()


ContextDep = Annotated[AppContext, Depends(context)]
SettingsDep = Annotated[Settings, Depends(settings)]
BackendDep = Annotated[Backend, Depends(backend)]
SparqlDep = Annotated[SparqlService, Depends(sparql)]
StewardshipDep = Annotated[Stewardship, Depends(stewardship)]
SearchDep = Annotated[SearchService, Depends(search)]
EventLogDep = Annotated[EventLog, Depends(event_log)]
