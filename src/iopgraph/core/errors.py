"""Errors of iopgraph, one tree under :class:`IopgraphError`.

    IopgraphError
    ├── InputError (400)             bad input a person must fix
    │   ├── RdfSyntaxError            a file or body that does not parse (names file, line, column)
    │   ├── UnknownFormat (415)       a file or media type that is not an RDF syntax we read
    │   ├── PayloadTooLarge (413)     a request body over the configured limit
    │   ├── UpdateNotAllowed          a SPARQL Update the service refuses (LOAD, SERVICE, USING)
    │   └── InvalidParameter          a query parameter of a view with a bad name or value
    ├── Unauthorized (401)            a write without a bearer token (WWW-Authenticate: Bearer)
    ├── Forbidden (403)               a write with a wrong token
    │   └── WritesDisabled            writes while no write token is configured
    ├── GraphNotFound (404)           a Graph Store request for a graph that does not exist
    ├── ResourceNotFound (404)        an IRI (or LDES fragment) the graph does not hold
    ├── ValidationFailed (422)        data that does not conform to the shapes
    └── StoreError (503)              the store cannot be opened, read or written

Each error has an HTTP ``status`` and a stable ``code`` so the CLI and the API
report it the same way.
"""

from __future__ import annotations


class IopgraphError(Exception):
    """Base class of every error iopgraph raises on purpose."""

    status = 500
    code = "internal-error"
    #: Extra response headers (e.g. ``Retry-After``, ``Allow``); ``None`` for none.
    headers: dict[str, str] | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(IopgraphError):
    status = 400
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
    status = 415
    code = "unsupported-media-type"


class PayloadTooLarge(InputError):
    status = 413
    code = "payload-too-large"


class UpdateNotAllowed(InputError):
    code = "update-not-allowed"


class Unauthorized(IopgraphError):
    status = 401
    code = "unauthorized"
    headers = {"WWW-Authenticate": 'Bearer realm="iopgraph"'}


class Forbidden(IopgraphError):
    status = 403
    code = "forbidden"


class WritesDisabled(Forbidden):
    code = "writes-disabled"


class GraphNotFound(IopgraphError):
    status = 404
    code = "graph-not-found"


class ResourceNotFound(IopgraphError):
    status = 404
    code = "resource-not-found"


class InvalidParameter(InputError):
    code = "invalid-parameter"


class ValidationFailed(IopgraphError):
    """Data that does not conform; ``report`` (JSON) goes into the problem body."""

    status = 422
    code = "shacl-violation"

    def __init__(self, message: str, report: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.problem_extra = {"report": report} if report is not None else {}


class StoreError(IopgraphError):
    status = 503
    code = "store-unavailable"
