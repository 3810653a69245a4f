"""Dereferencing: every IRI the graph mints answers here, in the format the client negotiates.

``GET /id/...``, ``/concept/...``, ``/graph/...`` and ``/ontology`` serve the
resource ``https://w3id.org/iopgraph/<path>`` with ``200`` and content
negotiation (HTML, JSON-LD, Turtle, N-Triples, RDF/XML; ``?format=`` wins over
``Accept``), ``Vary: Accept``, alternates in ``Link``, ``404`` for IRIs the
graph does not mention, ``406`` for types it cannot serve and ``304`` for
conditional requests. Why 200 and not 303: docs/linked-data.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response

from iopgraph.core.conneg import negotiate
from iopgraph.core.errors import ResourceNotFound
from iopgraph.core.media_types import HTML, JSON, JSONLD, RESOURCE_OFFERS, SHAPES_OFFERS, format_name
from iopgraph.core.sources import content_hash, shape_sources
from iopgraph.http import conditional, providers, render
from iopgraph.views import documents
from iopgraph.views.describe import Description, describe, describe_graph, describe_ontology
from iopgraph.views.jsonld import CONTEXT_PATH, context_text
from iopgraph.views.links import graph_iri
from iopgraph.views.ontology_page import ontology_page

router = APIRouter(tags=["linked data"])


def resource_iri(path: str) -> ox.NamedNode:
    """The graph IRI for a request path; 404 when the path cannot be part of an IRI (NUL, spaces, ``<>``)."""
    try:
        return ox.NamedNode(graph_iri(path))
    except ValueError:
        raise ResourceNotFound(f"no resource: the path {path[:200]!r} cannot be part of an IRI") from None


async def serve_description(
    request: Request,
    format: str | None,
    load: Callable[[], Awaitable[Description]],
    template: str = "resource.html",
) -> Response:
    """Negotiate, answer 304 if the client is current, else describe and render."""
    media_type = negotiate(request.headers.get("accept"), RESOURCE_OFFERS, format)
    name = format_name(media_type, RESOURCE_OFFERS) or "jsonld"  # application/json is the JSON-LD document
    location = f"{render.header_path(request)}?format={name}"
    validators = conditional.validators(request, media_type, content_location=location)
    if (early := conditional.early(request, validators)) is not None:
        return early
    description = await load()
    if not description.exists:
        raise ResourceNotFound(f"<{description.iri.value}> is not in the graph")
    headers = {"Link": render.alternates(request, RESOURCE_OFFERS, media_type)}
    context_url = providers.settings(request).base_url.rstrip("/") + CONTEXT_PATH
    if media_type in (JSONLD, JSON):
        return render.jsonld(
            documents.description_document(description, context_url),
            validators,
            headers,
            media_type=media_type,
        )
    if media_type == HTML:
        page = await documents.description_page(providers.backend(request), description, context_url)
        if template == "ontology.html":
            page["onto"] = ontology_page(description, providers.settings(request).root / "docs" / "model.md")
            page["title"] = page["onto"].title
        return render.html(request, template, page, validators, headers)
    return render.rdf(description.triples, media_type, validators, headers)


@router.get("/id/{path:path}", summary="A resource of the graph (https://w3id.org/iopgraph/id/...)")
async def instance(request: Request, path: str, format: str | None = None) -> Response:
    iri = resource_iri("id/" + path)
    return await serve_description(request, format, lambda: describe(providers.backend(request), iri))


@router.get(
    "/concept/{path:path}", summary="A SKOS concept or concept scheme (https://w3id.org/iopgraph/concept/...)"
)
async def concept(request: Request, path: str, format: str | None = None) -> Response:
    iri = resource_iri("concept/" + path)
    return await serve_description(request, format, lambda: describe(providers.backend(request), iri))


@router.get("/graph/{path:path}", summary="A named graph of the store: the triples of one source file")
async def named_graph(request: Request, path: str, format: str | None = None) -> Response:
    iri = resource_iri("graph/" + path)
    return await serve_description(request, format, lambda: describe_graph(providers.backend(request), iri))


@router.get("/ontology", summary="The iopgraph ontology (https://w3id.org/iopgraph/ontology#)")
@router.get("/ontology/{version}", summary="A version IRI of the ontology; the current ontology is served")
async def ontology(request: Request, format: str | None = None, version: str | None = None) -> Response:
    return await serve_description(
        request, format, lambda: describe_ontology(providers.backend(request)), template="ontology.html"
    )


SHAPES = "https://w3id.org/iopgraph/shapes"


@router.get(
    "/shapes", summary="The SHACL shapes data is validated against (https://w3id.org/iopgraph/shapes#...)"
)
async def shapes(request: Request, format: str | None = None) -> Response:
    media_type = negotiate(request.headers.get("accept"), SHAPES_OFFERS, format)
    files = shape_sources(providers.settings(request).root)
    validators = conditional.validators(request, media_type, version="shapes-" + content_hash(files))
    if (early := conditional.early(request, validators)) is not None:
        return early
    triples: list[ox.Triple] = []
    for f in files:
        triples += [q.triple for q in ox.parse(path=str(f.path))]
    headers = {"Link": render.alternates(request, SHAPES_OFFERS, media_type)}
    if media_type == HTML:
        return await render.graph_html(
            request,
            triples,
            SHAPES,
            "SHACL shapes",
            "What each kind of resource must carry: the shapes every upload, write and build is validated "
            "against, with the messages a data steward sees.",
            SHAPES_OFFERS,
            validators,
            headers,
        )
    return render.rdf(triples, media_type, validators, headers)


@router.get(CONTEXT_PATH, summary="The JSON-LD context of every JSON-LD response (version 1)")
async def context(request: Request) -> Response:
    text = context_text()
    validators = conditional.validators(
        request, JSONLD, version="context-v1", vary=None, cache_control="public, max-age=86400"
    )
    if (early := conditional.early(request, validators)) is not None:
        return early
    return render.context_document(text, validators)
