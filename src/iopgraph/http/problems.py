"""One error shape for the whole API: RFC 9457 ``application/problem+json``.

Every error a handler raises ends up here, so clients always get
``{"type", "title", "status", "detail", "code"}`` and never a stack trace. The
code's status and title come from the one table, :data:`iopgraph.core.errors.ERRORS`;
``type`` is the code's anchor on the served errors page (``<base>/guides/errors#<code>``).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import Scope

from iopgraph.core.errors import PROBLEM_MEDIA_TYPE, IopgraphError, code_for_status, problem_type, spec
from iopgraph.http.html_errors import not_found_page, prefers_html

log = logging.getLogger("iopgraph")


def base_url_of(scope: Scope) -> str:
    """The base URL the service's links use (IOPGRAPH_BASE_URL, or the address it listens on).

    Outside an app (a middleware driven alone), the address the request came to.
    """
    app = scope.get("app")
    if app is not None:
        from iopgraph.http.providers import base_url_of_app  # the providers import the services

        found = base_url_of_app(app)
        if found is not None:
            return found
    server = scope.get("server")
    if not server:
        return ""
    scheme = scope.get("scheme", "http")
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{server[0]}" + ("" if server[1] == default else f":{server[1]}")


def problem_body(status: int, detail: str, code: str, base_url: str, **extra: Any) -> dict[str, Any]:
    """The problem+json object for ``code``; ``status`` must be the one the table gives the code."""
    registered = spec(code)
    if registered.status != status:
        # A bug, caught by tests/unit/test_errors.py: answer anyway, with the status asked for.
        log.error("problem code %s sent with status %s; registered with %s", code, status, registered.status)
    return {
        "type": problem_type(code, base_url),
        "title": registered.title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }


def problem(
    status: int,
    detail: str,
    code: str,
    headers: dict[str, str] | None = None,
    *,
    base_url: str,
    **extra: Any,
) -> Response:
    """A problem+json response (bodiless for 304)."""
    if status == 304:
        return Response(status_code=304, headers=headers)
    body = problem_body(status, detail, code, base_url, **extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every exception into a problem response."""

    @app.exception_handler(IopgraphError)
    async def _iopgraph(request: Request, exc: IopgraphError) -> Response:
        if exc.status == 404 and prefers_html(request):
            return not_found_page(request, exc.message, getattr(exc, "headers", None))
        if exc.code == "client-closed-request":  # nobody reads the answer: say it in the log
            log.info("%s %s: %s", request.method, request.url.path, exc.message)
        extra = getattr(exc, "problem_extra", {}) or {}
        return problem(
            exc.status,
            exc.message,
            exc.code,
            getattr(exc, "headers", None),
            base_url=base_url_of(request.scope),
            **extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"location": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['location']}: {e['message']}" for e in errors) or "invalid request"
        code = "invalid-parameter"
        return problem(spec(code).status, detail, code, base_url=base_url_of(request.scope), errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and prefers_html(request):
            return not_found_page(request, "", dict(exc.headers or {}))
        code = code_for_status(exc.status_code)
        return problem(
            spec(code).status,
            str(exc.detail),
            code,
            dict(exc.headers or {}),
            base_url=base_url_of(request.scope),
        )

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, _: ClientDisconnect) -> Response:
        # The client hung up before its body was complete: nobody to answer, nothing went wrong here.
        log.info(
            "client disconnected before the request body was complete: %s %s",
            request.method,
            request.url.path,
        )
        return problem(
            400,
            "the client disconnected before the request body was complete",
            "client-disconnected",
            base_url=base_url_of(request.scope),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error", exc_info=exc)
        return problem(
            500,
            "the server met an unexpected error; it has been logged",
            "internal-error",
            base_url=base_url_of(request.scope),
        )
