"""Security headers on every response, and a Content Security Policy on HTML pages.

    app.add_middleware(SecurityHeadersMiddleware)

Every response: ``X-Content-Type-Options: nosniff`` (a Turtle dump is never
sniffed into HTML) and ``Referrer-Policy: strict-origin-when-cross-origin``.

HTML pages also get ``X-Frame-Options: DENY`` and a CSP that lets the page load
scripts, styles, fonts and images from this service only (the editor's
YASGUI files are served under ``/sparql/assets/``), talk to this service only
(``connect-src 'self'``), and run no inline script except the ones the page
itself carries: their SHA-256 hashes are computed from the page body and
added to ``script-src``, so an injected ``<script>`` is never run while the
templates' own small scripts are. Inline styles stay allowed (YASGUI and the
charts set them; CSS cannot run code). ``/docs`` (Swagger UI) is served from
this service too (``/docs/assets/``): no page loads anything from another origin.

Headers a route already set are kept.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import OrderedDict

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BASE_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"strict-origin-when-cross-origin",
}
HTML_HEADERS = {b"x-frame-options": b"DENY"}
#: Largest HTML body whose inline scripts are hashed; a bigger page gets no inline script at all.
MAX_HASHED_BYTES = 8_000_000
#: Policies remembered by page body (a cached page sends the very same bytes again): how many, how large.
MEMO_ENTRIES = 64
MEMO_MAX_BYTES = 1_000_000

_INLINE_SCRIPT = re.compile(rb"<script(?P<attrs>(?:\s[^>]*)?)>(?P<body>.*?)</script\s*>", re.I | re.S)
_SRC_ATTR = re.compile(rb"\ssrc\s*=", re.I)
_TYPE_ATTR = re.compile(rb"""\stype\s*=\s*["']?([^"'\s>]+)""", re.I)
_SCRIPT_TYPES = {b"", b"text/javascript", b"application/javascript", b"module", b"text/ecmascript"}


def inline_script_hashes(html: bytes) -> list[str]:
    """CSP source expressions (``'sha256-…'``) for the executable inline scripts of ``html``."""
    hashes: list[str] = []
    for match in _INLINE_SCRIPT.finditer(html):
        attrs = match.group("attrs") or b""
        if _SRC_ATTR.search(attrs):
            continue
        kind = _TYPE_ATTR.search(attrs)
        if kind and kind.group(1).lower() not in _SCRIPT_TYPES:
            continue  # a data block (application/json, application/ld+json): never run
        digest = base64.b64encode(hashlib.sha256(match.group("body")).digest()).decode()
        source = f"'sha256-{digest}'"
        if source not in hashes:
            hashes.append(source)
    return hashes


def content_security_policy(script_hashes: list[str]) -> str:
    """The CSP of an HTML page whose own inline scripts have ``script_hashes``."""
    scripts = " ".join(["'self'", *script_hashes])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class PolicyMemo:
    """The CSP of recent HTML bodies, so that a page served again (from the cache) is not hashed again.

    Keyed on the body's bytes (a ``bytes`` object caches its hash: the same cached object costs one
    dictionary look-up); bounded in entries, bodies over :data:`MEMO_MAX_BYTES` are not kept.
    """

    def __init__(self, entries: int = MEMO_ENTRIES) -> None:
        self.entries = entries
        self._policies: OrderedDict[bytes, bytes] = OrderedDict()
        self.computed = 0  # policies computed (not found in the memo)

    def policy(self, body: bytes) -> bytes:
        if len(body) > MEMO_MAX_BYTES:
            self.computed += 1
            return content_security_policy(inline_script_hashes(body)).encode()
        found = self._policies.get(body)
        if found is not None:
            self._policies.move_to_end(body)
            return found
        self.computed += 1
        found = content_security_policy(inline_script_hashes(body)).encode()
        self._policies[body] = found
        while len(self._policies) > self.entries:
            self._policies.popitem(last=False)
        return found


class SecurityHeadersMiddleware:
    """Pure ASGI middleware adding the headers above; HTML bodies are held back to hash their scripts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.memo = PolicyMemo()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()

        async def send_wrapper(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = set()
                content_type = b""
                for k, v in headers:  # one pass: the names present, the first Content-Type
                    lower = k.lower()
                    present.add(lower)
                    if lower == b"content-type" and not content_type:
                        content_type = v
                headers += [(k, v) for k, v in BASE_HEADERS.items() if k not in present]
                message = {**message, "headers": headers}
                if (
                    content_type.lower().startswith(b"text/html")
                    and b"content-security-policy" not in present
                ):
                    headers += [(k, v) for k, v in HTML_HEADERS.items() if k not in present]
                    start = message  # sent with the policy once the whole body is known
                    return
                await send(message)
            elif message["type"] == "http.response.body" and start is not None:
                chunk = message.get("body", b"")
                more = message.get("more_body", False)
                if not more and not body and type(chunk) is bytes:
                    whole = chunk  # the whole body in one message (the usual case): no copy
                else:
                    body.extend(chunk)
                    if more and len(body) <= MAX_HASHED_BYTES:
                        return
                    whole = bytes(body)
                # Whole body known (or too big to hold: then no inline script is allowed at all).
                policy = self.memo.policy(whole) if not more else content_security_policy([]).encode()
                start["headers"].append((b"content-security-policy", policy))
                await send(start)
                await send({"type": "http.response.body", "body": whole, "more_body": more})
                start = None
                body.clear()
            else:
                await send(message)

        await self.app(scope, receive, send_wrapper)
