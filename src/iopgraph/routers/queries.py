"""``/api/queries``: every ``queries/*.rq`` as a typed, documented GET endpoint (grlc-style)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response

from iopgraph.core.media_types import STORE_GRAPH_OFFERS
from iopgraph.core.settings import Settings
from iopgraph.http import providers
from iopgraph.http.query_api import listing_response, openapi_parameters, run_named_query
from iopgraph.query.formats import RESULT_FORMATS
from iopgraph.sparql.named import NamedQuery, load_queries
from iopgraph.sparql.service import SparqlService


def _service(request: Request) -> SparqlService:
    service: SparqlService = providers.sparql(request)
    return service


def _handler(name: str) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        return await run_named_query(request, _service(request), name)

    return run


def _responses(query: NamedQuery) -> dict[int | str, dict[str, Any]]:
    if query.form in ("SELECT", "ASK"):
        content: dict[str, dict[str, Any]] = {m: {} for m in RESULT_FORMATS}
    else:
        content = {m: {} for m in STORE_GRAPH_OFFERS}
    return {
        200: {"description": f"{query.form} results", "content": content},
        400: {"description": "a parameter is missing or has the wrong type (`invalid-parameter`)"},
    }


def build_router(settings: Settings) -> APIRouter:
    """The named-query routes; one documented route per .rq present at start-up, plus a catch-all."""
    router = APIRouter(tags=["named queries"])

    @router.get("/api/queries", summary="List the named queries")
    async def list_queries(request: Request) -> Response:
        return listing_response(request, _service(request))

    for query in load_queries(settings.root / "queries").values():
        router.add_api_route(
            f"/api/queries/{query.name}",
            _handler(query.name),
            methods=["GET"],
            summary=query.summary,
            description=query.description,
            name=f"query_{query.name}",
            tags=["named queries", *query.tags],
            openapi_extra={"parameters": openapi_parameters(query)},
            responses=_responses(query),
            response_class=Response,
        )

    @router.get("/api/queries/{name}", include_in_schema=False)
    async def any_query(name: str, request: Request) -> Response:
        # Queries added after start-up (and unknown names: 404) land here.
        return await run_named_query(request, _service(request), name)

    return router
