"""``/api/challenges``, ``/api/mitigations``, ``/api/initiatives``, ``/api/organisations``,
``/api/recommendations``, ``/api/statistics``: paged, filterable JSON-LD collections (Hydra)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response

from iopgraph.core.conneg import negotiate
from iopgraph.core.media_types import JSON, JSONLD, JSONLD_VIEW_OFFERS
from iopgraph.http import conditional, providers, render
from iopgraph.views.collections import COLLECTIONS, CollectionSpec, collection_page, paging, parse_filters
from iopgraph.views.hydra import PageLinks, collection_document, hydra_triples
from iopgraph.views.jsonld import CONTEXT_PATH, dumps

router = APIRouter(tags=["collections"])


def _handler(spec: CollectionSpec) -> Callable[[Request], Awaitable[Response]]:
    async def handler(request: Request) -> Response:
        params = request.query_params
        media_type = negotiate(request.headers.get("accept"), JSONLD_VIEW_OFFERS, params.get("format"))
        filters = parse_filters(spec, params.multi_items())
        page, limit = paging(params.get("page"), params.get("limit"))
        validators = conditional.validators(request, media_type)
        if (early := conditional.early(request, validators)) is not None:
            return early
        settings = providers.settings(request)
        result = await collection_page(
            providers.backend(request),
            spec,
            filters,
            page,
            limit,
            timeout=settings.query_timeout,
            client=request.client.host if request.client else "",
        )
        links = PageLinks(settings.base_url, request.url.path, params.multi_items(), result)
        headers = {"Link": links.link_header()}
        if media_type in (JSONLD, JSON):
            context_url = settings.base_url.rstrip("/") + CONTEXT_PATH
            if media_type == JSON:  # as render.jsonld: a JSON reader finds the context in a Link header
                headers["Link"] += (
                    f', <{context_url}>; rel="http://www.w3.org/ns/json-ld#context"; type="{JSONLD}"'
                )
            # the bytes render.jsonld writes (json.dumps, indent 1), by the views' faster writer
            body = dumps(collection_document(result, links, context_url))
            return render.bytes_response(body, media_type, validators, headers)
        return render.rdf([*result.triples, *hydra_triples(result, links)], media_type, validators, headers)

    handler.__name__ = f"collection_{spec.name}"
    return handler


for _spec in COLLECTIONS.values():
    filters = "; ".join(
        f"`{f.name}`" + (f" ({f.description})" if f.description else "") for f in _spec.filters
    )
    router.add_api_route(
        f"/api/{_spec.name}",
        _handler(_spec),
        methods=["GET"],
        summary=f"{_spec.title}: a paged Hydra collection in JSON-LD",
        description=f"Filters: {filters}. Values are slugs or IRIs; repeat a filter to require several values. "
        "Paging: `page` (from 1) and `limit` (1-200, default 50).",
    )
