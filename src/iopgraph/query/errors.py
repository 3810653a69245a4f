"""Errors of the SPARQL service, under :class:`iopgraph.core.errors.IopgraphError`.

Their codes and statuses are registered in :data:`iopgraph.core.errors.ERRORS` (the one table,
documented in docs/errors.md); the classes here name the code only.

IopgraphError
├── SparqlRequestError (400)      a request the SPARQL 1.1 Protocol does not allow
│   ├── QuerySyntaxError           the query does not parse (engine message with line:column)
│   ├── QueryTooLarge (413)        query or body above IOPGRAPH_MAX_QUERY_BYTES
│   ├── QueryMediaTypeError (415)  a POST body that is not form data or application/sparql-query
│   └── BadQueryParameter          a named-query parameter of the wrong type, or missing
├── QueryRefused (403)            valid SPARQL this endpoint will not run
│   ├── UpdateRefused              SPARQL Update (INSERT, DELETE, LOAD, ...) on the read-only endpoint
│   └── ServiceRefused             SERVICE to a host not on IOPGRAPH_SERVICE_ALLOWLIST
├── AssetNotFound (404)           an editor file that is not installed (run `make web`)
├── QueryNotFound (404)           no queries/<name>.rq
├── MethodNotAllowed (405)
├── QueryTimeout (503)            IOPGRAPH_QUERY_TIMEOUT reached; the query was stopped
├── WorkersUnavailable (503)      no query worker became free in time
├── QueryFailed (500)             the engine failed on a valid query
└── UpstreamError (502)           the remote store answered with an error
    ├── UpstreamUnavailable (503)  the remote store cannot be reached
    └── UpstreamTimeout (504)      the remote store did not answer in time
"""

from __future__ import annotations

import re

from iopgraph.core.errors import IopgraphError
from iopgraph.core.namespaces import PREFIXES


class SparqlRequestError(IopgraphError):
    code = "bad-sparql-request"


class QuerySyntaxError(SparqlRequestError):
    code = "sparql-syntax-error"


class QueryTooLarge(SparqlRequestError):
    code = "query-too-large"


class QueryMediaTypeError(SparqlRequestError):
    code = "unsupported-media-type"


class BadQueryParameter(SparqlRequestError):
    code = "invalid-parameter"


class QueryRefused(IopgraphError):
    code = "query-refused"


class UpdateRefused(QueryRefused):
    code = "update-refused"


class ServiceRefused(QueryRefused):
    code = "service-not-allowed"


class AssetNotFound(IopgraphError):
    code = "not-found"


class QueryNotFound(IopgraphError):
    code = "query-not-found"


class MethodNotAllowed(IopgraphError):
    code = "method-not-allowed"

    def __init__(self, message: str, allow: str) -> None:
        super().__init__(message)
        self.headers = {"Allow": allow}


class QueryTimeout(IopgraphError):
    code = "query-timeout"


class WorkersUnavailable(IopgraphError):
    code = "query-workers-busy"


class QueryFailed(IopgraphError):
    code = "query-failed"


class UpstreamError(IopgraphError):
    code = "upstream-error"


class UpstreamUnavailable(UpstreamError):
    code = "upstream-unavailable"


class UpstreamTimeout(UpstreamError):
    code = "upstream-timeout"


# -- isolation (worker processes, limits) -------------------------------------------------------------
#    SparqlRequestError
#    └── QueryTooComplex (400)        the query is over a lexer limit, or it crashed an isolated worker
#    JobCrashed (400)                 the input of an isolated job made its worker crash (stack, memory)
#    JobTimeout (503)                 an isolated job ran past its time limit and was stopped
#    JobFailed (500)                  an isolated job failed for a reason that is not the client's
#    ServiceUnreachable (502)         a SERVICE call the engine attempted could not connect


class QueryTooComplex(SparqlRequestError):
    code = "query-too-complex"


class JobCrashed(IopgraphError):
    code = "isolated-worker-crashed"


class JobTimeout(IopgraphError):
    code = "job-timeout"


class JobFailed(IopgraphError):
    code = "job-failed"


class ServiceUnreachable(IopgraphError):
    code = "service-unreachable"


# --- syntax errors in words ------------------------------------------------------------------------------

_POSITION = re.compile(r"error at (\d+):(\d+): (.*)", re.S)
_PREFIXED_NAME = re.compile(r"([A-Za-z][\w.-]*)?:[\w.%-]*$")
_WORD = re.compile(r"[^\s{}()<>\[\],;.]+|\S")
#: Namespaces people forget to declare, with the PREFIX line to add: the project's own prefixes.
KNOWN_PREFIXES = PREFIXES


def _offset(query: str, line: int, column: int) -> int:
    """The character offset of 1-based ``line``:``column`` in ``query`` (clamped to its length)."""
    lines = query.split("\n")
    if line < 1 or line > len(lines):
        return len(query)
    return min(sum(len(x) + 1 for x in lines[: line - 1]) + max(column - 1, 0), len(query))


_EXPECTED_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\b[A-Z][A-Za-z]*\b')


def _expected(text: str) -> list[str]:
    """The tokens the engine expected, without its character classes (``['A'..='Z' | …]``)."""
    text = re.sub(r"\[[^\]]*\]", "", text.removeprefix("expected one of").removeprefix("expected"))
    text = text.replace("Prefix not found", "")
    return _EXPECTED_TOKEN.findall(text)


def describe_syntax_error(query: str, engine_message: str) -> str:
    """A syntax error a person can act on: line, column, the token found, and what was expected.

    >>> describe_syntax_error("SELECT * WHERE { ?s rdfs:label ?o }", "error at 1:31: expected one of Prefix not found")
    'line 1, column 21: the prefix rdfs: is not declared; add PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>'
    >>> describe_syntax_error("SELECT * WHERE { ?s ?p ?o", 'error at 1:26: expected one of ".", "}"')
    'line 1, column 26: found the end of the query; expected one of ".", "}"'
    >>> describe_syntax_error("SELEC *", "error at 1:1: expected CONSTRUCT")
    "line 1, column 1: found 'SELEC'; expected CONSTRUCT"
    """
    match = _POSITION.match(engine_message.strip())
    if match is None:
        return engine_message
    line, column, rest = int(match.group(1)), int(match.group(2)), match.group(3)
    offset = _offset(query, line, column)
    if "Prefix not found" in rest:
        name = _PREFIXED_NAME.search(query[:offset].rstrip())
        if name:
            prefix = name.group(1) or ""
            start = offset - len(query[:offset]) + len(query[:offset].rstrip()) - len(name.group(0))
            start_line = query.count("\n", 0, start) + 1
            start_column = start - (query.rfind("\n", 0, start) + 1) + 1
            where = f"line {start_line}, column {start_column}"
            if prefix in KNOWN_PREFIXES:
                return (
                    f"{where}: the prefix {prefix}: is not declared; "
                    f"add PREFIX {prefix}: <{KNOWN_PREFIXES[prefix]}>"
                )
            return f"{where}: the prefix {prefix}: is not declared; add a PREFIX {prefix}: <…> line"
    token = _WORD.search(query, offset)
    found = f"found {token.group(0)[:40]!r}" if token else "found the end of the query"
    expected = _expected(rest)
    partial = "[" in rest or len(expected) > 12  # character classes dropped: the list is not complete
    listed = ", ".join(expected[:12]) + (", …" if partial else "")
    shown = (
        ("; expected " + (listed if len(expected) == 1 and not partial else "one of " + listed))
        if expected
        else ""
    )
    return f"line {line}, column {column}: {found}{shown}"
