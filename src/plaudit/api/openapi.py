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
from plaudit.api.examples import success_examples
from plaudit.api.problems import PROBLEM_JSON
from plaudit.errors import PROBLEM_BASE, PlauditError
from plaudit.oauth import APP_RESOURCES

__all__ = [
    "API_KEY_SCHEME",
    "OAUTH_SCHEME",
    "TOKEN_SCHEME",
    "complete_openapi",
    "install_openapi",
]

TOKEN_SCHEME = "accountToken"
API_KEY_SCHEME = "apiKey"
OAUTH_SCHEME = "oauth2"
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

OAUTH_ERROR_SCHEMA: dict[str, Any] = {
    "title": "OAuthError",
    "description": "An OAuth 2.0 error (RFC 6749 section 5.2): branch on `error`.",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "string",
            "enum": [
                "invalid_request",
                "invalid_client",
                "invalid_grant",
                "unauthorized_client",
                "unsupported_grant_type",
                "unsupported_token_type",
                "invalid_scope",
                "insecure_transport",
                "method_is_not_allowed",
                "temporarily_unavailable",
                "server_error",
            ],
        },
        "error_description": {"type": "string"},
    },
}

TOKEN_RESPONSE_SCHEMA: dict[str, Any] = {
    "title": "TokenResponse",
    "description": "RFC 6749 section 5.1; the refresh token replaces the one sent (rotation).",
    "type": "object",
    "required": ["access_token", "token_type", "expires_in", "scope", "refresh_token"],
    "properties": {
        "access_token": {"type": "string", "pattern": "^plaudit_at_"},
        "token_type": {"type": "string", "enum": ["Bearer"]},
        "expires_in": {"type": "integer"},
        "refresh_token": {"type": "string", "pattern": "^plaudit_rt_"},
        "refresh_token_expires_in": {"type": "integer"},
        "scope": {"type": "string"},
    },
    "example": {
        "access_token": "plaudit_at_" + "A" * 43,
        "token_type": "Bearer",
        "expires_in": 3600,
        "refresh_token": "plaudit_rt_" + "B" * 43,
        "refresh_token_expires_in": 2592000,
        "scope": "likes:read videos:write",
    },
}

_NO_STORE = {"Cache-Control": {"schema": {"type": "string"}, "description": "no-store"}}

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
    schemas["OAuthError"] = OAUTH_ERROR_SCHEMA
    schemas["TokenResponse"] = TOKEN_RESPONSE_SCHEMA
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
    success_examples(document)
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
        OAUTH_SCHEME: {
            "type": "oauth2",
            "description": (
                "A third-party app acting for a creator (`POST /v1/apps`): the authorization "
                "code flow with PKCE S256 (RFC 6749, RFC 7636); access tokens `plaudit_at_...`, "
                "rotating refresh tokens `plaudit_rt_...`; revoke at `/v1/oauth/revoke`."
            ),
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": "/oauth/authorize",
                    "tokenUrl": "/v1/oauth/token",
                    "refreshUrl": "/v1/oauth/token",
                    "scopes": {
                        f"{resource}:{access}": f"{access} {resource}"
                        for resource in APP_RESOURCES
                        for access in ("read", "write")
                    },
                }
            },
        },
    }


def _complete_operation(op: dict[str, Any], contract: Operation, post: bool) -> None:
    params = op.get("parameters", [])
    if contract.oauth:
        _oauth_responses(op)
        post = False  # answers with fresh tokens are never stored for replay
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
            if contract.scope.partition(":")[0] in APP_RESOURCES:
                security.append({OAUTH_SCHEME: [contract.scope]})
        op["security"] = security
    op["description"] = _access_text(op.get("description", ""), contract)
    if any(p.get("name") == "cursor" for p in params):
        _paginate(op)


def _oauth_responses(op: dict[str, Any]) -> None:
    """RFC 6749's answers: the token (or RFC 7009's empty 200) and its JSON errors."""
    responses = op.setdefault("responses", {})
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}}
    if op.get("operationId", "").startswith("token"):
        responses["200"] = {
            "description": "The tokens.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/TokenResponse"}}
            },
        }
        described = "The request, grant or scope is not valid; `error` says which."
    else:
        responses["200"] = {"description": "Revoked, or the token was not valid (RFC 7009 2.2)."}
        described = "The request is not valid; `error` says which."
    responses["200"]["headers"] = _NO_STORE
    responses["400"] = {"description": described, "content": error}
    responses["401"] = {
        "description": "`invalid_client`: unknown app, or a wrong or missing client_secret.",
        "content": error,
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    }


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
        first["headers"] = {**first.get("headers", {}), **RATE_LIMIT_HEADERS}
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
