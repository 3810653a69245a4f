"""The OpenAPI schema states the one error shape: every operation may answer 4XX/5XX as RFC 9457 problem+json.

    install(app)      # app.openapi() now documents the Problem schema on every operation

Routers declare their successful responses; what they all share (the error
body written by :mod:`iopgraph.http.problems`) is declared here, once, so that a
client generator, a fuzzer (schemathesis, tests/test_fuzz_api.py) or a person
reading ``/docs`` sees the real error responses. FastAPI's default 422 body
(``HTTPValidationError``) is replaced by the problem shape the app really sends.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from iopgraph.http.problems import PROBLEM_MEDIA_TYPE

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `code` is stable and documented in docs/security.md and the error docs.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string"},
    },
    "additionalProperties": True,
}
_REF = {"$ref": "#/components/schemas/Problem"}
_METHODS = ("get", "head", "post", "put", "delete", "patch", "options")


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": _REF}}}


def add_problem_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Document problem+json 4XX/5XX (and 422) responses on every operation of ``schema``."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for item in schema.get("paths", {}).values():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = _problem_response("Invalid parameters (problem details)")
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
