"""``/sparql`` queries handed to the endpoint's handler directly, without FastAPI's routing.

The SPARQL endpoint's route takes no parameters FastAPI would parse (its handler,
:func:`iopgraph.http.sparql.handle_sparql`, reads the request itself), so routing it
through FastAPI only costs: every route's pattern tried in turn, then the dependency
machinery, for each query. This middleware, innermost like :mod:`iopgraph.http.fast_path`,
calls the same handler for ``GET`` and ``POST /sparql`` (HEAD arrives as GET) and turns an
exception into the same response the app's exception handlers give (problem+json, the
HTML 404 page), looked up the way Starlette's exception middleware looks them up; an
exception without a handler goes on to the server-error middleware, as before. The route
object stays what the access log and metrics name (``/sparql``). Everything else about a
query is unchanged: the same checks, conneg, ETag, result cache and killable workers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from iopgraph.http.providers import context_of_app
from iopgraph.http.sparql import handle_sparql

PATH = "/sparql"
METHODS = ("GET", "POST")


def _handler_for(app: Any, exc: Exception) -> Callable[..., Any] | None:
    """The app's exception handler for ``exc`` (status first for HTTP exceptions, then by class)."""
    handlers: dict[Any, Callable[..., Any]] = getattr(app, "exception_handlers", {})
    if isinstance(exc, HTTPException) and exc.status_code in handlers:
        return handlers[exc.status_code]
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None  # the catch-all belongs to the server-error middleware
        if cls in handlers:
            return handlers[cls]
    return None


class DirectSparql:
    """ASGI middleware: ``GET``/``POST /sparql`` go straight to :func:`handle_sparql`.

    The first request of each method goes through the router, which names the route it matched
    (the object the access log and metrics read); later ones are handed to the handler directly.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._routes: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] not in METHODS:
            await self.app(scope, receive, send)
            return
        app = scope.get("app")
        context = context_of_app(app)
        route = self._routes.get(scope["method"])
        if (
            context is None or route is None
        ):  # not started (the route answers 503), or the route not known yet
            await self.app(scope, receive, send)
            matched = scope.get("route")
            if context is not None and getattr(matched, "path", None) == PATH:
                self._routes[scope["method"]] = matched
            return
        scope["route"] = route
        request = Request(scope, receive)
        response: Response
        try:
            response = await handle_sparql(request, context.sparql)
        except Exception as exc:
            handler = _handler_for(app, exc)
            if handler is None:
                raise
            answer = handler(request, exc)
            response = await answer if not isinstance(answer, Response) else answer
        await response(scope, receive, send)
