"""SPARQL 1.1 Protocol: turn an HTTP request into a :class:`ProtocolRequest`, or a precise 4xx.

The three query operations of https://www.w3.org/TR/sparql11-protocol/#query-operation:

* ``GET /sparql?query=...&default-graph-uri=...&named-graph-uri=...``
* ``POST /sparql`` with ``application/x-www-form-urlencoded`` body ``query=...``
* ``POST /sparql`` with ``application/sparql-query`` body (graph URIs in the URL)

Updates (an ``update`` parameter or ``application/sparql-update``) are refused:
the endpoint is read-only. Unknown parameters are ignored, as clients such as
SPARQLWrapper send their own (``format``, ``output``, ``results``, ...); ``format``
and ``output`` override Accept only when they agree on one value. Parameters are
decoded as strict UTF-8: bad bytes are a 400, never silently replaced.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import pyoxigraph as ox
from starlette.requests import Request

from iopgraph.core.content_type import parse_content_type
from iopgraph.core.media_types import FORM, SPARQL_QUERY, SPARQL_UPDATE
from iopgraph.query.errors import QueryMediaTypeError, QueryTooLarge, SparqlRequestError, UpdateRefused

READ_ONLY = "this SPARQL endpoint is read-only: updates (INSERT, DELETE, LOAD, CLEAR, DROP, ...) are not accepted here"


@dataclass
class ProtocolRequest:
    """A query request as the protocol defines it; ``query`` is None when none was given."""

    query: str | None
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    format: str | None = None  # ``format`` / ``output`` parameter, if any


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise SparqlRequestError(f"the request has {len(values)} '{name}' parameters; give exactly one")
    return values[0] if values else None


#: The parameters the protocol reads (others, such as SPARQLWrapper's ``results``, are ignored).
_KNOWN = frozenset(
    {"update", "using-graph-uri", "using-named-graph-uri", "query", "format", "output"}
    | {"default-graph-uri", "named-graph-uri"}
)


def _from_params(params: list[tuple[str, str]], body_query: str | None = None) -> ProtocolRequest:
    grouped: dict[str, list[str]] = {}
    for k, v in params:  # one pass over the parameters, in order
        if k in _KNOWN:
            grouped.setdefault(k, []).append(v)

    def values(name: str) -> list[str]:
        return grouped.get(name, [])

    if values("update") or values("using-graph-uri") or values("using-named-graph-uri"):
        raise UpdateRefused(READ_ONLY)
    query = body_query if body_query is not None else _single(values("query"), "query")
    if body_query is not None and values("query"):
        raise SparqlRequestError("the query is in the body; do not also pass a 'query' parameter")
    fmt = _format_override(values("format") + values("output"))
    graphs = {name: values(name) for name in ("default-graph-uri", "named-graph-uri")}
    for name, iris in graphs.items():
        for iri in iris:
            _check_graph_iri(name, iri)
    return ProtocolRequest(query, graphs["default-graph-uri"], graphs["named-graph-uri"], fmt)


def _format_override(given: list[str]) -> str | None:
    """The ``format``/``output`` value that overrides Accept: one value, however often repeated.

    Clients such as SPARQLWrapper send both parameters, some twice with different spellings
    (``format=tsv&format=text/tab-separated-values``) beside a correct Accept header: when the
    values disagree, none of them overrides and the Accept header decides.
    """
    distinct = list(dict.fromkeys(v.strip() for v in given if v.strip()))
    return distinct[0] if len(distinct) == 1 else None


def _check_graph_iri(name: str, iri: str) -> None:
    """A graph parameter must be an absolute IRI (400 otherwise, never an engine failure)."""
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise SparqlRequestError(f"{name}={iri[:200]!r} is not an absolute IRI: {exc}") from None


def _decode(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SparqlRequestError(f"the {what} is not valid UTF-8 (byte {exc.start})") from None


def _url_params(request: Request) -> list[tuple[str, str]]:
    """The URL's parameters, percent-decoded as strict UTF-8 (400 rather than silently replacing bad bytes)."""
    raw = request.scope.get("query_string", b"")
    try:
        text = raw.decode("latin-1")
        return parse_qsl(text, keep_blank_values=True, errors="strict", encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SparqlRequestError(
            f"a URL parameter is not valid UTF-8 once percent-decoded ({exc.reason} at byte {exc.start}); "
            "percent-encode the query's UTF-8 bytes"
        ) from None


async def parse_request(
    request: Request, max_bytes: int, read_body: Callable[[], Awaitable[bytes]]
) -> ProtocolRequest:
    """Read the query operation out of ``request`` (GET or POST); raises on anything the protocol forbids.

    ``read_body`` reads a POST's body within ``max_bytes`` (the HTTP layer's one body reader, 413 beyond).
    """
    url_params = _url_params(request)
    if request.method in ("GET", "HEAD"):
        parsed = _from_params(url_params)
    else:
        media_type = parse_content_type(request.headers.get("content-type")).media_type
        if media_type == SPARQL_UPDATE:
            raise UpdateRefused(READ_ONLY)
        if media_type not in (FORM, SPARQL_QUERY):
            shown = media_type or "none"
            raise QueryMediaTypeError(
                f"a POST to the SPARQL endpoint needs Content-Type {FORM} or {SPARQL_QUERY} (got {shown})"
            )
        body = await read_body()
        if media_type == SPARQL_QUERY:
            parsed = _from_params(url_params, _decode(body, "request body"))
        else:
            text = _decode(body, "form body")
            try:
                form = parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
            except UnicodeDecodeError as exc:
                raise SparqlRequestError(
                    f"a form field is not valid UTF-8 once percent-decoded: {exc.reason}"
                ) from None
            # Graph URIs may come in the URL or in the form (both count).
            parsed = _from_params(form + [(k, v) for k, v in url_params if k != "query"])
            if any(k == "query" for k, _ in url_params) and parsed.query is not None:
                raise SparqlRequestError("give the query either in the URL or in the form body, not both")
    if parsed.query is not None and len(parsed.query.encode("utf-8")) > max_bytes:
        raise QueryTooLarge(
            f"the query has {len(parsed.query.encode('utf-8'))} bytes; the limit is {max_bytes} (IOPGRAPH_MAX_QUERY_BYTES)"
        )
    return parsed
