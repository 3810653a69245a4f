"""The LDES feed: ``/ldes`` (the event stream, with its ``tree:view``), ``/ldes/fragment/{k}``, ``/ldes/version/{n}``.

Closed fragments are served with ``Cache-Control: public, max-age=31536000,
immutable``; the newest fragment is not, so clients poll it. Design notes:
docs/linked-data.md.
"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response

from iopgraph.core.conneg import negotiate
from iopgraph.core.errors import ResourceNotFound
from iopgraph.core.media_types import HTML, LDES_OFFERS
from iopgraph.http import conditional, providers, render
from iopgraph.http.providers import BackendDep, EventLogDep, SettingsDep
from iopgraph.store.backend import Backend
from iopgraph.views import ldes
from iopgraph.views.serialize import context_url

router = APIRouter(tags=["LDES"])
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
        return await render.graph_html(request, triples, root, title, INTRO, LDES_OFFERS, v)
    return render.rdf(triples, media_type, v, context_url=context_url(providers.settings(request).base_url))


IMMUTABLE = "public, max-age=31536000, immutable"
LIVE = "public, max-age=10"


async def _prepare(request: Request, log: ldes.EventLog, backend: Backend) -> str:
    """The negotiated media type, once the log has caught up with the store."""
    media_type = negotiate(request.headers.get("accept"), LDES_OFFERS, request.query_params.get("format"))
    await ldes.sync(backend, log)
    return media_type


@router.get("/ldes", summary="The Linked Data Event Stream of the graph (entry point, with tree:view)")
async def stream(request: Request, log: EventLogDep, backend: BackendDep, settings: SettingsDep) -> Response:
    media_type, base = await _prepare(request, log, backend), settings.base_url
    v = conditional.validators(
        request, media_type, version=f"ldes-stream-{len(log.versions)}", cache_control=LIVE
    )
    if (early := conditional.early(request, v)) is not None:
        return early
    return await _rdf_or_page(
        request, ldes.stream_triples(base), media_type, v, ldes.stream_iri(base), "LDES feed"
    )


@router.get("/ldes/fragment/{index}", summary="One fragment (tree:Node) of the stream")
async def fragment(
    request: Request, index: int, log: EventLogDep, backend: BackendDep, settings: SettingsDep
) -> Response:
    media_type, base = await _prepare(request, log, backend), settings.base_url
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
async def version(
    request: Request, seq: int, log: EventLogDep, backend: BackendDep, settings: SettingsDep
) -> Response:
    media_type, base = await _prepare(request, log, backend), settings.base_url
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
