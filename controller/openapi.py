"""The API's OpenAPI document (`/api/openapi.json`), made true about errors in one place.

FastAPI documents the success of each route and a 422 shaped like its own validation error; the API
also answers with the errors of `controller.errors` (one body for all: `ErrorBody`, whose `detail` is
a sentence, or FastAPI's list for a request that does not fit its schema). `install_api_document`
serves FastAPI's document with, on every operation, the error statuses it can give, derived from what
the operation itself declares, so that a route added later gets them without any edit:

- 503, on every operation: the database is busy (no free session) or not migrated; some routes also
  need the broker (commands) or a speech engine (previews, approval) and answer 503 without it;
- 401 when it has a security requirement (bearer token, or a node's HTTP Basic credentials);
  403 as well for a bearer token (role, or commune outside the user's scope);
- 404 when it has path parameters or a body (both name provinces, communes, bulletins...);
- 422 when it has parameters or a body, and on every write (a request that breaks a rule);
- 413 when it has a body (`web.max_body_bytes`, `audio.upload_max_bytes` for uploads);
- 409 on every write by a user (a duplicate, a state that forbids it, a concurrent publication).

What an operation declares itself (`responses=error_responses(429)`, or a route-specific model) is kept.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from controller.errors import ErrorBody, error_responses

_WRITES = frozenset({"post", "put", "patch", "delete"})
_METHODS = _WRITES | {"get", "head", "options", "trace"}


def operation_errors(method: str, operation: dict[str, Any]) -> list[int]:
    """The error statuses an operation can answer with, from its own description (see the module doc)."""
    schemes = {name for requirement in operation.get("security", []) for name in requirement}
    parameters = operation.get("parameters", [])
    has_path = any(parameter.get("in") == "path" for parameter in parameters)
    has_body = "requestBody" in operation
    write = method in _WRITES
    statuses = {503}
    if schemes:
        statuses.add(401)
    if "HTTPBearer" in schemes:
        statuses.add(403)
        if write:
            statuses.add(409)
    if has_path or has_body:
        statuses.add(404)
    if parameters or has_body or write:
        statuses.add(422)
    if has_body:
        statuses.add(413)
    return sorted(statuses)


def _error_schemas() -> dict[str, Any]:
    schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
    definitions: dict[str, Any] = schema.pop("$defs", {})
    return {"ErrorBody": schema, **definitions}


def declare_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Add each operation's error responses (see the module doc) to `document`, in place."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in _error_schemas().items():
        schemas.setdefault(name, schema)
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            # FastAPI's own 422 (HTTPValidationError) describes a body the API never sends.
            if responses.get("422", {}).get("content", {}).get("application/json", {}).get("schema") == {
                "$ref": "#/components/schemas/HTTPValidationError"
            }:
                del responses["422"]
            for status, declared in error_responses(*operation_errors(method, operation)).items():
                responses.setdefault(
                    str(status), {"description": declared["description"], "content": copy.deepcopy(error_content)}
                )
    for unused in ("HTTPValidationError", "ValidationError"):
        others = {name: schema for name, schema in schemas.items() if name not in ("HTTPValidationError", unused)}
        if f'"#/components/schemas/{unused}"' not in json.dumps([document["paths"], others]):
            schemas.pop(unused, None)
    return document


def install_api_document(app: FastAPI) -> None:
    """Serve `declare_errors` over FastAPI's document at `app.openapi_url` (built once, on first request)."""

    def api_document() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            app.openapi_schema = declare_errors(document)
        return app.openapi_schema

    app.openapi = api_document  # type: ignore[method-assign]
