"""``/dumps/iopgraph.{ttl,nt,jsonld,nq,trig}`` (gzip on ``Accept-Encoding`` or as ``.gz``) and ``/downloads``."""

from __future__ import annotations

import gzip
import re

from fastapi import APIRouter, Request, Response

from iopgraph.core.errors import ResourceNotFound
from iopgraph.core.media_types import GZIP, HTML, RELEASE_FILE_TYPES, text_content_type
from iopgraph.http import conditional, providers, render
from iopgraph.views.dumps import DUMPS, dump_bytes

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
    validators = conditional.validators(
        request, found.syntax.media_type + (";gzip" if encode else ""), vary="Accept-Encoding"
    )
    if (early := conditional.early(request, validators)) is not None:
        return early
    context = providers.context(request)
    body = await dump_bytes(context.backend, context.dumps, found, context.settings.base_url)
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if gz_file:
        return render.bytes_response(gzip.compress(body, mtime=0), GZIP, validators, headers)
    media_type = text_content_type(found.syntax.media_type)
    return render.bytes_response(body, media_type, validators, headers, gzip_it=encode)


_RELEASE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$")
_IMMUTABLE = "public, max-age=31536000, immutable"


@router.get("/releases/{version}/{name}", summary="A file of a versioned release (dumps, changelog)")
async def release_file(request: Request, version: str, name: str) -> Response:
    """Release files never change once written (`iopgraph release` refuses to overwrite a version)."""
    if not (_RELEASE_PART.match(version) and _RELEASE_PART.match(name)) or ".." in version + name:
        raise ResourceNotFound(f"no release file {version}/{name}")
    folder = providers.settings(request).resolved_build_dir / "releases"
    path = folder / version / name
    media = next((text_content_type(m) for end, m in RELEASE_FILE_TYPES.items() if name.endswith(end)), None)
    if media is None or not path.is_file() or path.resolve().parent != (folder / version).resolve():
        raise ResourceNotFound(f"no release file {version}/{name}; see /catalog for the releases")
    validators = conditional.validators(
        request, media, version=f"release-{version}-{name}", vary=None, cache_control=_IMMUTABLE
    )
    if (early := conditional.early(request, validators)) is not None:
        return early
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return render.bytes_response(path.read_bytes(), media, validators, headers)


@router.get("/downloads", summary="Downloads page (HTML)")
async def downloads(request: Request) -> Response:
    validators = conditional.validators(request, HTML)
    if (early := conditional.early(request, validators)) is not None:
        return early
    return render.html(
        request, "downloads.html", {"title": "Downloads", "dumps": list(DUMPS.values())}, validators
    )
