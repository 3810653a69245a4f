"""HTTP side of the SPARQL endpoint: request → service → response, with conditional GET.

Routers call :func:`handle_sparql`; this module builds every response the
endpoint sends (results, 304, service description, editor page). Results carry
the ETag scheme of :mod:`iopgraph.http.conditional`, weak (the same query at the
same store version means the same answer, not necessarily the same bytes), with
what identifies the query (text, graphs, bindings, cap) as the request's query,
so GET and POST of one query share it.
"""

from __future__ import annotations

from fastapi import Request, Response

from iopgraph.core.conneg import negotiate
from iopgraph.core.media_types import DESCRIPTION_OFFERS, HTML, text_content_type
from iopgraph.http import conditional
from iopgraph.http.body import QUERY_LIMIT, read_body
from iopgraph.query.errors import SparqlRequestError
from iopgraph.query.formats import content_type
from iopgraph.sparql.description import service_description
from iopgraph.sparql.protocol import parse_request
from iopgraph.sparql.service import PreparedQuery, QueryAnswer, SparqlService
from iopgraph.store.engine import serialize_triples
from iopgraph.views.sparql_editor import editor_page

#: Headers a browser script may read from a cross-origin response.
EXPOSED_HEADERS = "ETag, Last-Modified, Link, X-SPARQL-MaxRows, Iopgraph-Truncated, Iopgraph-Result-Count"


def query_validators(request: Request, prepared: PreparedQuery) -> conditional.Validators:
    """The validators of a query's result: its result key (store version first) names it."""
    key = prepared.key
    assert isinstance(key, tuple)
    return conditional.validators(
        request,
        prepared.job.media_type,
        version=str(key[0]),
        query=repr(key[1:]),
        weak=True,
        cache_control="public, no-cache",
        cache=False,  # results have their own cache (sparql/cache.py)
    )


def result_headers(answer: QueryAnswer, v: conditional.Validators) -> dict[str, str]:
    headers = {
        **v.headers(),
        "Content-Type": content_type(answer.media_type),
        "Iopgraph-Result-Count": str(answer.count),
    }
    if answer.truncated and answer.cut == "bytes":
        # Cut by size: X-SPARQL-MaxRows tells generic clients the result is partial (rows delivered),
        # Iopgraph-Truncated says why.
        headers["X-SPARQL-MaxRows"] = str(answer.count)
        headers["Iopgraph-Truncated"] = (
            f"true; bytes; the result was cut after {answer.count} rows at {answer.max_bytes} bytes "
            "(IOPGRAPH_MAX_RESULT_BYTES); select fewer or shorter values, or use LIMIT/OFFSET to page"
        )
    elif answer.truncated:
        # X-SPARQL-MaxRows is the header Virtuoso sends when it cuts results; clients know it.
        headers["X-SPARQL-MaxRows"] = str(answer.max_results)
        headers["Iopgraph-Truncated"] = (
            f"true; the result was cut at {answer.max_results} (IOPGRAPH_MAX_RESULTS); use LIMIT/OFFSET to page"
        )
    return headers


def client_of(request: Request) -> str:
    """The unit of fair scheduling: the remote address of the connection."""
    return request.client.host if request.client else ""


def endpoint_url(service: SparqlService) -> str:
    """The endpoint's own URL, against which relative IRIs in queries are resolved."""
    return service.settings.base_url.rstrip("/") + "/sparql"


async def handle_sparql(request: Request, service: SparqlService) -> Response:
    """Answer one SPARQL Protocol request (GET, HEAD or POST)."""
    settings = service.settings
    limit = settings.max_query_bytes
    parsed = await parse_request(request, limit, lambda: read_body(request, limit, QUERY_LIMIT))
    if parsed.query is None:
        if request.method == "POST":
            raise SparqlRequestError(
                "the request has no 'query' (form field or application/sparql-query body)"
            )
        return await describe_endpoint(request, service)
    prepared = await service.prepare_async(
        parsed, request.headers.get("accept"), base_iri=endpoint_url(service)
    )
    v = query_validators(request, prepared)
    if (early := conditional.early(request, v)) is not None:
        return early
    answer = await service.answer(prepared, client_of(request))
    headers = result_headers(answer, v)
    if request.method == "HEAD":  # the headers GET would send, Content-Length included
        headers["Content-Length"] = str(len(answer.body))
        return conditional.finish(Response(b"", headers=headers), v)
    return conditional.finish(Response(answer.body, headers=headers), v)


async def describe_endpoint(request: Request, service: SparqlService) -> Response:
    """``GET /sparql`` without a query: the editor for browsers, a Service Description for machines."""
    media_type = negotiate(
        request.headers.get("accept"), DESCRIPTION_OFFERS, request.query_params.get("format")
    )
    v = conditional.validators(request, media_type)
    if (early := conditional.early(request, v)) is not None:
        return early
    if media_type == HTML:
        # On the configured/derived base URL, never the request's Host (YASGUI needs an absolute endpoint).
        html = editor_page(service.settings, service.settings.base_url.rstrip("/") + "/sparql")
        return conditional.finish(Response(html, media_type=text_content_type(HTML), headers=v.headers()), v)
    endpoint = endpoint_url(service)
    rows = await service.backend.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } } ORDER BY ?g")
    graphs = [row["g"].value for row in rows if "g" in row]
    triples = service_description(endpoint, graphs, bool(service.settings.service_allowlist))
    return conditional.finish(
        Response(
            serialize_triples(triples, media_type),
            headers={**v.headers(), "Content-Type": content_type(media_type)},
        ),
        v,
    )
