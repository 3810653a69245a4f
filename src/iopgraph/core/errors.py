"""Errors of iopgraph: the one table of problem codes, and the exception tree that refers to it.

:data:`ERRORS` maps every ``code`` the service or the CLI can report to its one HTTP
status, a title and a one-line meaning. ``docs/errors.md`` is generated from it
(``python -m iopgraph.core.errors --markdown``) and served at ``/guides/errors``; the
``type`` of every problem body is ``<base URL>/guides/errors#<code>``
(:func:`problem_type`). An exception class names its ``code``; its ``status`` comes
from the table (a class with an unregistered code, or with a status the table does
not give its code, fails at import).

    IopgraphError
    ├── InputError (400)             bad input a person must fix
    │   ├── RdfSyntaxError            a file or body that does not parse (names file, line, column)
    │   ├── UnknownFormat (415)       a file or media type that is not an RDF syntax we read
    │   ├── PayloadTooLarge (413)     a request body over the configured limit
    │   ├── UpdateNotAllowed          a SPARQL Update the service refuses (LOAD, SERVICE, USING)
    │   └── InvalidParameter          a query parameter with a bad name or value
    ├── Unauthorized (401)            a write without a bearer token (WWW-Authenticate: Bearer)
    ├── Forbidden (403)               a write with a wrong token
    │   └── WritesDisabled            writes while no write token is configured
    ├── GraphNotFound (404)           a Graph Store request for a graph that does not exist
    ├── ResourceNotFound (404)        an IRI (or LDES fragment) the graph does not hold
    ├── ValidationFailed (422)        data that does not conform to the shapes
    └── StoreError (503)              the store cannot be opened, read or written

The query layer's errors (:mod:`iopgraph.query.errors`) and the few that belong to
one service (stewardship, workbench, negotiation) are classes of their own modules;
their codes are registered here, so the table is complete.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import ClassVar

#: Where the error codes are documented, under the service's base URL (``docs/errors.md`` as a guide).
ERRORS_PAGE = "/guides/errors"
#: The media type of every error body of the API (RFC 9457).
PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class ErrorSpec:
    """One problem code: its HTTP status, a short title and what it means to the person who gets it."""

    code: str
    status: int
    title: str
    meaning: str


def _table(*rows: tuple[str, int, str, str]) -> dict[str, ErrorSpec]:
    table: dict[str, ErrorSpec] = {}
    for code, status, title, meaning in rows:
        if code in table:
            raise ValueError(f"problem code {code!r} is registered twice")
        table[code] = ErrorSpec(code, status, title, meaning)
    return table


# Statuses: 400 for a request or a query parameter that is wrong, 422 only for content that parses
# but is refused by the shapes; 403 for what the service will not do; 503 for what may work later.
ERRORS: dict[str, ErrorSpec] = _table(
    # -- the request itself (HTTP) --
    ("bad-request", 400, "Bad request", "The request is not valid HTTP, or its body cannot be parsed."),
    ("client-disconnected", 400, "Client disconnected", "The client hung up before its body was complete."),
    ("not-found", 404, "Not found", "No page, file or route at this URL."),
    ("method-not-allowed", 405, "Method not allowed", "This URL does not take this method; see `Allow`."),
    ("not-acceptable", 406, "Not acceptable", "None of the media types asked for can be served here."),
    ("request-timeout", 408, "Request timeout", "The request headers did not arrive in time."),
    ("uri-too-long", 414, "URI too long", "The URL is over the limit; send a long query in a POST body."),
    ("header-too-large", 431, "Header too large", "A request header (or all of them) is over the limit."),
    ("client-closed-request", 499, "Client closed request", "The client hung up; its write was abandoned."),
    ("internal-error", 500, "Internal error", "The server met an unexpected error; it has been logged."),
    ("not-ready", 503, "Not ready", "The service is starting or its store cannot answer yet; retry."),
    # -- input a person must fix --
    ("bad-input", 400, "Bad input", "The input is wrong in a way the message explains."),
    ("invalid-parameter", 400, "Invalid parameter", "A query parameter has an unknown name or a bad value."),
    ("rdf-syntax-error", 400, "RDF syntax error", "The RDF does not parse, or uses a refused feature."),
    (
        "update-not-allowed",
        400,
        "Update not allowed",
        "The SPARQL Update uses LOAD, SERVICE or a refused USING.",
    ),
    ("invalid-update", 400, "Invalid update", "The SPARQL Update does not parse, or is too deeply nested."),
    ("update-dataset-conflict", 400, "Update dataset conflict", "USING and using-graph-uri are both given."),
    ("payload-too-large", 413, "Payload too large", "The request body is over the configured limit."),
    ("unsupported-media-type", 415, "Unsupported media type", "The body's media type is not one read here."),
    ("shacl-violation", 422, "SHACL violation", "The data does not conform to the shapes; see `report`."),
    # -- writes: who may --
    ("unauthorized", 401, "Unauthorized", "A write needs a bearer token (`Authorization: Bearer …`)."),
    ("forbidden", 403, "Forbidden", "The token given is not a write token of this service."),
    ("cross-origin-refused", 403, "Cross-origin write refused", "Pages of other sites may only read here."),
    ("writes-disabled", 403, "Writes disabled", "No write token is configured: the service is read-only."),
    ("protected-graph", 403, "Protected graph", "The graph is the service's own (provenance, system)."),
    ("csrf-failed", 403, "CSRF check failed", "The form's CSRF token is missing or wrong; reload the page."),
    ("sign-in-required", 403, "Sign-in required", "The workbench page needs a signed-in steward."),
    ("publisher-only", 403, "Publisher only", "Only a publisher may do this (approve, reject, restore)."),
    # -- what the graph does not hold --
    ("graph-not-found", 404, "Graph not found", "The Graph Store has no graph with this IRI."),
    ("resource-not-found", 404, "Resource not found", "The graph holds nothing about this IRI."),
    ("query-not-found", 404, "Query not found", "There is no named query of this name (see /api/queries)."),
    # -- SPARQL --
    ("bad-sparql-request", 400, "Bad SPARQL request", "The request breaks the SPARQL 1.1 Protocol."),
    ("sparql-syntax-error", 400, "SPARQL syntax error", "The query does not parse; the message says where."),
    (
        "query-too-complex",
        400,
        "Query too complex",
        "The query is over a nesting or size limit of the engine.",
    ),
    (
        "isolated-worker-crashed",
        400,
        "Worker crashed",
        "The input made its isolated worker crash (stack, memory).",
    ),
    ("query-refused", 403, "Query refused", "Valid SPARQL this endpoint will not run."),
    ("update-refused", 403, "Update refused", "SPARQL Update on the read-only endpoint; send it to /update."),
    ("service-not-allowed", 403, "SERVICE not allowed", "SERVICE to a host that is not on the allow-list."),
    ("query-too-large", 413, "Query too large", "The query or its body is over IOPGRAPH_MAX_QUERY_BYTES."),
    ("query-failed", 500, "Query failed", "The engine failed on a valid query; it has been logged."),
    ("job-failed", 500, "Job failed", "An isolated job failed for a reason that is not the client's."),
    ("invalid-shapes", 500, "Invalid shapes", "The project's SHACL shapes are broken (a bug in shapes/)."),
    ("upstream-error", 502, "Upstream error", "The remote store answered with an error."),
    ("service-unreachable", 502, "SERVICE unreachable", "A SERVICE call could not connect."),
    ("query-timeout", 503, "Query timeout", "The query ran past IOPGRAPH_QUERY_TIMEOUT and was stopped."),
    ("query-workers-busy", 503, "Query workers busy", "No query worker became free in time; retry."),
    ("job-timeout", 503, "Job timeout", "An isolated job ran past its time limit and was stopped."),
    ("stopped-at-time-limit", 503, "Stopped at time limit", "Validating or planning a write took too long."),
    ("writes-busy", 503, "Writes busy", "Another write holds the write gate too long; retry."),
    ("store-unavailable", 503, "Store unavailable", "The store cannot be opened, read or written."),
    ("upstream-unavailable", 503, "Upstream unavailable", "The remote store cannot be reached."),
    ("upstream-timeout", 504, "Upstream timeout", "The remote store did not answer in time."),
)


def spec(code: str) -> ErrorSpec:
    """The registered :class:`ErrorSpec` of ``code``; KeyError names the table when it is not there."""
    try:
        return ERRORS[code]
    except KeyError:
        raise KeyError(f"problem code {code!r} is not in iopgraph.core.errors.ERRORS") from None


def problem_type(code: str, base_url: str) -> str:
    """The ``type`` URI of a problem: the code's anchor on the served errors page.

    >>> problem_type("invalid-parameter", "http://127.0.0.1:8000")
    'http://127.0.0.1:8000/guides/errors#invalid-parameter'
    """
    return f"{base_url.rstrip('/')}{ERRORS_PAGE}#{code}"


#: The code of a bare HTTP status (one the framework raises: no route, wrong method, a body it cannot parse).
STATUS_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    408: "request-timeout",
    413: "payload-too-large",
    414: "uri-too-long",
    415: "unsupported-media-type",
    431: "header-too-large",
    500: "internal-error",
}


def code_for_status(status: int) -> str:
    """The code of a bare HTTP error status; another 4xx is ``bad-request``, another 5xx ``internal-error``.

    >>> code_for_status(405), code_for_status(418), code_for_status(501)
    ('method-not-allowed', 'bad-request', 'internal-error')
    """
    return STATUS_CODES.get(status) or ("bad-request" if 400 <= status < 500 else "internal-error")


class IopgraphError(Exception):
    """Base class of every error iopgraph raises on purpose; ``status`` comes from :data:`ERRORS`."""

    code: ClassVar[str] = "internal-error"
    status: ClassVar[int] = 500
    #: Extra response headers (e.g. ``Retry-After``, ``Allow``); ``None`` for none.
    headers: dict[str, str] | None = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        registered = spec(cls.code)
        if "status" in cls.__dict__ and cls.__dict__["status"] != registered.status:
            raise TypeError(
                f"{cls.__qualname__}: status {cls.__dict__['status']} but {cls.code!r} is "
                f"registered with {registered.status}"
            )
        cls.status = registered.status

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(IopgraphError):
    code = "bad-input"


class RdfSyntaxError(InputError):
    """RDF that does not parse; carries where."""

    code = "rdf-syntax-error"

    def __init__(self, message: str, source: str, line: int | None = None, column: int | None = None):
        where = source
        if line is not None:
            where += f", line {line}" + (f", column {column}" if column is not None else "")
        super().__init__(f"{where}: {message}")
        self.source = source
        self.line = line
        self.column = column
        self.detail = message


class UnknownFormat(InputError):
    code = "unsupported-media-type"


class PayloadTooLarge(InputError):
    code = "payload-too-large"


class UpdateNotAllowed(InputError):
    code = "update-not-allowed"


class Unauthorized(IopgraphError):
    code = "unauthorized"
    headers = {"WWW-Authenticate": 'Bearer realm="iopgraph"'}


class Forbidden(IopgraphError):
    code = "forbidden"


class WritesDisabled(Forbidden):
    code = "writes-disabled"


class GraphNotFound(IopgraphError):
    code = "graph-not-found"


class ResourceNotFound(IopgraphError):
    code = "resource-not-found"


class InvalidParameter(InputError):
    code = "invalid-parameter"


class ValidationFailed(IopgraphError):
    """Data that does not conform; ``report`` (JSON) goes into the problem body."""

    code = "shacl-violation"

    def __init__(self, message: str, report: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.problem_extra = {"report": report} if report is not None else {}


class StoreError(IopgraphError):
    code = "store-unavailable"


# --- docs/errors.md, generated from the table ------------------------------------------------------------


def errors_markdown() -> str:
    """The text of ``docs/errors.md``: every code with its status, title and meaning, one anchor each."""
    from http import HTTPStatus

    def phrase(status: int) -> str:
        try:
            return HTTPStatus(status).phrase
        except ValueError:
            return "Client Closed Request" if status == 499 else ""

    rows = sorted(ERRORS.values(), key=lambda e: (e.status, e.code))
    lines = [
        "# Errors",
        "",
        "<!-- Generated from the table in src/iopgraph/core/errors.py by",
        "     `python -m iopgraph.core.errors --markdown > docs/errors.md`; do not edit by hand. -->",
        "",
        "Every error of the API is an RFC 9457 `application/problem+json` body",
        '`{"type", "title", "status", "detail", "code"}`: `code` is one of the codes below and',
        "always comes with the same `status`; `type` is this page's anchor for the code",
        "(`<base URL>/guides/errors#<code>`); `detail` says what went wrong in words. A browser that",
        "asks for a page that does not exist gets an HTML 404 page instead.",
        "",
        "A status means the same everywhere: **400** the request or a query parameter is wrong;",
        "**422** only content that parses but does not conform to the shapes; **403** something",
        "this service will not do; **503** something that may work if retried later.",
        "",
        "The command line reports the same errors with exit codes: 1 the data does not conform",
        "(`shacl-violation`) or the command failed; 2 unreadable input (any other 4xx code, a",
        "missing file); 3 the store cannot be opened (`store-unavailable`, e.g. in use by",
        "`iopgraph serve`).",
        "",
        "| code | status | title |",
        "|---|---|---|",
        *(f"| [{e.code}](#{e.code}) | {e.status} | {e.title} |" for e in rows),
        "",
    ]
    for e in rows:
        lines += [f"## {e.code}", "", f"**{e.status} {phrase(e.status)}**: {e.meaning}", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """``python -m iopgraph.core.errors --markdown``: print docs/errors.md."""
    if argv != ["--markdown"]:
        print("usage: python -m iopgraph.core.errors --markdown > docs/errors.md", file=sys.stderr)
        return 2
    sys.stdout.write(errors_markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
