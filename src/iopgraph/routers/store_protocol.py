"""SPARQL 1.1 Graph Store HTTP Protocol: reads are public, writes need the bearer token.

Indirect identification (``/store?graph=IRI``, ``/store?default``) and direct
identification (the request URL names the graph):

    GET|HEAD /store?graph=IRI        the graph (Turtle, JSON-LD, N-Triples, RDF/XML)      200 / 404
    GET|HEAD /store?default          the store's own default graph
    GET|HEAD /store                  the whole dataset (TriG, N-Quads)
    PUT      /store?graph=IRI        replace the graph                  201 Created (new) / 204
    POST     /store?graph=IRI        merge RDF into the graph (also multipart/form-data: every part)  201 / 204
    DELETE   /store?graph=IRI        drop the graph                     204 / 404
    POST     /store                  a triples document (or multipart): a NEW graph, 201 + Location;
                                     TriG / N-Quads (or JSON-LD with named graphs): quads into their graphs, 204
    …        <base>/store/<path>     direct identification of the graph IRI <IOPGRAPH_BASE_URL>/store/<path>
    …        <base>/graph/<path>     direct identification of https://w3id.org/iopgraph/graph/<path>, where that
                                     IRI dereferences (GET stays the content-negotiated page of routers/resources.py)

New graphs made by ``POST /store`` are ``https://w3id.org/iopgraph/graph/contrib/<uuid>``.
Every write is SHACL-gated, atomic and recorded in PROV-O (see
:mod:`iopgraph.stewardship.gate`); the response links its provenance record
(``Link: <activity>; rel="http://www.w3.org/ns/prov#has_provenance"``). The
file-backed graphs and the service's own graphs are protected (403, see
:mod:`iopgraph.stewardship.changes`). The shipped data lives in named graphs
(one per source file); queries see their union as the default graph, while
``?default`` here is the store's own default graph (empty unless written to).
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import anyio.to_thread
import pyoxigraph as ox
from fastapi import APIRouter, Request, Response

from iopgraph.core.conneg import negotiate
from iopgraph.core.errors import GraphNotFound, InputError, UnknownFormat
from iopgraph.core.media_types import MULTIPART, STORE_DATASET_OFFERS, STORE_GRAPH_OFFERS
from iopgraph.core.namespaces import contrib_graph
from iopgraph.http import conditional, providers, render
from iopgraph.http.body import content_type
from iopgraph.http.uploads import read_rdf_parts, read_rdf_upload
from iopgraph.routers import resources
from iopgraph.routers.resources import resource_iri
from iopgraph.stewardship.changes import GraphName, graph_label
from iopgraph.stewardship.gate import WriteOutcome
from iopgraph.stewardship.isolation import drop_plan, graph_plan, screen_upload
from iopgraph.stewardship.uploads import RdfUpload
from iopgraph.views.serialize import context_url

router = APIRouter(tags=["graph store"])

PROV_LINK = "http://www.w3.org/ns/prov#has_provenance"


def _base(request: Request) -> str:
    return str(providers.settings(request).base_url).rstrip("/")


def target(request: Request) -> GraphName | None:
    """The graph a /store request addresses (None: the whole dataset); 400 for both or a bad IRI."""
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


def direct_target(request: Request, path: str, w3id: bool) -> ox.NamedNode:
    """The graph a direct-identification URL names (its own IRI, or the w3id IRI it dereferences)."""
    if "graph" in request.query_params or "default" in request.query_params:
        raise InputError(
            "this URL names its graph itself (direct identification): drop ?graph / ?default, "
            "or send them to /store"
        )
    if not path.strip("/"):
        raise InputError("this URL names no graph: use /store?graph=IRI, /store/<path> or /graph/<path>")
    if w3id:
        return resource_iri("graph/" + path)
    try:
        return ox.NamedNode(f"{_base(request)}/store/{quote(path, safe='/:@!$&()*+,;=~-._')}")
    except ValueError:
        raise GraphNotFound(f"no graph: the path {path[:200]!r} cannot be part of an IRI") from None


# -- reads ------------------------------------------------------------------------------------------------


async def _read_graph(request: Request, graph: GraphName, format: str | None) -> Response:
    media_type = negotiate(request.headers.get("accept"), STORE_GRAPH_OFFERS, format)
    validators = conditional.validators(request, media_type)
    if (early := conditional.early(request, validators)) is not None:
        return early
    quads = await providers.backend(request).quads(graph.value if isinstance(graph, ox.NamedNode) else "")
    if not quads and isinstance(graph, ox.NamedNode):  # a named graph exists while it holds quads
        raise GraphNotFound(f"there is no graph <{graph_label(graph)}> in the store")
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    context = context_url(_base(request))

    def serialise() -> Response:  # off the event loop: a graph may be large
        return render.rdf(triples, media_type, validators, context_url=context)

    return await anyio.to_thread.run_sync(serialise)


@router.api_route("/store", methods=["GET", "HEAD"], summary="Read a graph (or the dataset) of the store")
async def read(request: Request, format: str | None = None) -> Response:
    graph = target(request)
    if graph is not None:
        return await _read_graph(request, graph, format)
    media_type = negotiate(request.headers.get("accept"), STORE_DATASET_OFFERS, format)
    validators = conditional.validators(request, media_type)
    if (early := conditional.early(request, validators)) is not None:
        return early
    quads = await providers.backend(request).quads()
    context = context_url(_base(request))

    def serialise() -> Response:  # off the event loop: the dataset may be large
        return render.rdf(quads, media_type, validators, context_url=context)

    return await anyio.to_thread.run_sync(serialise)


@router.api_route(
    "/store/{path:path}",
    methods=["GET", "HEAD"],
    summary="Read the graph <IOPGRAPH_BASE_URL>/store/<path> (direct identification)",
)
async def read_direct(request: Request, path: str, format: str | None = None) -> Response:
    return await _read_graph(request, direct_target(request, path, w3id=False), format)


@router.head("/graph/{path:path}", summary="Headers of a named graph (direct identification)")
async def head_w3id(request: Request, path: str, format: str | None = None) -> Response:
    """What GET answers there (routers/resources.py: content-negotiated, HTML included), without the body."""
    return await resources.named_graph(request, path, format)


# -- writes -----------------------------------------------------------------------------------------------


def written(
    request: Request, outcome: WriteOutcome, graph: GraphName | None, location: str | None = None
) -> Response:
    """204, or 201 with ``Location`` when the write created ``graph``; the provenance record in ``Link``."""
    headers = {}
    if outcome.activity:
        headers["Link"] = f'<{outcome.activity}>; rel="{PROV_LINK}"'
    if outcome.change.created and isinstance(graph, ox.NamedNode):
        headers["Location"] = location or f"{_base(request)}/store?graph={quote(graph.value, safe='')}"
        return Response(status_code=201, headers=headers)
    return Response(status_code=204, headers=headers)


async def _uploads(request: Request) -> list[RdfUpload]:
    limit = providers.stewardship(request).settings.max_upload_bytes
    if content_type(request).media_type == MULTIPART:
        return await read_rdf_parts(request, limit)
    return [await read_rdf_upload(request, limit)]


async def _graph_uploads(request: Request, uploads: list[RdfUpload], graph: GraphName) -> str:
    """Check ``uploads`` can go into one graph (415 for dataset syntaxes), screen them; the base IRI they resolve
    against (the graph's IRI, ``<base>/store`` for the default graph). They are parsed in an isolated worker,
    which also refuses JSON-LD with named graphs (400)."""
    for upload in uploads:
        # JSON-LD may carry named graphs, so it is accepted when it holds none.
        if upload.syntax.is_dataset and upload.syntax.name != "json-ld":
            raise UnknownFormat(
                f"a graph takes triples, not {upload.syntax.media_type}; send Turtle, N-Triples, "
                "JSON-LD or RDF/XML, or send quads to /store without ?graph"
            )
        await screen_upload(upload, providers.stewardship(request).limits)
    return graph.value if isinstance(graph, ox.NamedNode) else _base(request) + "/store"


def _agent(request: Request) -> str:
    return providers.stewardship(request).tokens.authenticate(request.headers.get("authorization"))


async def _put(request: Request, graph: GraphName, location: str | None = None) -> Response:
    agent = _agent(request)
    if content_type(request).media_type == MULTIPART:
        raise UnknownFormat("PUT takes one RDF document; multipart/form-data is for POST (merging its parts)")
    uploads = await _uploads(request)
    base = await _graph_uploads(request, uploads, graph)
    plan = graph_plan("replace", graph, uploads, base, triples_only=True)
    outcome = await providers.stewardship(request).gate.write(plan, agent, client=request)
    return written(request, outcome, graph, location)


async def _post(request: Request, graph: GraphName, location: str | None = None) -> Response:
    agent = _agent(request)
    uploads = await _uploads(request)
    base = await _graph_uploads(request, uploads, graph)
    plan = graph_plan("merge", graph, uploads, base, triples_only=True)
    outcome = await providers.stewardship(request).gate.write(plan, agent, client=request)
    return written(request, outcome, graph, location)


async def _delete(request: Request, graph: GraphName) -> Response:
    agent = _agent(request)
    outcome = await providers.stewardship(request).gate.write(drop_plan(graph), agent, client=request)
    return written(request, outcome, graph)


@router.put("/store", summary="Replace a graph (bearer token; SHACL-gated)")
async def put(request: Request) -> Response:
    graph = target(request)
    if graph is None:
        raise InputError(
            "PUT needs ?graph=IRI or ?default (replacing the whole dataset is `iopgraph restore`)"
        )
    return await _put(request, graph)


@router.post(
    "/store", summary="Merge into a graph, create a graph, or add quads to the dataset (bearer token)"
)
async def post(request: Request) -> Response:
    graph = target(request)
    if graph is not None:
        return await _post(request, graph)
    agent = _agent(request)
    uploads = await _uploads(request)
    gate = providers.stewardship(request).gate
    base = _base(request) + "/store"
    if len(uploads) == 1 and uploads[0].syntax.is_dataset and uploads[0].syntax.name != "json-ld":
        await screen_upload(uploads[0], providers.stewardship(request).limits)
        outcome = await gate.write(graph_plan("add", None, uploads[0], base), agent, client=request)
        return written(request, outcome, None)
    new = ox.NamedNode(contrib_graph(str(uuid.uuid4())))
    await _graph_uploads(request, uploads, new)
    # A JSON-LD document with named graphs loads as a dataset; any other document becomes a new graph.
    kind = "dataset-or-new" if len(uploads) == 1 and uploads[0].syntax.name == "json-ld" else "create"
    plan = graph_plan(kind, new, uploads, base, triples_only=kind == "create")
    outcome = await gate.write(plan, agent, client=request)
    if outcome.change.operation == "add to dataset":
        return written(request, outcome, None)
    return written(request, outcome, new, new.value)


@router.delete("/store", summary="Drop a graph (bearer token; SHACL-gated)")
async def delete(request: Request) -> Response:
    graph = target(request)
    if graph is None:
        raise InputError("DELETE needs ?graph=IRI or ?default")
    return await _delete(request, graph)


@router.put(
    "/store/{path:path}", summary="Replace the graph <IOPGRAPH_BASE_URL>/store/<path> (direct identification)"
)
async def put_direct(request: Request, path: str) -> Response:
    graph = direct_target(request, path, w3id=False)
    return await _put(request, graph, graph.value)


@router.post("/store/{path:path}", summary="Merge into the graph <IOPGRAPH_BASE_URL>/store/<path> (direct)")
async def post_direct(request: Request, path: str) -> Response:
    graph = direct_target(request, path, w3id=False)
    return await _post(request, graph, graph.value)


@router.delete("/store/{path:path}", summary="Drop the graph <IOPGRAPH_BASE_URL>/store/<path> (direct)")
async def delete_direct(request: Request, path: str) -> Response:
    return await _delete(request, direct_target(request, path, w3id=False))


@router.put("/graph/{path:path}", summary="Replace the graph https://w3id.org/iopgraph/graph/<path> (direct)")
async def put_w3id(request: Request, path: str) -> Response:
    graph = direct_target(request, path, w3id=True)
    return await _put(request, graph, f"{_base(request)}/graph/{path}")


@router.post(
    "/graph/{path:path}", summary="Merge into the graph https://w3id.org/iopgraph/graph/<path> (direct)"
)
async def post_w3id(request: Request, path: str) -> Response:
    graph = direct_target(request, path, w3id=True)
    return await _post(request, graph, f"{_base(request)}/graph/{path}")


@router.delete("/graph/{path:path}", summary="Drop the graph https://w3id.org/iopgraph/graph/<path> (direct)")
async def delete_w3id(request: Request, path: str) -> Response:
    return await _delete(request, direct_target(request, path, w3id=True))
