"""The OpenAPI schema states the one error shape: every operation may answer 4XX/5XX as RFC 9457 problem+json.

    install(app)      # app.openapi() now documents the Problem schema on every operation

Routers declare their successful responses; what they all share (the error
body written by :mod:`iopgraph.http.problems`) is declared here, once, so that a
client generator, a fuzzer (schemathesis, tests/test_fuzz_api.py) or a person
reading ``/docs`` sees the real error responses. FastAPI's default 422 response
(``HTTPValidationError``) is replaced by the 400 ``invalid-parameter`` problem the app
really sends; the ``code`` is one of the registered codes (docs/errors.md).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from iopgraph.core.errors import ERRORS, ERRORS_PAGE, PROBLEM_MEDIA_TYPE

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": f"RFC 9457 problem details; `code` is stable, always with the same `status`, and documented "
    f"at {ERRORS_PAGE} (docs/errors.md); `type` is the code's anchor there.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string", "enum": sorted(ERRORS)},
    },
    "additionalProperties": True,
}
_REF = {"$ref": "#/components/schemas/Problem"}
_METHODS = ("get", "head", "post", "put", "delete", "patch", "options")


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": _REF}}}


def add_problem_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Document problem+json 4XX/5XX responses on every operation of ``schema`` (400 for bad parameters)."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for item in schema.get("paths", {}).values():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            if responses.get("422", {}).get("description") == "Validation Error":  # FastAPI's default
                del responses["422"]
                responses.setdefault("400", _problem_response("Invalid parameters (problem details)"))
            for status, response in responses.items():  # a router's own 4xx/5xx: the problem shape
                if status[:1] in "45" and status.isdigit():
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": _REF}}
            responses.setdefault("4XX", _problem_response("A client error (problem details)"))
            responses.setdefault("5XX", _problem_response("A server or store error (problem details)"))
    return schema


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            app.openapi_schema = add_problem_responses(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema
