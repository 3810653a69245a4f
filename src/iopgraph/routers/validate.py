"""The validation service: ``POST /api/validate`` and the upload page ``GET /validate``.

Anyone may validate; nothing is stored. The body is RDF with its media type
(Turtle, N-Triples, JSON-LD, RDF/XML, N-Quads, TriG) or a form with a ``file``
(or pasted ``text`` and a ``syntax``). ``?current=true`` validates the upload
together with the current graph, as a dry run of adding it (links to stored
resources resolve; only the results the upload would introduce are reported).

The report is negotiated: JSON summary (default), the SHACL validation report
as Turtle / JSON-LD / N-Triples, or an HTML page. 200 whatever the verdict
(``conforms`` says it); 400 unparseable (line and column) or nested too
deeply, 413 too large (bytes or triples), 415 not RDF, 406 for an unknown
Accept, 503 when validation runs past IOPGRAPH_VALIDATION_TIMEOUT. Parsing and
validation run in an isolated worker; an input that crashes it gets 400.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from rdflib.namespace import RDF, SH, XSD

from iopgraph.core.conneg import negotiate
from iopgraph.core.errors import IopgraphError
from iopgraph.core.media_types import HTML, JSON, JSONLD, RDF_SYNTAXES, REPORT_OFFERS
from iopgraph.core.rdfio import from_rdflib
from iopgraph.http import providers, render
from iopgraph.http.uploads import read_rdf_upload
from iopgraph.stewardship.uploads import RdfUpload
from iopgraph.validation import ValidationReport

router = APIRouter(tags=["validation"])

TRUE = ("1", "true", "on", "yes")


def _page(request: Request, status_code: int = 200, **context: Any) -> Response:
    page = {"title": "Validate RDF", "syntaxes": RDF_SYNTAXES, **context}
    return render.html(
        request, "validate.html", page, headers={"Cache-Control": "no-store"}, status_code=status_code
    )


@router.get("/validate", summary="An upload form to validate RDF against the project's shapes")
async def validate_page(request: Request) -> Response:
    return _page(request)


def form_state(upload: RdfUpload | None) -> dict[str, Any]:
    """What the form showed at submit time, to show it again (a file input cannot be refilled: its name is shown)."""
    if upload is None:
        return {}
    fields = upload.fields
    pasted = upload.source == "pasted text"
    return {
        "text": fields.get("text", "") if pasted else "",
        "syntax": fields.get("syntax", ""),
        "current": fields.get("current", "").lower() in TRUE,
        "file": None if pasted or upload.source == "request body" else upload.source,
    }


def report_response(
    request: Request,
    report: ValidationReport,
    media_type: str,
    meta: dict[str, Any],
    form: dict[str, Any] | None = None,
) -> Response:
    headers = {"Vary": "Accept", "Cache-Control": "no-store"}
    if media_type == JSON:
        return render.jsonld({**report.to_json(), **meta}, headers=headers, media_type=JSON)
    if media_type == HTML:
        return _page(request, report=report, meta=meta, form=form or {})
    if media_type == JSONLD:
        # rdflib writes rdf:type as @type and compacts with the report's prefixes.
        context = {"sh": str(SH), "xsd": str(XSD), "rdf": str(RDF)}
        body = report.report_graph.serialize(format="json-ld", context=context, auto_compact=True)
        return render.bytes_response(body.encode(), JSONLD, headers=headers)
    # rdflib types every position as Node; a graph's subjects are never literals, predicates IRIs.
    triples = [
        ox.Triple(from_rdflib(s), from_rdflib(p), from_rdflib(o))  # type: ignore[arg-type]
        for s, p, o in report.report_graph
    ]
    return render.rdf(triples, media_type, headers=headers)


@router.post("/api/validate", summary="Validate RDF against the project's SHACL shapes (nothing is stored)")
async def validate_api(request: Request, current: bool = False, format: str | None = None) -> Response:
    media_type = negotiate(request.headers.get("accept"), REPORT_OFFERS, format)
    steward = providers.stewardship(request)
    upload: RdfUpload | None = None
    try:
        upload = await read_rdf_upload(request, steward.settings.max_upload_bytes)
        with_current = current or upload.fields.get("current", "").lower() in TRUE
        # Parsed and validated in an isolated worker (time limit IOPGRAPH_VALIDATION_TIMEOUT).
        report, mode, triples = await steward.validate_upload(upload, with_current, request.is_disconnected)
    except IopgraphError as exc:
        if media_type != HTML:
            raise
        # The upload page shows the problem beside the form rather than as JSON.
        return _page(request, error=exc.message, status_code=exc.status, form=form_state(upload))
    meta = {"syntax": upload.syntax.media_type, "source": upload.source, "triples": triples, "mode": mode}
    return report_response(request, report, media_type, meta, form_state(upload))
