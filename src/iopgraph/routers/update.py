"""SPARQL 1.1 Update at ``/update`` (bearer token; SHACL-gated, atomic, recorded in PROV-O).

    POST /update?using-graph-uri=G   Content-Type: application/sparql-update   body = the update
    POST /update   Content-Type: application/x-www-form-urlencoded   update=...&using-named-graph-uri=G

204 on success, with ``Link: <activity>; rel="http://www.w3.org/ns/prov#has_provenance"``.
``using-graph-uri`` / ``using-named-graph-uri`` (query string, or form fields)
give the dataset of the WHERE clauses (SPARQL 1.1 Protocol §2.2.3); relative
IRIs resolve against ``<IOPGRAPH_BASE_URL>/update``. 400 for an update that does
not parse (line and column), that the service refuses (LOAD, SERVICE), that
gives the dataset twice (parameters and USING/USING NAMED/WITH), that is not
UTF-8 or that has no or several ``update`` fields; 403 for a write to a
protected graph; 413 over the size limit; 415 for another media type; 422 with
the SHACL report when it would introduce violations. What the default graph
means: :mod:`iopgraph.stewardship.sparql_update` and docs/conformance.md.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response

from iopgraph.core.errors import InputError, UnknownFormat
from iopgraph.core.media_types import FORM, SPARQL_UPDATE
from iopgraph.http import providers
from iopgraph.http.body import content_type, read_body
from iopgraph.routers.store_protocol import written
from iopgraph.stewardship.isolation import update_plan
from iopgraph.stewardship.sparql_update import UpdateOptions

router = APIRouter(tags=["sparql update"])

UPDATE_TYPE = SPARQL_UPDATE
FORM_TYPE = FORM
DATASET_PARAMETERS = ("using-graph-uri", "using-named-graph-uri")


def _iris(values: list[str], name: str) -> list[str]:
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError as exc:
            raise InputError(f"{name}={value!r} is not an absolute IRI: {exc}") from exc
    return values


async def update_request(request: Request, limit: int) -> tuple[str, dict[str, list[str]]]:
    """The update text and the dataset parameters of a request (SPARQL 1.1 Protocol §2.2)."""
    declared = content_type(request)
    media_type = declared.media_type
    if media_type not in (UPDATE_TYPE, FORM_TYPE):
        raise UnknownFormat(
            f"send the update as {UPDATE_TYPE} or as a form ({FORM_TYPE}) with update=…; "
            f"got {media_type or 'no Content-Type'}"
        )
    charset = declared.charset
    if charset not in (None, "utf-8", "utf8"):
        raise InputError(f"the update must be UTF-8 (SPARQL 1.1 Protocol §2.2); got charset={charset}")
    body = await read_body(request, limit)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"the update is not valid UTF-8 (byte {exc.start})") from exc
    query = parse_qs(request.url.query, keep_blank_values=True)
    params = {name: query.get(name, []) for name in DATASET_PARAMETERS}
    if media_type == UPDATE_TYPE:
        return text, params
    form = parse_qs(text, keep_blank_values=True)
    for name in DATASET_PARAMETERS:
        params[name] = params[name] + form.get(name, [])
    updates = form.get("update", [])
    if len(updates) != 1:
        raise InputError(f"the form needs exactly one update=… field; it has {len(updates)}")
    return updates[0], params


@router.post("/update", summary="Run a SPARQL 1.1 Update (bearer token; SHACL-gated, atomic)")
async def update(request: Request) -> Response:
    steward = providers.stewardship(request)
    agent = steward.tokens.authenticate(request.headers.get("authorization"))
    text, params = await update_request(request, steward.settings.max_upload_bytes)
    options = UpdateOptions(
        using_graphs=_iris(params["using-graph-uri"], "using-graph-uri"),
        using_named_graphs=_iris(params["using-named-graph-uri"], "using-named-graph-uri"),
        base_iri=steward.settings.base_url.rstrip("/") + "/update",
    )
    outcome = await steward.gate.write(update_plan(text, options), agent, client=request)
    return written(request, outcome, None)
