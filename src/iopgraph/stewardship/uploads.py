"""Request bodies holding RDF: size limit (413), media type (415), multipart file uploads.

    upload = await read_rdf_upload(request, limit=settings.max_upload_bytes)
    quads = upload.parse()    # RdfSyntaxError (400) names the line and column

A body is read in chunks and abandoned as soon as it passes the limit, so an
oversized upload never sits in memory whole.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pyoxigraph as ox
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from iopgraph.core.errors import InputError, PayloadTooLarge, UnknownFormat
from iopgraph.core.media_types import (
    FORM,
    GENERIC_BODY_TYPES,
    MULTIPART,
    TURTLE,
    UPLOAD_OFFERS,
    RdfSyntax,
    syntax_by_name,
    syntax_for_body,
    syntax_for_media_type,
    syntax_for_path,
)
from iopgraph.core.rdfio import parse_bytes

FORM_TYPES = (MULTIPART, FORM)


def accepted_media_types() -> str:
    return ", ".join(UPLOAD_OFFERS)


@dataclass(frozen=True)
class RdfUpload:
    """RDF bytes and the syntax they claim to be in, plus the form's other fields."""

    data: bytes
    syntax: RdfSyntax
    source: str
    fields: dict[str, str]

    def parse(
        self, graph: ox.NamedNode | ox.DefaultGraph | None = None, base_iri: str | None = None
    ) -> list[ox.Quad]:
        return parse_bytes(self.data, self.syntax, self.source, graph, base_iri)


async def read_limited(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """Concatenate ``chunks``; raise 413 as soon as they pass ``limit`` bytes."""
    body = bytearray()
    async for chunk in chunks:
        body.extend(chunk)
        if len(body) > limit:
            raise PayloadTooLarge(f"the request body is larger than the limit of {limit} bytes")
    return bytes(body)


def _check_declared_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"the request body ({declared} bytes) is larger than the limit of {limit} bytes"
        )


def media_type_of(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def syntax_of(media_type: str, filename: str | None = None) -> RdfSyntax:
    """The RDF syntax of a media type (or, for generic types, of a file name); 415 otherwise."""
    syntax = syntax_for_body(media_type) if media_type else None
    if syntax is None and filename and media_type in GENERIC_BODY_TYPES:
        syntax = syntax_for_path(filename)
    if syntax is None:
        what = f"media type {media_type!r}" if media_type else "a body without a Content-Type"
        raise UnknownFormat(
            f"{what} is not an RDF syntax this service reads; send one of: {accepted_media_types()}"
        )
    return syntax


async def read_body(request: Request, limit: int) -> bytes:
    _check_declared_length(request, limit)
    return await read_limited(request.stream(), limit)


async def read_form(request: Request, limit: int) -> FormData:
    """The form of ``request`` (multipart or urlencoded), its body read within ``limit`` bytes; 400 if malformed."""
    body = await read_body(request, limit)

    async def replay() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        return await Request(request.scope, replay).form(max_part_size=limit)
    except Exception as exc:  # malformed multipart: python-multipart raises several types
        raise InputError(f"the form data cannot be read: {exc}") from exc


async def read_rdf_upload(request: Request, limit: int, file_field: str = "file") -> RdfUpload:
    """The RDF of a request: a body with an RDF media type, or a form with a file (or a ``text`` field).

    Forms name the syntax by the file part's media type, its file name, or a
    ``syntax`` field (a media type or a short name such as ``turtle``).
    """
    media_type = media_type_of(request)
    if media_type not in FORM_TYPES:
        syntax = syntax_of(media_type)
        return RdfUpload(await read_body(request, limit), syntax, "request body", {})
    form = await read_form(request, limit)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    upload = form.get(file_field)
    declared = fields.get("syntax", "").strip()
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read()
        part_type = (upload.content_type or "").split(";", 1)[0].strip().lower()
        syntax = _declared_syntax(declared) or syntax_of(part_type, upload.filename)
        return RdfUpload(data, syntax, upload.filename, fields)
    text = fields.get("text", "")
    if not text.strip():
        raise InputError(
            f"the form has no RDF: attach a file (field '{file_field}') or paste text (field 'text')"
        )
    syntax = _declared_syntax(declared) or syntax_of(TURTLE)
    return RdfUpload(text.encode("utf-8"), syntax, "pasted text", fields)


def _declared_syntax(value: str) -> RdfSyntax | None:
    if not value:
        return None
    found = syntax_for_media_type(value) or syntax_by_name(value)
    if found is None:
        raise UnknownFormat(
            f"syntax {value!r} is not one this service reads; use one of: {accepted_media_types()}"
        )
    return found
