"""Operations endpoints: ``/readyz`` (readiness), ``/metrics`` (Prometheus) and ``/docs`` (Swagger UI,
served offline from the installed package); ``/healthz`` is in app.py."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from iopgraph.core.errors import ResourceNotFound
from iopgraph.http import providers, render
from iopgraph.http.problems import base_url_of, problem
from iopgraph.http.readiness import readiness

router = APIRouter(tags=["Operations"])

_NO_STORE = {"Cache-Control": "no-store"}


@router.get(
    "/readyz",
    summary="Readiness: the store is open, loaded and answering",
    description="200 when a query can be answered now; 503 (problem+json, code `not-ready`) while the store "
    "is being opened, the remote store is unreachable, or no query worker runs.",
    responses={
        200: {
            "description": "Ready",
            "content": {
                "application/json": {
                    "example": {
                        "status": "ready",
                        "checks": {"store": "open", "triples": True, "query": "ok", "query_workers": 2},
                    }
                }
            },
        },
        503: {"description": "Not ready", "content": {"application/problem+json": {}}},
    },
)
async def readyz(request: Request) -> Response:
    context = providers.running(request)
    report = await readiness(context.backend if context is not None else None)
    if not report.ready:
        return problem(
            503,
            f"not ready: {report.reason}",
            "not-ready",
            headers={**_NO_STORE, "Retry-After": "5"},
            base_url=base_url_of(request.scope),
            checks=report.checks,
        )
    return JSONResponse({"status": "ready", "checks": report.checks}, headers=_NO_STORE)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    return Response(
        providers.context(request).metrics.exposition(), media_type=CONTENT_TYPE_LATEST, headers=_NO_STORE
    )


# --- /docs: Swagger UI served from this service (the swagger-ui-py package's files), never a CDN -------------

#: Swagger UI's files served under /docs/assets/ (allow-list: nothing else of the package is reachable).
SWAGGER_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


def swagger_ui_dir() -> Path:
    """The folder of Swagger UI's built files inside the installed ``swagger-ui-py`` package."""
    import swagger_ui

    return Path(swagger_ui.__file__).parent / "static"


@router.get("/docs", include_in_schema=False)
async def api_docs(request: Request) -> Response:
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url or "/openapi.json",
        title="iopgraph API",
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon-32x32.png",
    )


@router.get("/docs/assets/{name}", include_in_schema=False)
async def api_docs_asset(name: str, request: Request) -> Response:
    if name not in SWAGGER_ASSETS:
        raise ResourceNotFound(f"no API docs asset called {name[:100]!r}")
    return render.static_file(request, swagger_ui_dir() / name, SWAGGER_ASSETS[name], "public, max-age=86400")
