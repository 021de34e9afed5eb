"""The OpenAPI 3.1 document, completed from `api/contract.py`.

FastAPI writes the operations, parameters and success schemas; this module adds what a
generated client needs and FastAPI cannot know: every problem an operation may answer (one
shared `Problem` schema, the `type`s per status, an example each), who may call it
(`security` per operation: the account kinds or roles for a token, the scope for an API key),
the media type of responses that are not JSON, and cursor pagination described once.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from plaudit.api.contract import OPERATIONS, Operation, problems_of
from plaudit.api.problems import PROBLEM_JSON
from plaudit.errors import PROBLEM_BASE, PlauditError

__all__ = ["API_KEY_SCHEME", "TOKEN_SCHEME", "complete_openapi", "install_openapi"]

TOKEN_SCHEME = "accountToken"
API_KEY_SCHEME = "apiKey"
_METHODS = ("get", "put", "post", "delete", "patch")

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem: branch on `type`, show `detail` to people.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri", "description": "Stable; branch on it."},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What is wrong and how to fix it."},
        "instance": {"type": "string", "description": "The request's path."},
        "field": {"type": "string", "description": "The invalid field, when one is."},
        "errors": {
            "type": "array",
            "description": "Every invalid field of a request that failed validation.",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "retry_after": {"type": "integer", "description": "Seconds, as in `Retry-After`."},
    },
    "additionalProperties": True,
}

CURSOR_PARAMETER: dict[str, Any] = {
    "name": "cursor",
    "in": "query",
    "required": False,
    "description": (
        "Opaque: the `next_cursor` of the previous page, passed back unchanged; omit it for "
        "the first page. A page whose `next_cursor` is null is the last."
    ),
    "schema": {"anyOf": [{"type": "string"}, {"type": "null"}]},
}

IDEMPOTENCY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe (IETF httpapi Idempotency-Key draft): the first answer is stored "
        "for 24 h and replayed, with `Idempotent-Replayed: true`, to a retry with the same key "
        "and request; another request with the key is 422, a retry while the first runs 409."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}

RATE_LIMIT_HEADERS: dict[str, Any] = {
    "RateLimit-Policy": {
        "schema": {"type": "string"},
        "description": 'The caller\'s quota (IETF httpapi draft): `"credential";q=10000;w=60`.',
    },
    "RateLimit": {
        "schema": {"type": "string"},
        "description": 'What is left of it: `"credential";r=9999;t=60` (units, reset in s).',
    },
}

_LIMIT = "Items per page (at most the maximum shown); fewer means this is the last page."
_NEXT_CURSOR = "Pass it as `cursor` to get the next page; null on the last page."

_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer realm."}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
    503: {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
}


def install_openapi(app: FastAPI) -> None:
    """Make `app.openapi()` (and so `/openapi.json` and `/docs`) serve the completed document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = complete_openapi(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete_openapi(document: dict[str, Any]) -> dict[str, Any]:
    """The document with problems, security, media types and pagination filled in."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    components["securitySchemes"] = _security_schemes()
    components.setdefault("parameters", {})["Cursor"] = CURSOR_PARAMETER
    components["parameters"]["IdempotencyKey"] = IDEMPOTENCY_PARAMETER
    missing = []
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            if method not in item:
                continue
            key = f"{method.upper()} {path}"
            if key not in OPERATIONS:
                missing.append(key)
                continue
            _complete_operation(item[method], OPERATIONS[key], post=method == "post")
    if missing:
        raise KeyError(f"operations missing from plaudit.api.contract.OPERATIONS: {missing}")
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    _describe_pages(schemas)
    return document


def _security_schemes() -> dict[str, Any]:
    return {
        TOKEN_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "pl_...",
            "description": (
                "An account's token (`POST /v1/accounts`, `plaudit accounts token ID`). The "
                "names listed on an operation are the account kinds or roles it accepts."
            ),
        },
        API_KEY_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "plaudit_sk_...",
            "description": (
                "A scoped API key (`POST /v1/api-keys`); the name listed on an operation is the "
                "scope it needs (`RESOURCE:read` or `RESOURCE:write`; write implies read)."
            ),
        },
    }


def _complete_operation(op: dict[str, Any], contract: Operation, post: bool) -> None:
    params = op.get("parameters", [])
    if post:
        op["parameters"] = params = [*params, {"$ref": "#/components/parameters/IdempotencyKey"}]
    path_params = [p["name"] for p in params if p.get("in") == "path"]
    has_body = "requestBody" in op
    responses: dict[str, Any] = op.setdefault("responses", {})
    responses.pop("422", None)  # FastAPI's own validation shape; ours is a problem
    _success_media(responses, contract)
    problems = problems_of(contract, path_params, bool(params) or has_body, has_body, post)
    by_status: dict[int, list[type[PlauditError]]] = defaultdict(list)
    for error in problems:
        by_status[error.status].append(error)
    for status in sorted(by_status):
        responses[str(status)] = _problem_response(status, by_status[status])
    if not contract.public:
        security: list[dict[str, list[str]]] = [{TOKEN_SCHEME: list(contract.who)}]
        if contract.scope:
            security.append({API_KEY_SCHEME: [contract.scope]})
        op["security"] = security
    op["description"] = _access_text(op.get("description", ""), contract)
    if any(p.get("name") == "cursor" for p in params):
        _paginate(op)


def _success_media(responses: dict[str, Any], contract: Operation) -> None:
    success = [code for code in responses if code.startswith("2")]
    if not success:
        return
    first = responses[success[0]]
    if contract.media != "application/json":
        schema: dict[str, Any] = {"type": "string"}
        if contract.media == "application/octet-stream":
            schema["contentMediaType"] = "application/octet-stream"
        first["content"] = {contract.media: {"schema": schema}}
    if contract is not OPERATIONS["GET /healthz"]:
        first["headers"] = RATE_LIMIT_HEADERS
    for code, description in contract.also.items():
        responses.setdefault(str(code), {**first, "description": description})


def _problem_response(status: int, errors: list[type[PlauditError]]) -> dict[str, Any]:
    slugs = [error.type for error in errors]
    schema = {
        "allOf": [
            {"$ref": "#/components/schemas/Problem"},
            {
                "properties": {
                    "type": {"enum": [PROBLEM_BASE + slug for slug in slugs]},
                    "status": {"const": status},
                }
            },
        ]
    }
    examples = {
        error.type: {"summary": error.title, "value": _example(error, status)} for error in errors
    }
    response: dict[str, Any] = {
        "description": "; ".join(f"`{slug}`" for slug in slugs),
        "content": {PROBLEM_JSON: {"schema": schema, "examples": examples}},
    }
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response


def _example(error: type[PlauditError], status: int) -> dict[str, Any]:
    doc = (error.__doc__ or error.title).strip().splitlines()[0]
    return {
        "type": PROBLEM_BASE + error.type,
        "title": error.title,
        "status": status,
        "detail": doc,
    }


def _access_text(description: str, contract: Operation) -> str:
    who = "anyone, no token needed" if contract.public else ", ".join(contract.who)
    lines = [part for part in (description.strip(), f"**Who:** {who}.") if part]
    if contract.scope:
        lines.append(f"**API key scope:** `{contract.scope}`.")
    return "\n\n".join(lines)


def _paginate(op: dict[str, Any]) -> None:
    params = op["parameters"]
    for index, param in enumerate(params):
        if param.get("name") == "cursor":
            params[index] = {"$ref": "#/components/parameters/Cursor"}
        elif param.get("name") == "limit":
            param["description"] = _LIMIT
    op["x-pagination"] = {"style": "cursor", "cursor": "cursor", "next": "next_cursor"}


def _describe_pages(schemas: dict[str, Any]) -> None:
    for schema in schemas.values():
        properties = schema.get("properties", {})
        if "next_cursor" in properties and "items" in properties:
            properties["next_cursor"]["description"] = _NEXT_CURSOR
