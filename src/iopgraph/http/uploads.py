"""The RDF of a request: a body with an RDF media type, a form with a file or pasted text, multipart parts.

    upload = await read_rdf_upload(request, limit=settings.max_upload_bytes)
    uploads = await read_rdf_parts(request, limit)   # every RDF part of a multipart body (GSP §5.5)

Bodies are read by :mod:`iopgraph.http.body` (413 over the limit), syntaxes
named by :func:`iopgraph.stewardship.uploads.syntax_of` (415 for what is not
RDF); the bytes are parsed, with every guard, by :mod:`iopgraph.core.rdfio`.
"""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request

from iopgraph.core.content_type import parse_content_type
from iopgraph.core.errors import InputError
from iopgraph.core.media_types import FORM, MULTIPART, TURTLE
from iopgraph.http.body import content_type, read_body, read_form
from iopgraph.stewardship.uploads import RdfUpload, declared_syntax, syntax_of

FORM_TYPES = (MULTIPART, FORM)


async def read_rdf_upload(request: Request, limit: int, file_field: str = "file") -> RdfUpload:
    """The RDF of a request: a body with an RDF media type, or a form with a file (or a ``text`` field).

    Forms name the syntax by the file part's media type, its file name, or a
    ``syntax`` field (a media type or a short name such as ``turtle``).
    """
    media_type = content_type(request).media_type
    if media_type not in FORM_TYPES:
        syntax = syntax_of(media_type)
        return RdfUpload(await read_body(request, limit), syntax, "request body", {})
    form = await read_form(request, limit)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    upload = form.get(file_field)
    declared = fields.get("syntax", "").strip()
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read()
        part_type = parse_content_type(upload.content_type).media_type
        syntax = declared_syntax(declared) or syntax_of(part_type, upload.filename)
        return RdfUpload(data, syntax, upload.filename, fields)
    text = fields.get("text", "")
    if not text.strip():
        raise InputError(
            f"the form has no RDF: attach a file (field '{file_field}') or paste text (field 'text')"
        )
    syntax = declared_syntax(declared) or syntax_of(TURTLE)
    return RdfUpload(text.encode("utf-8"), syntax, "pasted text", fields)


async def read_rdf_parts(request: Request, limit: int) -> list[RdfUpload]:
    """Every RDF part of a multipart/form-data body (GSP §5.5: all of them are merged); 400 for none."""
    form = await read_form(request, limit)
    uploads = []
    for name, part in form.multi_items():
        if not isinstance(part, UploadFile):
            continue
        syntax = syntax_of(parse_content_type(part.content_type).media_type, part.filename)
        uploads.append(RdfUpload(await part.read(), syntax, part.filename or name, {}))
    if not uploads:
        raise InputError(
            "the multipart body has no RDF part: send each graph as a file part with an RDF media type"
        )
    return uploads
