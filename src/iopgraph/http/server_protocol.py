"""The HTTP/1.1 connection layer of `iopgraph serve`: uvicorn's httptools protocol with limits and problem+json.

uvicorn answers what never reaches the app (a request that is not valid HTTP, an
over-long URL) with a plain-text 400 and has no limit on header size or on how long
a client may take to send its headers. This protocol keeps uvicorn's and adds:

* URLs up to :data:`MAX_URL_BYTES` (longer: 414; a long query goes in a POST body),
  request headers up to :data:`MAX_HEADER_BYTES` in all (larger: 431);
* a header read timeout, :data:`HEADER_TIMEOUT` seconds from the connection (or
  from the first byte of the next request on a kept-alive one) to the end of the
  headers (later: 408, and the connection is closed: slow-header clients cannot
  hold connections open);
* every such answer as ``application/problem+json`` with a stable ``code``, like
  every answer of the app, and no ``server`` header (`iopgraph serve` turns it off).

    uvicorn.run(app, http=protocol_class(settings.base_url), server_header=False)

The limits are documented in docs/security.md.
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Any

from iopgraph.core.errors import PROBLEM_MEDIA_TYPE, problem_type, spec

MAX_URL_BYTES = 32 * 1024
MAX_HEADER_BYTES = 64 * 1024
HEADER_TIMEOUT = 10.0


def problem_bytes(code: str, detail: str, default_headers: list[tuple[bytes, bytes]], base_url: str) -> bytes:
    """A complete HTTP/1.1 problem+json response that closes the connection (status from the code's entry)."""
    registered = spec(code)
    body = json.dumps(
        {
            "type": problem_type(code, base_url),
            "title": registered.title,
            "status": registered.status,
            "detail": detail,
            "code": code,
        }
    ).encode()
    lines = [f"HTTP/1.1 {registered.status} {HTTPStatus(registered.status).phrase}".encode()]
    lines += [name + b": " + value for name, value in default_headers]
    lines += [
        b"content-type: " + PROBLEM_MEDIA_TYPE.encode(),
        b"content-length: " + str(len(body)).encode(),
        b"x-content-type-options: nosniff",
        b"connection: close",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class _Refused(Exception):
    """Raised in a parser callback to stop parsing a request that breaks a limit."""


def protocol_class(base_url: str) -> type[asyncio.Protocol] | str:
    """The protocol for uvicorn's ``http=``: the limited httptools protocol, or "auto" without httptools.

    ``base_url`` is the service's, for the problems' ``type`` links.
    """
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - uvicorn[standard] installs httptools
        return "auto"

    class LimitedHttpToolsProtocol(HttpToolsProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._refusal: tuple[str, str] | None = None
            self._url_bytes = 0
            self._header_bytes = 0
            self._header_timer: asyncio.TimerHandle | None = None

        # -- the header read timeout --
        def _arm_header_timer(self) -> None:
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(HEADER_TIMEOUT, self._header_timeout)

        def _disarm_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _header_timeout(self) -> None:
            self._header_timer = None
            if self.transport is not None and not self.transport.is_closing():
                self._send_problem(
                    "request-timeout", f"the request headers did not arrive within {HEADER_TIMEOUT:g} s"
                )

        # uvicorn types the parameter asyncio.Transport, narrower than asyncio.Protocol's BaseTransport.
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm_header_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_header_timer()
            super().connection_lost(exc)

        def timeout_keep_alive_handler(self) -> None:
            self._disarm_header_timer()
            super().timeout_keep_alive_handler()

        # -- parser callbacks with limits --
        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._url_bytes = self._header_bytes = 0
            self._refusal = None
            self._arm_header_timer()

        def on_url(self, url: bytes) -> None:
            self._url_bytes += len(url)
            if self._url_bytes > MAX_URL_BYTES:
                self._refusal = (
                    "uri-too-long",
                    f"the URL is longer than {MAX_URL_BYTES} bytes; send a long SPARQL query in a "
                    "POST body (application/sparql-query or a form) instead",
                )
                raise _Refused
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._header_bytes += len(name) + len(value) + 4
            if self._header_bytes > MAX_HEADER_BYTES:
                self._refusal = (
                    "header-too-large",
                    f"the request headers are larger than {MAX_HEADER_BYTES} bytes in all",
                )
                raise _Refused
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._disarm_header_timer()
            super().on_headers_complete()

        # -- answers that never reach the app, as problem+json --
        def _send_problem(self, code: str, detail: str) -> None:
            self.transport.write(problem_bytes(code, detail, self.server_state.default_headers, base_url))
            self.transport.close()

        def send_400_response(self, msg: str) -> None:
            self._disarm_header_timer()
            code, detail = self._refusal or (
                "bad-request",
                "the request is not valid HTTP/1.1 (request line, headers or URL encoding)",
            )
            self._send_problem(code, detail)

    return LimitedHttpToolsProtocol
