"""``/sparql``: the SPARQL 1.1 Protocol endpoint (read-only), its Service Description and editor."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from iopgraph.http import providers, render
from iopgraph.http.sparql import handle_sparql
from iopgraph.query.errors import AssetNotFound, MethodNotAllowed
from iopgraph.sparql.service import SparqlService
from iopgraph.views.sparql_editor import ASSET_FILES, assets_dir

router = APIRouter(tags=["SPARQL"])

_QUERY_PARAMETERS = [
    {
        "name": "query",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "A SPARQL 1.1 query (SELECT, CONSTRUCT, DESCRIBE or ASK). Without it, GET returns the "
        "Service Description (RDF) or the editor (HTML).",
    },
    {
        "name": "default-graph-uri",
        "in": "query",
        "required": False,
        "schema": {"type": "array", "items": {"type": "string"}},
        "description": "Graphs of the store forming the default graph (replaces FROM). Default: union of all graphs.",
    },
    {
        "name": "named-graph-uri",
        "in": "query",
        "required": False,
        "schema": {"type": "array", "items": {"type": "string"}},
        "description": "Graphs of the store available to GRAPH (replaces FROM NAMED).",
    },
    {
        "name": "format",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "Result format overriding Accept: json, xml, csv, tsv (SELECT/ASK); ttl, nt, jsonld, rdf, "
        "nq, trig (CONSTRUCT/DESCRIBE); or a media type.",
    },
]


def _service(request: Request) -> SparqlService:
    service: SparqlService = providers.sparql(request)
    return service


@router.api_route(
    "/sparql",
    methods=["GET", "HEAD", "POST"],
    name="sparql_endpoint",
    summary="SPARQL 1.1 query endpoint",
    description="SPARQL 1.1 Protocol query operation: GET with `query`, POST form-encoded, or POST "
    "`application/sparql-query`. Read-only: updates, LOAD and non-allow-listed SERVICE are refused.",
    openapi_extra={"parameters": _QUERY_PARAMETERS},
)
async def sparql_endpoint(request: Request) -> Response:
    return await handle_sparql(request, _service(request))


@router.api_route("/sparql", methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
async def sparql_other_methods(request: Request) -> Response:
    raise MethodNotAllowed(
        f"{request.method} is not a SPARQL Protocol query operation; use GET or POST",
        "GET, HEAD, POST, OPTIONS",
    )


@router.get("/sparql/assets/{name}", include_in_schema=False)
async def sparql_asset(name: str, request: Request) -> Response:
    if name not in ASSET_FILES:
        raise AssetNotFound(f"no editor asset called {name}")
    path = assets_dir(_service(request).settings) / name
    if not path.exists():
        raise AssetNotFound(
            f"the editor asset {name} is not installed on this server; run `make web` (needs npm)"
        )
    return render.static_file(request, path, ASSET_FILES[name], "public, max-age=86400")
