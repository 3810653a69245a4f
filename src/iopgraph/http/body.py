"""The one reader of request bodies: bounded reads that answer 413 with the limit that was passed.

    body = await read_body(request, settings.max_upload_bytes)             # 413 payload-too-large
    body = await read_body(request, settings.max_query_bytes, QUERY_LIMIT)  # 413 query-too-large
    form = await read_form(request, settings.max_upload_bytes)             # multipart or urlencoded
    ct = content_type(request)                                             # media type, charset

A declared ``Content-Length`` over the limit is refused before anything is
read; a chunked body is counted as it arrives and abandoned the moment it
passes the limit, so an oversized body never sits in memory whole. The
app-wide backstop (:mod:`iopgraph.http.body_limit`) uses the same checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.types import Message

from iopgraph.core.content_type import ContentType, parse_content_type
from iopgraph.core.errors import InputError, IopgraphError, PayloadTooLarge
from iopgraph.query.errors import QueryTooLarge


@dataclass(frozen=True)
class BodyLimit:
    """What a limit is called (the setting that raises it) and the error that reports passing it."""

    setting: str
    error: type[IopgraphError]

    def exceeded(self, limit: int, declared: int | None = None) -> IopgraphError:
        size = f"({declared} bytes) " if declared is not None else ""
        return self.error(
            f"the request body {size}is larger than the limit of {limit} bytes ({self.setting})"
        )


#: RDF uploads, forms and updates.
UPLOAD_LIMIT = BodyLimit("IOPGRAPH_MAX_UPLOAD_BYTES", PayloadTooLarge)
#: SPARQL queries (the protocol's POST bodies).
QUERY_LIMIT = BodyLimit("IOPGRAPH_MAX_QUERY_BYTES", QueryTooLarge)
#: The app-wide backstop (IOPGRAPH_MAX_BODY_BYTES; by default a little over the larger of the two above).
ANY_LIMIT = BodyLimit("IOPGRAPH_MAX_BODY_BYTES", PayloadTooLarge)


def declared_length(value: str | bytes | None) -> int | None:
    """The ``Content-Length`` a request declares (None when it declares none); 400 when it is not a number."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    if not text.strip().isdigit():
        raise InputError("the Content-Length header is not a number")
    return int(text)


def content_type(request: Request) -> ContentType:
    """The request's ``Content-Type``, parsed (media type ``''`` when it has none)."""
    return parse_content_type(request.headers.get("content-type"))


async def read_body(request: Request, limit: int, kind: BodyLimit = UPLOAD_LIMIT) -> bytes:
    """The whole body of ``request``, at most ``limit`` bytes (413 from ``kind`` beyond)."""
    declared = declared_length(request.headers.get("content-length"))
    if declared is not None and declared > limit:
        raise kind.exceeded(limit, declared)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise kind.exceeded(limit)
    return bytes(body)


async def read_form(request: Request, limit: int) -> FormData:
    """The form of ``request`` (multipart or urlencoded), its body read within ``limit`` bytes; 400 if malformed."""
    body = await read_body(request, limit)

    async def replay() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        return await Request(request.scope, replay).form(max_part_size=limit)
    except Exception as exc:  # malformed multipart: python-multipart raises several types
        raise InputError(f"the form data cannot be read: {exc}") from exc
