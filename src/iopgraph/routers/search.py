"""``/search`` (HTML), ``/api/search`` (JSON-LD, Hydra-paged), ``/api/search/suggest`` and the header's script."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import APIRouter, Request, Response

from iopgraph.core.conneg import negotiate
from iopgraph.core.errors import InvalidParameter
from iopgraph.core.media_types import HTML, JSON, JSONLD, JSONLD_OFFERS
from iopgraph.http import conditional, providers, render
from iopgraph.search.service import SearchService
from iopgraph.search.views import (
    MAX_LIMIT,
    SUGGEST_LIMIT,
    SearchParams,
    page_model,
    search_document,
    suggestions_document,
)
from iopgraph.views.jsonld import CONTEXT_PATH

router = APIRouter(tags=["search"])
SCRIPT = Path(__file__).resolve().parents[1] / "static" / "search.js"
FACET_DOC = (
    "Facet filters (repeat one for OR, combine several for AND): `type` (e.g. `Mitigation`), "
    "`family` (e.g. `cultural-interoperability`), `use-case`, `evidence-basis`, `chapter` (e.g. `4`)."
)


def _search(request: Request) -> SearchService:
    return providers.search(request)


def _validators(request: Request, media_type: str) -> conditional.Validators:
    version = f"{providers.backend(request).version}:{_search(request).generation}"
    return conditional.validators(request, media_type, version=version)


@router.get("/search", summary="Full-text search (HTML)", description=FACET_DOC)
async def search_page(request: Request) -> Response:
    validators = _validators(request, HTML)
    if (early := conditional.early(request, validators)) is not None:
        return early
    raw = request.query_params.get("q", "")
    try:
        params = SearchParams.from_query(request.query_params.multi_items())
    except InvalidParameter as exc:
        context = {
            "title": "Search",
            "q": " ".join(raw.split())[:200],
            "error": exc.message,
            "searched": False,
        }
        return render.html(request, "search.html", context, validators, status_code=400)
    search = _search(request)
    result = await search.search(params.query, params.filters, params.offset, params.limit)
    browsing = not params.text and bool(params.filters)
    model = page_model(result, params, await search.initials(params.filters) if browsing else None)
    title = f"Search: {params.text}" if params.text else "Search"
    return render.html(
        request,
        "search.html",
        {"title": title, **model, "alternates": [{"type": JSONLD, "href": model["api"]}]},
        validators,
    )


@router.get(
    "/api/search",
    summary="Full-text search: a Hydra-paged JSON-LD collection with facet counts",
    description='`q`: words (all must match), "quoted phrases", `word*` for a prefix; at most 200 '
    f"characters. Paging: `page` (from 1) and `limit` (1-{MAX_LIMIT}, default 20). {FACET_DOC}",
)
async def search_api(request: Request) -> Response:
    media_type = negotiate(request.headers.get("accept"), JSONLD_OFFERS, request.query_params.get("format"))
    params = SearchParams.from_query(request.query_params.multi_items())
    validators = _validators(request, media_type)
    if (early := conditional.early(request, validators)) is not None:
        return early
    result = await _search(request).search(params.query, params.filters, params.offset, params.limit)
    settings = providers.settings(request)
    doc = search_document(
        result, params, settings.base_url, "/api/search", settings.base_url.rstrip("/") + CONTEXT_PATH
    )
    links = ", ".join(
        f'<{doc["view"][rel]}>; rel="{name}"'
        for rel, name in (("first", "first"), ("previous", "prev"), ("next", "next"), ("last", "last"))
        if rel in doc["view"]
    )
    return render.jsonld(doc, validators, {"Link": links}, media_type=media_type)


@router.get(
    "/api/search/suggest",
    summary="Autocomplete: resources whose label has a word starting with `q`",
    description=f"`q`: the text typed so far (its last word is a prefix); `limit` 1-{MAX_LIMIT} "
    f"(default {SUGGEST_LIMIT}). JSON: `{{query, suggestions: [{{@id, label, kind, href}}]}}`.",
)
async def suggest_api(request: Request) -> Response:
    items = [(k, v) for k, v in request.query_params.multi_items() if k in ("q", "limit")]
    unknown = sorted({k for k, _ in request.query_params.multi_items()} - {"q", "limit"})
    if unknown:
        raise InvalidParameter(f"unknown parameter {unknown[0]!r}; allowed: q, limit")
    params = SearchParams.from_query(items, prefix_last=True, default_limit=SUGGEST_LIMIT)
    validators = _validators(request, JSON)
    if (early := conditional.early(request, validators)) is not None:
        return early
    found = await _search(request).suggest(params.query, params.limit)
    return render.jsonld(suggestions_document(found, params.text), validators, media_type=JSON)


@router.get("/static/search.js", include_in_schema=False)
async def script(request: Request) -> Response:
    text = SCRIPT.read_bytes()
    validators = conditional.validators(
        request,
        "text/javascript",
        version=hashlib.sha256(text).hexdigest(),
        vary=None,
        cache_control="public, max-age=3600",
    )
    if (early := conditional.early(request, validators)) is not None:
        return early
    return render.bytes_response(text, "text/javascript; charset=utf-8", validators)
