"""One error shape for the whole API: RFC 9457 ``application/problem+json``.

Every error a handler raises ends up here, so clients always get
``{"type", "title", "status", "detail", "code"}`` and never a stack trace.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from iopgraph.core.errors import IopgraphError
from iopgraph.http.html_errors import not_found_page, prefers_html

PROBLEM_MEDIA_TYPE = "application/problem+json"
DOCS = "https://w3id.org/iopgraph/docs/errors#"
log = logging.getLogger("iopgraph")


def problem(
    status: int, detail: str, code: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    """A problem+json response (bodiless for 304)."""
    if status == 304:
        return Response(status_code=304, headers=headers)
    body = {
        "type": DOCS + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every exception into a problem response."""

    @app.exception_handler(IopgraphError)
    async def _iopgraph(request: Request, exc: IopgraphError) -> Response:
        if exc.status == 404 and prefers_html(request):
            return not_found_page(request, exc.message, getattr(exc, "headers", None))
        extra = getattr(exc, "problem_extra", {}) or {}
        return problem(exc.status, exc.message, exc.code, getattr(exc, "headers", None), **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"location": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['location']}: {e['message']}" for e in errors) or "invalid request"
        return problem(422, detail, "invalid-parameter", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and prefers_html(request):
            return not_found_page(request, "", dict(exc.headers or {}))
        code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "-")
        return problem(exc.status_code, str(exc.detail), code, dict(exc.headers or {}))

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, _: ClientDisconnect) -> Response:
        # The client hung up before its body was complete: nobody to answer, nothing went wrong here.
        log.info(
            "client disconnected before the request body was complete: %s %s",
            request.method,
            request.url.path,
        )
        return problem(
            400, "the client disconnected before the request body was complete", "client-disconnected"
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        log.exception("unexpected error", exc_info=exc)
        return problem(500, "the server met an unexpected error; it has been logged", "internal-error")
