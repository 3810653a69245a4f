"""``/guidance`` (HTML form and results) and ``/api/guidance?challenge=...`` (JSON-LD, Turtle)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from iopgraph.core.conneg import negotiate
from iopgraph.core.errors import InvalidParameter
from iopgraph.core.media_types import HTML, JSON, JSONLD, JSONLD_VIEW_OFFERS
from iopgraph.http import conditional, providers, render
from iopgraph.views import pages
from iopgraph.views.guidance import guidance, parse_challenges
from iopgraph.views.guidance_doc import guidance_document, guidance_triples
from iopgraph.views.jsonld import CONTEXT_PATH

router = APIRouter(tags=["guidance"])


@router.get(
    "/api/guidance", summary="Ranked mitigations, recommendations and use cases for chosen challenges"
)
async def guidance_api(request: Request) -> Response:
    """Repeat ``challenge`` (slug or IRI) for each challenge; members come best first."""
    params = request.query_params
    media_type = negotiate(request.headers.get("accept"), JSONLD_VIEW_OFFERS, params.get("format"))
    unknown = sorted({k for k in params if k not in ("challenge", "format")})
    if unknown:
        raise InvalidParameter(
            f"unknown parameter(s) {', '.join(unknown)}; use challenge=<slug> (repeatable)"
        )
    chosen = parse_challenges(params.getlist("challenge"))
    validators = conditional.validators(request, media_type)
    if (early := conditional.early(request, validators)) is not None:
        return early
    result = await guidance(providers.backend(request), chosen)
    base = providers.settings(request).base_url.rstrip("/")
    url = base + str(request.url.path) + ("?" + request.url.query if request.url.query else "")
    if media_type in (JSONLD, JSON):
        return render.jsonld(
            guidance_document(result, url, base + CONTEXT_PATH), validators, media_type=media_type
        )
    return render.rdf(guidance_triples(result, url), media_type, validators)


@router.get("/guidance", summary="Guidance page: pick challenges, get ranked mitigations (HTML)")
async def guidance_page(request: Request) -> Response:
    validators = conditional.validators(request, HTML)
    if (early := conditional.early(request, validators)) is not None:
        return early
    backend = providers.backend(request)
    context: dict[str, object] = {
        "title": "Guidance",
        "tree": await pages.challenge_tree(backend),
        "chosen": set(),
    }
    values = request.query_params.getlist("challenge")
    status = 200
    if values:
        try:
            chosen = parse_challenges(values)
            result = await guidance(backend, chosen)
        except InvalidParameter as exc:
            context["error"] = exc.message
            status = 400
        else:
            context.update(
                result=result,
                chosen={c.value for c in chosen},
                recommendations=result.ranked("recommendations"),
                cases=result.ranked("use_cases"),
            )
    return render.html(request, "guidance.html", context, validators, status_code=status)
