"""CORS for the read side only: any origin may read (GET/HEAD anywhere, POST queries to /sparql).

Writes get no CORS headers, so a browser page on another site cannot use a
steward's credentials against the write API.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from iopgraph.http.problems import base_url_of, problem

#: Paths where a cross-origin POST is a read (a query), not a write.
READ_POST_PATHS = ("/sparql",)
EXPOSED = "ETag, Last-Modified, Link, Location, X-SPARQL-MaxRows, Iopgraph-Truncated, Iopgraph-Result-Count"
ALLOWED_REQUEST_HEADERS = "Accept, Accept-Language, Content-Type, If-None-Match, If-Modified-Since"


def _is_read(method: str, path: str) -> bool:
    return method in ("GET", "HEAD") or (method == "POST" and path in READ_POST_PATHS)


class ReadOnlyCors:
    """ASGI middleware: ``Access-Control-Allow-Origin: *`` on reads; preflights answered for reads only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        method, path = scope["method"], scope["path"]
        if "origin" not in headers:
            await self.app(scope, receive, send)
            return
        requested = headers.get("access-control-request-method")
        if method == "OPTIONS" and requested:
            if _is_read(requested.upper(), path):
                response = Response(
                    status_code=204,
                    headers={
                        "Access-Control-Allow-Origin": "*",
                        "Access-Control-Allow-Methods": "GET, HEAD, POST"
                        if path in READ_POST_PATHS
                        else "GET, HEAD",
                        "Access-Control-Allow-Headers": ALLOWED_REQUEST_HEADERS,
                        "Access-Control-Max-Age": "86400",
                    },
                )
            else:
                response = problem(
                    403,
                    "cross-origin requests may only read (GET, HEAD, and POST to /sparql)",
                    "cross-origin-refused",
                    base_url=base_url_of(scope),
                )
            await response(scope, receive, send)
            return
        if not _is_read(method, path):
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                mutable = MutableHeaders(scope=message)
                mutable["Access-Control-Allow-Origin"] = "*"
                mutable["Access-Control-Expose-Headers"] = EXPOSED
            await send(message)

        await self.app(scope, receive, send_with_cors)
