"""Errors of the SPARQL service, under :class:`iopgraph.errors.IopgraphError`.

    IopgraphError
    ├── SparqlRequestError (400)      a request the SPARQL 1.1 Protocol does not allow
    │   ├── QuerySyntaxError           the query does not parse (engine message with line:column)
    │   ├── QueryTooLarge (413)        query or body above IOPGRAPH_MAX_QUERY_BYTES
    │   ├── QueryMediaTypeError (415)  a POST body that is not form data or application/sparql-query
    │   └── BadQueryParameter (422)    a named-query parameter of the wrong type, or missing
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

from iopgraph.errors import IopgraphError


class SparqlRequestError(IopgraphError):
    status = 400
    code = "bad-sparql-request"


class QuerySyntaxError(SparqlRequestError):
    code = "sparql-syntax-error"


class QueryTooLarge(SparqlRequestError):
    status = 413
    code = "query-too-large"


class QueryMediaTypeError(SparqlRequestError):
    status = 415
    code = "unsupported-media-type"


class BadQueryParameter(SparqlRequestError):
    status = 422
    code = "invalid-parameter"


class QueryRefused(IopgraphError):
    status = 403
    code = "query-refused"


class UpdateRefused(QueryRefused):
    code = "update-refused"


class ServiceRefused(QueryRefused):
    code = "service-not-allowed"


class AssetNotFound(IopgraphError):
    status = 404
    code = "not-found"


class QueryNotFound(IopgraphError):
    status = 404
    code = "query-not-found"


class MethodNotAllowed(IopgraphError):
    status = 405
    code = "method-not-allowed"

    def __init__(self, message: str, allow: str) -> None:
        super().__init__(message)
        self.headers = {"Allow": allow}


class QueryTimeout(IopgraphError):
    status = 503
    code = "query-timeout"


class WorkersUnavailable(IopgraphError):
    status = 503
    code = "query-workers-busy"


class QueryFailed(IopgraphError):
    status = 500
    code = "query-failed"


class UpstreamError(IopgraphError):
    status = 502
    code = "upstream-error"


class UpstreamUnavailable(UpstreamError):
    status = 503
    code = "upstream-unavailable"


class UpstreamTimeout(UpstreamError):
    status = 504
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
    status = 400
    code = "isolated-worker-crashed"


class JobTimeout(IopgraphError):
    status = 503
    code = "job-timeout"


class JobFailed(IopgraphError):
    status = 500
    code = "job-failed"


class ServiceUnreachable(IopgraphError):
    status = 502
    code = "service-unreachable"
