"""Operations endpoints: ``/readyz`` (readiness) and ``/metrics`` (Prometheus); ``/healthz`` is in app.py."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from iopgraph.problems import problem
from iopgraph.readiness import readiness

router = APIRouter(tags=["Operations"])

_NO_STORE = {"Cache-Control": "no-store"}


@router.get(
    "/readyz",
    summary="Readiness: the store is open, loaded and answering",
    description="200 when a query can be answered now; 503 (problem+json, code `not-ready`) while the store "
                "is being opened, the remote store is unreachable, or no query worker runs.",
    responses={200: {"description": "Ready", "content": {"application/json": {"example": {
        "status": "ready", "checks": {"store": "open", "triples": True, "query": "ok", "query_workers": 2}}}}},
        503: {"description": "Not ready", "content": {"application/problem+json": {}}}},
)
async def readyz(request: Request) -> Response:
    report = await readiness(request.app.state)
    if not report.ready:
        return problem(503, f"not ready: {report.reason}", "not-ready", headers={**_NO_STORE, "Retry-After": "5"},
                       checks=report.checks)
    return JSONResponse({"status": "ready", "checks": report.checks}, headers=_NO_STORE)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST, headers=_NO_STORE)
