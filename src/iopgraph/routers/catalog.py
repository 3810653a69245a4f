"""``/catalog`` (DCAT-AP 3) and ``/.well-known/void`` (VoID), in JSON-LD, Turtle, N-Triples or RDF/XML."""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response

from iopgraph.core.conneg import negotiate
from iopgraph.core.media_types import HTML, JSONLD
from iopgraph.http import conditional, render
from iopgraph.views import catalog as views
from iopgraph.views.jsonld import CONTEXT_PATH, document, frame

router = APIRouter(tags=["catalogue"])
OFFERS = [JSONLD, "text/turtle", "application/n-triples", "application/rdf+xml", HTML]
#: Titles and introductions of the HTML views (browsers prefer text/html; machines keep their formats).
PAGES = {
    views.CATALOG: (
        "Data catalogue",
        "The DCAT-AP 3 catalogue of this service: the dataset, its downloads, the "
        "SPARQL service and the LDES feed.",
    ),
    views.BASE + "void#dataset": (
        "VoID description",
        "The size and parts of the dataset, its example resources, SPARQL endpoint and dumps (VoID).",
    ),
}


async def _serve(request: Request, root: str, build) -> Response:  # an async triple builder
    media_type = negotiate(request.headers.get("accept"), OFFERS, request.query_params.get("format"))
    validators = conditional.validators(request, media_type)
    if (early := conditional.early(request, validators)) is not None:
        return early
    triples = await build()
    headers = {"Link": render.alternates(request, OFFERS, media_type)}
    if media_type == HTML:
        title, intro = PAGES[root]
        return await render.graph_html(request, triples, root, title, intro, OFFERS, validators, headers)
    if media_type == JSONLD:
        base = request.app.state.settings.base_url.rstrip("/")
        return render.jsonld(
            document(base + CONTEXT_PATH, frame(triples, [ox.NamedNode(root)])), validators, headers
        )
    return render.rdf(triples, media_type, validators, headers)


@router.get(
    "/catalog", summary="DCAT-AP 3 catalogue: the dataset, its dumps, the SPARQL service and the LDES feed"
)
async def dcat_catalog(request: Request) -> Response:
    backend, settings = request.app.state.backend, request.app.state.settings
    return await _serve(
        request, views.CATALOG, lambda: views.catalog(backend, settings.base_url, backend.last_modified)
    )


@router.get("/.well-known/void", summary="VoID description: sizes, partitions, examples, endpoint, dumps")
async def void_description(request: Request) -> Response:
    backend, settings = request.app.state.backend, request.app.state.settings
    return await _serve(request, views.BASE + "void#dataset", lambda: views.void(backend, settings.base_url))
