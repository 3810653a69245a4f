"""SPARQL 1.1 Update at ``/update`` (bearer token; SHACL-gated, atomic, recorded in PROV-O).

    POST /update   Content-Type: application/sparql-update      body = the update
    POST /update   Content-Type: application/x-www-form-urlencoded   update=...

204 on success, with ``Link: <activity>; rel="http://www.w3.org/ns/prov#has_provenance"``.
400 for an update that does not parse (line and column) or that the service
refuses (LOAD, SERVICE, USING), 413 over the size limit, 415 for another media
type, 422 with the SHACL report when it would introduce violations. The
default graph is the union of all graphs (see
:mod:`iopgraph.stewardship.sparql_update`).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Response

from iopgraph.errors import InputError, UnknownFormat
from iopgraph.routers.store_protocol import written
from iopgraph.stewardship.isolation import update_plan
from iopgraph.stewardship.service import stewardship
from iopgraph.stewardship.uploads import media_type_of, read_body

router = APIRouter(tags=["sparql update"])

UPDATE_TYPE = "application/sparql-update"
FORM_TYPE = "application/x-www-form-urlencoded"


async def update_text(request: Request, limit: int) -> str:
    media_type = media_type_of(request)
    if media_type not in (UPDATE_TYPE, FORM_TYPE):
        raise UnknownFormat(f"send the update as {UPDATE_TYPE} or as a form ({FORM_TYPE}) with update=…; "
                            f"got {media_type or 'no Content-Type'}")
    body = await read_body(request, limit)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"the update is not valid UTF-8 (byte {exc.start})") from exc
    if media_type == UPDATE_TYPE:
        return text
    form = parse_qs(text, keep_blank_values=True)
    if "using-graph-uri" in form or "using-named-graph-uri" in form:
        raise InputError("using-graph-uri / using-named-graph-uri are not supported; use GRAPH in the update")
    updates = form.get("update", [])
    if len(updates) != 1:
        raise InputError("the form needs exactly one update=… field")
    return updates[0]


@router.post("/update", summary="Run a SPARQL 1.1 Update (bearer token; SHACL-gated, atomic)")
async def update(request: Request) -> Response:
    steward = stewardship(request.app)
    agent = steward.tokens.authenticate(request.headers.get("authorization"))
    text = await update_text(request, steward.settings.max_upload_bytes)
    outcome = await steward.gate.write(update_plan(text), agent, client=request)
    return written(request, outcome, None)
