"""The LDES feed: ``/ldes`` (the event stream, with its ``tree:view``), ``/ldes/fragment/{k}``, ``/ldes/version/{n}``.

Closed fragments are served with ``Cache-Control: public, max-age=31536000,
immutable``; the newest fragment is not, so clients poll it. Design notes:
docs/linked-data.md.
"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, Request, Response

from iopgraph.core.conneg import negotiate
from iopgraph.core.errors import ResourceNotFound
from iopgraph.core.media_types import HTML
from iopgraph.http import conditional, render
from iopgraph.views import ldes

router = APIRouter(tags=["LDES"])
OFFERS = [
    "text/turtle",
    "application/n-triples",
    "application/ld+json",
    "application/n-quads",
    "application/trig",
    HTML,
]
INTRO = (
    "The Linked Data Event Stream of the graph: every change is a member (a version of a resource); "
    "fragments link to the next ones. Harvest it with an LDES client; this page is its human view."
)


async def _rdf_or_page(
    request: Request,
    triples: list[ox.Triple],
    media_type: str,
    v: conditional.Validators,
    root: str,
    title: str,
) -> Response:
    if media_type == HTML:
        return await render.graph_html(request, triples, root, title, INTRO, OFFERS, v)
    return render.rdf(triples, media_type, v)


IMMUTABLE = "public, max-age=31536000, immutable"
LIVE = "public, max-age=10"


def ldes_log(app: FastAPI) -> ldes.EventLog:
    """The app's event log (opened on first use, beside the store)."""
    log = getattr(app.state, "ldes_log", None)
    if log is None:
        settings = app.state.settings
        path = settings.resolved_store_path
        log = ldes.EventLog(path.parent / f"{path.name}.ldes.jsonl", settings.ldes_page_size)
        app.state.ldes_log = log
    return log


async def _prepare(request: Request) -> tuple[str, ldes.EventLog, str]:
    media_type = negotiate(request.headers.get("accept"), OFFERS, request.query_params.get("format"))
    log = ldes_log(request.app)
    await ldes.sync(request.app.state.backend, log)
    return media_type, log, request.app.state.settings.base_url


@router.get("/ldes", summary="The Linked Data Event Stream of the graph (entry point, with tree:view)")
async def stream(request: Request) -> Response:
    media_type, log, base = await _prepare(request)
    v = conditional.validators(
        request, media_type, version=f"ldes-stream-{len(log.versions)}", cache_control=LIVE
    )
    if (early := conditional.early(request, v)) is not None:
        return early
    return await _rdf_or_page(
        request, ldes.stream_triples(base), media_type, v, ldes.stream_iri(base), "LDES feed"
    )


@router.get("/ldes/fragment/{index}", summary="One fragment (tree:Node) of the stream")
async def fragment(request: Request, index: int) -> Response:
    media_type, log, base = await _prepare(request)
    if not 0 <= index < ldes.fragment_count(log):
        raise ResourceNotFound(f"the stream has fragments 0 to {ldes.fragment_count(log) - 1}")
    closed = ldes.is_closed(log, index)
    key = f"ldes-fragment-{index}" + ("" if closed else f"-{len(log.versions)}")
    v = conditional.validators(request, media_type, version=key, cache_control=IMMUTABLE if closed else LIVE)
    if (early := conditional.early(request, v)) is not None:
        return early
    return await _rdf_or_page(
        request,
        ldes.fragment_triples(base, log, index),
        media_type,
        v,
        ldes.fragment_iri(base, index),
        f"LDES feed: fragment {index}",
    )


@router.get("/ldes/version/{seq}", summary="One member: a version of a resource")
async def version(request: Request, seq: int) -> Response:
    media_type, log, base = await _prepare(request)
    if not 0 <= seq < len(log.versions):
        raise ResourceNotFound(f"no version {seq} in the stream")
    v = conditional.validators(request, media_type, version=f"ldes-version-{seq}", cache_control=IMMUTABLE)
    if (early := conditional.early(request, v)) is not None:
        return early
    return await _rdf_or_page(
        request,
        ldes.member_triples(base, log.versions[seq]),
        media_type,
        v,
        ldes.member_iri(base, log.versions[seq]).value,
        f"LDES feed: version {seq}",
    )
