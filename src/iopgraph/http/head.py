"""HEAD on every GET route: the GET's status and headers, without the body (RFC 9110 §9.3.2).

FastAPI adds no HEAD to a GET route, so a harvester checking a page with HEAD got 405. This
middleware hands the app a GET and drops the body it answers; the headers (ETag, Content-Type,
Content-Length, Link, Cache-Control) are the GET's, and a conditional HEAD gets the same 304.
It sits inside the access log (which records HEAD) and outside the security headers (so the
Content-Security-Policy is the GET's too).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """ASGI middleware: a HEAD request runs as GET; the response's body is not sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] != "http.response.body":
                await send(message)
            elif not message.get("more_body", False):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET"}, receive, headers_only)
