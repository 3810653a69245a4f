"""The one module that turns view results into HTTP responses: RDF, JSON-LD, HTML.

Routers pick a media type (``conneg.negotiate``) and call a view; the view
returns triples, a JSON-LD document or a page model; this module serialises
it and adds the headers every representation carries:

- the validators of :mod:`iopgraph.http.conditional` (``ETag``, ``Last-Modified``,
  ``Cache-Control``, ``Vary``); every response built here with validators goes
  through :func:`conditional.finish <iopgraph.http.conditional.finish>`, which
  keeps it in the representation cache when it may be kept;
- ``Link: <...>; rel="alternate"; type="..."`` for each other format.

    v = conditional.validators(request, media_type)
    if (early := conditional.early(request, v)) is not None:
        return early                       # 304, or the cached 200
    return render.rdf(triples, media_type, v)
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from iopgraph.core.media_types import (
    HTML,
    JSON,
    JSONLD,
    format_name,
    label,
    syntax_for_media_type,
)
from iopgraph.http import conditional, providers
from iopgraph.http.conditional import Validators, finish
from iopgraph.views.jsonld import CONTEXT_PATH
from iopgraph.views.links import local_href
from iopgraph.views.serialize import serialize

_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def header_path(request: Request) -> str:
    """The request path, percent-encoded, for use in a header (headers are Latin-1; paths may hold any character)."""
    return quote(request.url.path)


def alternates(request: Request, offers: Sequence[str], chosen: str) -> str:
    """A Link header listing the other representations of this URL (those a ``?format=`` name gives)."""
    path = header_path(request)
    links = []
    for media_type in offers:
        name = format_name(media_type, offers)
        if name is None or media_type == chosen:
            continue
        links.append(f'<{path}?format={name}>; rel="alternate"; type="{media_type}"')
    return ", ".join(links)


def _with(headers: dict[str, str] | None, v: Validators | None) -> dict[str, str]:
    merged = dict(v.headers()) if v else {}
    merged.update(headers or {})
    return merged


def serialize_rdf(
    triples: Iterable[ox.Triple] | Iterable[ox.Quad], media_type: str, context_url: str | None = None
) -> bytes:
    """Through the one serialiser (views.serialize); JSON-LD needs the context it is compacted with."""
    syntax = syntax_for_media_type(media_type)
    if syntax is None:  # pragma: no cover - callers negotiate among known syntaxes
        raise ValueError(f"{media_type} is not an RDF syntax")
    if syntax.media_type == JSONLD and context_url is None:  # pragma: no cover - a programming error
        raise ValueError("JSON-LD is compacted with the context: pass context_url")
    return serialize(triples, syntax, context_url or "")


def rdf(
    triples: Iterable[ox.Triple] | Iterable[ox.Quad],
    media_type: str,
    v: Validators | None = None,
    headers: dict[str, str] | None = None,
    context_url: str | None = None,
) -> Response:
    """Turtle, N-Triples, RDF/XML, N-Quads or TriG of ``triples`` (JSON-LD, compacted with ``context_url``)."""
    body = serialize_rdf(triples, media_type, context_url)
    charset = "; charset=utf-8" if media_type.startswith("text/") else ""
    return finish(Response(body, media_type=media_type + charset, headers=_with(headers, v)), v)


def jsonld(
    doc: dict[str, Any],
    v: Validators | None = None,
    headers: dict[str, str] | None = None,
    media_type: str = JSONLD,
) -> Response:
    """A JSON-LD document; as ``application/json`` it points at its context with a Link header too."""
    extra = dict(headers or {})
    if media_type == JSON and isinstance(doc.get("@context"), str):
        link = f'<{doc["@context"]}>; rel="http://www.w3.org/ns/json-ld#context"; type="{JSONLD}"'
        extra["Link"] = ", ".join(filter(None, [extra.get("Link"), link]))
    body = json.dumps(doc, ensure_ascii=False, indent=1).encode()
    return finish(Response(body, media_type=media_type, headers=_with(extra, v)), v)


def context_document(text: str, v: Validators) -> Response:
    return finish(Response(text.encode(), media_type=JSONLD, headers=v.headers()), v)


def bytes_response(
    body: bytes,
    media_type: str,
    v: Validators | None = None,
    headers: dict[str, str] | None = None,
    gzip_it: bool = False,
) -> Response:
    """A download (dumps); gzip-encoded when the client asked for it."""
    extra = dict(headers or {})
    if gzip_it:
        body = gzip.compress(body, mtime=0)
        extra["Content-Encoding"] = "gzip"
    return finish(Response(body, media_type=media_type, headers=_with(extra, v)), v)


def static_file(request: Request, path: Path, media_type: str, cache_control: str) -> Response:
    """A file shipped with the service (editor and API-docs assets), with the service's conditional GET.

    Its ETag names the file's size and modification time, so a changed file gets a new one."""
    stat = path.stat()
    v = conditional.validators(
        request,
        media_type,
        version=f"file-{stat.st_size}-{stat.st_mtime_ns}",
        last_modified=datetime.fromtimestamp(int(stat.st_mtime), UTC),
        vary=None,
        cache_control=cache_control,
    )
    if (early := conditional.early(request, v)) is not None:
        return early
    return bytes_response(path.read_bytes(), media_type, v)


# --- HTML -----------------------------------------------------------------------------------------


def make_templates() -> Jinja2Templates:
    """The app's template set (made once per app, in its lifespan; see :mod:`iopgraph.http.context`)."""
    found = Jinja2Templates(directory=str(_TEMPLATES))
    found.env.filters["href"] = local_href
    found.env.globals["context_path"] = CONTEXT_PATH
    return found


def templates(request: Request) -> Jinja2Templates:
    """The app's template set."""
    return providers.templates(request)


def html(
    request: Request,
    template: str,
    context: dict[str, Any],
    v: Validators | None = None,
    headers: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """A page from ``templates/<template>``."""
    response = templates(request).TemplateResponse(
        request, template, context, status_code=status_code, headers=_with(headers, v)
    )
    assert isinstance(response, HTMLResponse)
    return finish(response, v)


async def graph_html(
    request: Request,
    triples: Iterable[ox.Triple],
    root: str,
    title: str,
    intro: str,
    offers: Sequence[str],
    v: Validators | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A small RDF graph (catalogue, VoID, LDES) as a page: its resources with their properties.

    Labels of the properties, types and values come from the graph itself, then from the store.
    """
    from iopgraph.views.describe import labels_from, summaries
    from iopgraph.views.graph_page import graph_nodes

    triples = list(triples)
    terms = [t.predicate for t in triples] + [t.object for t in triples]
    known = labels_from(await summaries(providers.backend(request), terms))

    path = header_path(request)
    formats = [
        {"href": f"{path}?format={name}", "type": m, "name": label(m)}
        for m in offers
        if m != HTML and (name := format_name(m, offers))
    ]
    nodes = graph_nodes(triples, root, providers.settings(request).base_url, known)
    return html(
        request,
        "graph.html",
        {
            "title": title,
            "intro": intro,
            "nodes": nodes,
            "formats": formats,
            "alternates": [{"type": f["type"], "href": f["href"]} for f in formats],
        },
        v,
        headers,
    )
