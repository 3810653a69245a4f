"""A hard cap on request bodies, before any handler reads them.

    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)

Endpoints enforce their own limits (``IOPGRAPH_MAX_QUERY_BYTES`` for queries,
``IOPGRAPH_MAX_UPLOAD_BYTES`` for RDF uploads) with messages that name them;
this is the backstop for every route, including ones that parse forms or JSON
without a limit of their own. A ``Content-Length`` above the cap is answered
413 at once, without reading the body; a chunked body is counted as it
arrives and refused with 413 the moment it passes the cap, so a client cannot
make the server buffer an unbounded upload.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from iopgraph.core.errors import PayloadTooLarge
from iopgraph.http.problems import base_url_of, problem


def _too_large(limit: int) -> str:
    return (
        f"the request body is larger than this server accepts ({limit} bytes; "
        "IOPGRAPH_MAX_UPLOAD_BYTES / IOPGRAPH_MAX_QUERY_BYTES)"
    )


class BodyLimitMiddleware:
    """Pure ASGI middleware refusing request bodies over ``max_bytes`` with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope.get("headers", []) if k.lower() == b"content-length"), None)
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                response = problem(
                    400,
                    "the Content-Length header is not a number",
                    "bad-request",
                    base_url=base_url_of(scope),
                )
                await response(scope, receive, send)
                return
            if length > self.max_bytes:
                response = problem(
                    413,
                    _too_large(self.max_bytes),
                    PayloadTooLarge.code,
                    headers={"Connection": "close"},
                    base_url=base_url_of(scope),
                )
                await response(scope, receive, send)
                return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the handler's read: the app's error handler answers 413.
                    raise PayloadTooLarge(_too_large(self.max_bytes))
            return message

        await self.app(scope, receive if declared is not None else limited_receive, send)
