"""A hard cap on request bodies, before any handler reads them.

    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)

Endpoints enforce their own limits (``IOPGRAPH_MAX_QUERY_BYTES`` for queries,
``IOPGRAPH_MAX_UPLOAD_BYTES`` for RDF uploads) with messages that name them,
through :mod:`iopgraph.http.body`, whose checks this middleware shares;
this is the backstop for every route, including ones that parse forms or JSON
without a limit of their own. A ``Content-Length`` above the cap is answered
413 at once, without reading the body; a chunked body is counted as it
arrives and refused with 413 the moment it passes the cap, so a client cannot
make the server buffer an unbounded upload.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from iopgraph.core.errors import InputError
from iopgraph.http.body import ANY_LIMIT, declared_length
from iopgraph.http.problems import base_url_of, problem


class BodyLimitMiddleware:
    """Pure ASGI middleware refusing request bodies over ``max_bytes`` with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next((v for k, v in scope.get("headers", []) if k.lower() == b"content-length"), None)
        try:
            declared = declared_length(header)
        except InputError as exc:
            await problem(400, exc.message, "bad-request", base_url=base_url_of(scope))(scope, receive, send)
            return
        if declared is not None:
            if declared > self.max_bytes:
                too_large = ANY_LIMIT.exceeded(self.max_bytes, declared)
                response = problem(
                    413,
                    too_large.message,
                    too_large.code,
                    headers={"Connection": "close"},
                    base_url=base_url_of(scope),
                )
                await response(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the handler's read: the app's error handler answers 413.
                    raise ANY_LIMIT.exceeded(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)
