"""``/catalog`` (DCAT-AP 3) and ``/.well-known/void`` (VoID), in JSON-LD, Turtle, N-Triples or RDF/XML."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response

from iopgraph.core.conneg import negotiate
from iopgraph.core.media_types import CATALOG_OFFERS, HTML, JSONLD
from iopgraph.core.namespaces import BASE
from iopgraph.http import conditional, providers, render
from iopgraph.views import catalog as views
from iopgraph.views.jsonld import CONTEXT_PATH, document, frame

router = APIRouter(tags=["catalogue"])
#: Titles and introductions of the HTML views (browsers prefer text/html; machines keep their formats).
PAGES = {
    views.CATALOG: (
        "Data catalogue",
        "The DCAT-AP 3 catalogue of this service: the dataset, its downloads, the "
        "SPARQL service and the LDES feed.",
    ),
    BASE + "void#dataset": (
        "VoID description",
        "The size and parts of the dataset, its example resources, SPARQL endpoint and dumps (VoID).",
    ),
}


async def _serve(request: Request, root: str, build: Callable[[], Awaitable[list[ox.Triple]]]) -> Response:
    media_type = negotiate(request.headers.get("accept"), CATALOG_OFFERS, request.query_params.get("format"))
    validators = conditional.validators(request, media_type)
    if (early := conditional.early(request, validators)) is not None:
        return early
    triples = await build()
    headers = {"Link": render.alternates(request, CATALOG_OFFERS, media_type)}
    if media_type == HTML:
        title, intro = PAGES[root]
        return await render.graph_html(
            request, triples, root, title, intro, CATALOG_OFFERS, validators, headers
        )
    if media_type == JSONLD:
        base = providers.settings(request).base_url.rstrip("/")
        return render.jsonld(
            document(base + CONTEXT_PATH, frame(triples, [ox.NamedNode(root)])), validators, headers
        )
    return render.rdf(triples, media_type, validators, headers)


@router.get(
    "/catalog", summary="DCAT-AP 3 catalogue: the dataset, its dumps, the SPARQL service and the LDES feed"
)
async def dcat_catalog(request: Request) -> Response:
    backend, settings = providers.backend(request), providers.settings(request)
    return await _serve(
        request, views.CATALOG, lambda: views.catalog(backend, settings.base_url, backend.last_modified)
    )


@router.get("/.well-known/void", summary="VoID description: sizes, partitions, examples, endpoint, dumps")
async def void_description(request: Request) -> Response:
    backend, settings = providers.backend(request), providers.settings(request)
    return await _serve(request, BASE + "void#dataset", lambda: views.void(backend, settings.base_url))
