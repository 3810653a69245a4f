"""RDF a client sent: the bytes, the syntax they are in (415 otherwise), and the form's other fields.

    upload = RdfUpload(data, syntax_of("text/turtle"), "request body", {})
    quads = upload.parse()    # RdfSyntaxError (400) names the line and column

Reading one from an HTTP request (size limit, forms, multipart parts) is
:mod:`iopgraph.http.uploads`; the writes and validation of this package take
the :class:`RdfUpload` it makes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from iopgraph.core.errors import UnknownFormat
from iopgraph.core.media_types import (
    GENERIC_BODY_TYPES,
    UPLOAD_OFFERS,
    RdfSyntax,
    syntax_by_name,
    syntax_for_body,
    syntax_for_media_type,
    syntax_for_path,
)
from iopgraph.core.rdfio import parse_bytes


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


def declared_syntax(value: str) -> RdfSyntax | None:
    """The syntax a form's ``syntax`` field names (a media type or a short name such as ``turtle``)."""
    if not value:
        return None
    found = syntax_for_media_type(value) or syntax_by_name(value)
    if found is None:
        raise UnknownFormat(
            f"syntax {value!r} is not one this service reads; use one of: {accepted_media_types()}"
        )
    return found
