"""``/dumps/iopgraph.{ttl,nt,jsonld,nq,trig}`` (gzip on ``Accept-Encoding`` or as ``.gz``) and ``/downloads``."""

from __future__ import annotations

import gzip

from fastapi import APIRouter, Request, Response

from iopgraph import render
from iopgraph.errors import ResourceNotFound
from iopgraph.views.dumps import DUMPS, dump_bytes
from iopgraph.views.jsonld import CONTEXT_PATH

router = APIRouter(tags=["downloads"])


def _accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() == "gzip" and params.replace(" ", "") not in ("q=0", "q=0.0"):
            return True
    return False


@router.get("/dumps/{name}", summary="The whole graph as one file (add .gz for a gzip file)")
async def dump(request: Request, name: str) -> Response:
    gz_file = name.endswith(".gz")
    found = DUMPS.get(name.removesuffix(".gz"))
    if found is None:
        raise ResourceNotFound(f"no dump called {name}; available: {', '.join(DUMPS)} (and each with .gz)")
    encode = not gz_file and _accepts_gzip(request)
    validators = render.validators(request, found.syntax.media_type + (";gzip" if encode else ""),
                                   vary="Accept-Encoding")
    if render.not_modified(request, validators):
        return render.not_modified_response(validators)
    state = request.app.state
    if not hasattr(state, "dump_cache"):
        state.dump_cache = {}
    body = await dump_bytes(state.backend, state.dump_cache, found,
                            state.settings.base_url.rstrip("/") + CONTEXT_PATH)
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if gz_file:
        return render.bytes_response(gzip.compress(body, mtime=0), "application/gzip", validators, headers)
    charset = "; charset=utf-8" if found.syntax.media_type.startswith("text/") else ""
    return render.bytes_response(body, found.syntax.media_type + charset, validators, headers, gzip_it=encode)


@router.get("/downloads", summary="Downloads page (HTML)")
async def downloads(request: Request) -> Response:
    validators = render.validators(request, render.HTML)
    if render.not_modified(request, validators):
        return render.not_modified_response(validators)
    return render.html(request, "downloads.html", {"title": "Downloads", "dumps": list(DUMPS.values())}, validators)
