"""The named-query API: ``GET /api/queries`` and ``GET /api/queries/{name}``.

Runs a ``queries/<name>.rq`` with its parameters bound as RDF terms through the
same :class:`SparqlService` as ``/sparql`` (same limits, cache and ETags), and
pages SELECT results with ``page``/``per_page`` and ``Link`` headers.

    response = await run_named_query(request, service, "mitigations-for-challenge")
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response

from iopgraph.core.conneg import negotiate
from iopgraph.core.media_types import SPARQL_QUERY
from iopgraph.http import conditional, providers
from iopgraph.http.sparql import client_of, query_validators, result_headers
from iopgraph.query.errors import BadQueryParameter, QueryNotFound
from iopgraph.query.formats import offers_for
from iopgraph.query.lexer import append_page
from iopgraph.sparql.named import NAME_PATTERN, NamedQuery, Parameter, load_queries, load_query
from iopgraph.sparql.protocol import ProtocolRequest
from iopgraph.sparql.service import SparqlService
from iopgraph.views.links import service_url

DEFAULT_PAGE_SIZE = 100
#: Query-string names the API itself uses; a .rq parameter cannot take them.
RESERVED = ("page", "per_page", "format")

_OPENAPI_TYPES: dict[str, dict[str, str]] = {
    "iri": {"type": "string", "format": "iri"},
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "boolean": {"type": "boolean"},
    "year": {"type": "string", "pattern": "^-?[0-9]{4,}$"},
    "date": {"type": "string", "format": "date"},
}


def queries_folder(service: SparqlService) -> Path:
    return service.settings.root / "queries"


def find_query(service: SparqlService, name: str) -> NamedQuery:
    path = queries_folder(service) / f"{name}.rq"
    if not NAME_PATTERN.match(name) or not path.is_file():
        raise QueryNotFound(f"there is no named query '{name}'; GET /api/queries lists them")
    return load_query(path)


def describe_parameter(param: Parameter) -> dict[str, Any]:
    return {
        "name": param.name,
        "type": param.type,
        "required": param.required,
        "description": param.description,
        "example": param.example,
        "default": param.default,
    }


def describe_query(query: NamedQuery, base: str) -> dict[str, Any]:
    return {
        "name": query.name,
        "summary": query.summary,
        "description": query.description,
        "tags": list(query.tags),
        "form": query.form,
        "parameters": [describe_parameter(p) for p in query.parameters],
        "paginated": query.form == "SELECT" and append_page(query.text, 1, 0) is not None,
        "href": f"{base}/api/queries/{query.name}",
        "sparql": f"{base}/api/queries/{query.name}?format=sparql",
    }


def listing(service: SparqlService) -> dict[str, Any]:
    base = service.settings.base_url.rstrip("/")
    return {"queries": [describe_query(q, base) for q in load_queries(queries_folder(service)).values()]}


def listing_response(request: Request, service: SparqlService) -> Response:
    """``GET /api/queries`` as JSON, with an ETag naming its content (the .rq files may change)."""
    body = json.dumps(listing(service), ensure_ascii=False, separators=(",", ":")).encode()
    v = conditional.validators(
        request, "application/json", version="queries-" + hashlib.sha256(body).hexdigest(), vary=None
    )
    if (early := conditional.early(request, v)) is not None:
        return early
    return conditional.finish(Response(body, media_type="application/json", headers=v.headers()), v)


def openapi_parameters(query: NamedQuery) -> list[dict[str, Any]]:
    """OpenAPI parameter objects for a named query's route."""
    params: list[dict[str, Any]] = []
    for p in query.parameters:
        entry: dict[str, Any] = {
            "name": p.name,
            "in": "query",
            "required": p.required,
            "description": p.description or f"a value of type {p.type}",
            "schema": dict(_OPENAPI_TYPES[p.type]),
        }
        if p.example is not None:
            entry["example"] = p.example
        params.append(entry)
    if query.form == "SELECT":
        params += [
            {
                "name": "page",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1},
                "description": "Page of results (1-based).",
            },
            {
                "name": "per_page",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1},
                "description": f"Results per page (default {query.pagination or DEFAULT_PAGE_SIZE}).",
            },
        ]
    params.append(
        {
            "name": "format",
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "description": "Result format overriding Accept (json, csv, tsv, xml; jsonld, ttl, nt, rdf for "
            "graphs; `sparql` for the query text).",
        }
    )
    return params


def _positive(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise BadQueryParameter(f"'{name}' must be a positive integer; got {value!r}")
    return number


async def run_named_query(request: Request, service: SparqlService, name: str) -> Response:
    query = find_query(service, name)
    params = request.query_params
    fmt = params.get("format")
    # ``?format=sparql`` (or Accept: application/sparql-query) asks for the query text itself.
    if negotiate(request.headers.get("accept"), [*offers_for(query.form), SPARQL_QUERY], fmt) == SPARQL_QUERY:
        text_v = conditional.validators(
            request, SPARQL_QUERY, version="query-" + hashlib.sha256(query.text.encode()).hexdigest()
        )
        if (early := conditional.early(request, text_v)) is not None:
            return early
        return conditional.finish(
            Response(query.text, media_type=f"{SPARQL_QUERY}; charset=utf-8", headers=text_v.headers()),
            text_v,
        )
    substitutions = query.bind({p.name: params[p.name] for p in query.parameters if p.name in params})
    text, page, per_page = query.text, 1, 0
    paged = append_page(text, 1, 0) is not None
    if paged:
        default = min(query.pagination or DEFAULT_PAGE_SIZE, service.settings.max_results)
        page = _positive(params.get("page"), "page", 1)
        per_page = min(_positive(params.get("per_page"), "per_page", default), service.settings.max_results)
        # One row more than a page tells whether a next page exists (the cap cuts it and flags it).
        text = append_page(text, per_page + 1, (page - 1) * per_page) or text
    prepared = await service.prepare_async(
        ProtocolRequest(text, format=fmt),
        request.headers.get("accept"),
        substitutions,
        max_results=per_page if paged else None,
    )
    v = query_validators(request, prepared)
    if (early := conditional.early(request, v)) is not None:
        return early
    answer = await service.answer(prepared, client_of(request))
    headers = result_headers(answer, v)
    if paged and answer.cut == "rows":
        headers.pop("X-SPARQL-MaxRows", None)
        headers.pop("Iopgraph-Truncated", None)
        headers["Link"] = _page_links(request, page, per_page, has_next=answer.truncated)
    return conditional.finish(Response(answer.body, headers=headers), v)


def _page_links(request: Request, page: int, per_page: int, has_next: bool) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "per_page")]

    def url(n: int) -> str:  # on the configured base URL, never the request's Host header
        query = urlencode([*kept, ("page", str(n)), ("per_page", str(per_page))])
        return service_url(providers.settings(request).base_url, request.url.path) + "?" + query

    links = [f'<{url(1)}>; rel="first"']
    if page > 1:
        links.append(f'<{url(page - 1)}>; rel="prev"')
    if has_next:
        links.append(f'<{url(page + 1)}>; rel="next"')
    return ", ".join(links)
