"""SPARQL 1.1 Graph Store HTTP Protocol at ``/store``: reads are public, writes need the bearer token.

    GET|HEAD /store?graph=IRI   the graph (Turtle, JSON-LD, N-Triples, RDF/XML)
    GET|HEAD /store?default     the store's own default graph
    GET|HEAD /store             the whole dataset (TriG, N-Quads)
    PUT      /store?graph=IRI   replace the graph          201 Created (new) / 204
    POST     /store?graph=IRI   add triples to the graph   201 Created (new) / 204
    POST     /store             add quads (TriG, N-Quads) to their graphs  204
    DELETE   /store?graph=IRI   drop the graph             204 / 404

Every write is SHACL-gated, atomic and recorded in PROV-O (see
:mod:`iopgraph.stewardship.gate`); the response links its provenance record
(``Link: <activity>; rel="http://www.w3.org/ns/prov#has_provenance"``).
The shipped data lives in named graphs (one per source file); queries see their
union as the default graph, while ``?default`` here is the store's own default
graph (empty unless written to).
"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response

from iopgraph import render
from iopgraph.conneg import negotiate
from iopgraph.errors import GraphNotFound, InputError, UnknownFormat
from iopgraph.stewardship.changes import GraphName, graph_exists, graph_label
from iopgraph.stewardship.gate import WriteOutcome, read_source
from iopgraph.stewardship.isolation import drop_plan, graph_plan, screen_upload
from iopgraph.stewardship.service import stewardship
from iopgraph.stewardship.uploads import RdfUpload, read_rdf_upload

router = APIRouter(tags=["graph store"])

GRAPH_OFFERS = ["text/turtle", render.JSONLD, "application/n-triples", "application/rdf+xml"]
DATASET_OFFERS = ["application/trig", "application/n-quads"]
PROV_LINK = "http://www.w3.org/ns/prov#has_provenance"


def target(request: Request) -> GraphName | None:
    """The graph a request addresses (None: the whole dataset); 400 for both or a bad IRI."""
    params = request.query_params
    graph = params.get("graph")
    if graph is not None and "default" in params:
        raise InputError("use either ?graph=IRI or ?default, not both")
    if "default" in params:
        return ox.DefaultGraph()
    if graph is None:
        return None
    try:
        return ox.NamedNode(graph)
    except ValueError as exc:
        raise InputError(f"?graph={graph!r} is not an absolute IRI: {exc}") from exc


@router.api_route("/store", methods=["GET", "HEAD"], summary="Read a graph (or the dataset) of the store")
async def read(request: Request, format: str | None = None) -> Response:
    graph = target(request)
    offers = DATASET_OFFERS if graph is None else GRAPH_OFFERS
    media_type = negotiate(request.headers.get("accept"), offers, format)
    validators = render.validators(request, media_type)
    if render.not_modified(request, validators):
        return render.not_modified_response(validators)
    backend = request.app.state.backend
    if graph is None:
        return render.rdf(await backend.quads(), media_type, validators)
    source = await read_source(backend)
    if not graph_exists(source, graph):
        raise GraphNotFound(f"there is no graph <{graph_label(graph)}> in the store")
    quads = source.quads_for_pattern(None, None, None, graph)
    return render.rdf([ox.Triple(q.subject, q.predicate, q.object) for q in quads], media_type, validators)


def written(request: Request, outcome: WriteOutcome, graph: GraphName | None) -> Response:
    headers = {}
    if outcome.activity:
        headers["Link"] = f'<{outcome.activity}>; rel="{PROV_LINK}"'
    if outcome.change.created and isinstance(graph, ox.NamedNode):
        headers["Location"] = str(request.url.include_query_params(graph=graph.value))
        return Response(status_code=201, headers=headers)
    return Response(status_code=204, headers=headers)


async def _upload(request: Request, graph: GraphName | None) -> tuple[RdfUpload, str, bool]:
    """The upload, the base IRI it resolves against, and whether it must hold triples only (parsed in a worker)."""
    steward = stewardship(request.app)
    upload = await read_rdf_upload(request, steward.settings.max_upload_bytes)
    # JSON-LD may carry named graphs, so it is accepted in both modes; into one graph only without them.
    json_ld = upload.syntax.name == "json-ld"
    if graph is not None and upload.syntax.is_dataset and not json_ld:
        raise UnknownFormat(f"a graph takes triples, not {upload.syntax.media_type}; send Turtle, N-Triples, "
                            "JSON-LD or RDF/XML, or send quads to /store without ?graph")
    if graph is None and not upload.syntax.is_dataset:
        raise UnknownFormat(f"/store without ?graph takes quads (TriG, N-Quads), not {upload.syntax.media_type}; "
                            "add ?graph=IRI to write triples into one graph")
    base = graph.value if isinstance(graph, ox.NamedNode) else steward.settings.base_url.rstrip("/") + "/store"
    await screen_upload(upload, steward.limits)
    return upload, base, graph is not None


def _agent(request: Request) -> str:
    return stewardship(request.app).tokens.authenticate(request.headers.get("authorization"))


@router.put("/store", summary="Replace a graph (bearer token; SHACL-gated)")
async def put(request: Request) -> Response:
    agent = _agent(request)
    graph = target(request)
    if graph is None:
        raise InputError("PUT needs ?graph=IRI or ?default (replacing the whole dataset is `iopgraph restore`)")
    upload, base, triples = await _upload(request, graph)
    gate = stewardship(request.app).gate
    outcome = await gate.write(graph_plan("replace", graph, upload, base, triples), agent, client=request)
    return written(request, outcome, graph)


@router.post("/store", summary="Add triples to a graph, or quads to the dataset (bearer token; SHACL-gated)")
async def post(request: Request) -> Response:
    agent = _agent(request)
    graph = target(request)
    upload, base, triples = await _upload(request, graph)
    gate = stewardship(request.app).gate
    kind = "add" if graph is None else "merge"
    outcome = await gate.write(graph_plan(kind, graph, upload, base, triples), agent, client=request)
    return written(request, outcome, graph)


@router.delete("/store", summary="Drop a graph (bearer token; SHACL-gated)")
async def delete(request: Request) -> Response:
    agent = _agent(request)
    graph = target(request)
    if graph is None:
        raise InputError("DELETE needs ?graph=IRI or ?default")
    gate = stewardship(request.app).gate
    outcome = await gate.write(drop_plan(graph), agent, client=request)
    return written(request, outcome, graph)
