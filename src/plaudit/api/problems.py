"""One place that turns every error into RFC 9457 problem+json.

Plaudit's own errors carry their status and type; request validation errors become
`invalid-input` with the list of offending fields; routing errors keep their status; anything
unexpected becomes a 500 `internal-error` whose detail hides internals (they go to the log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from plaudit.errors import (
    PROBLEM_BASE,
    InvalidInput,
    MalformedBody,
    PendingIntegration,
    PlauditError,
    StorageUnavailable,
)

__all__ = ["PROBLEM_JSON", "install_problem_handlers", "problem_response"]

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)

_HTTP_TYPES = {
    401: "not-authenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    400: "malformed-body",
}


def problem_response(error: PlauditError, request: Request) -> JSONResponse:
    retry = isinstance(error, StorageUnavailable | PendingIntegration)
    headers = {"Retry-After": "1"} if retry else None
    if "retry_after" in error.extensions:  # e.g. rate-limited: the seconds it names
        headers = {"Retry-After": str(error.extensions["retry_after"])}
    if error.status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="plaudit"'}
    return JSONResponse(
        error.problem(instance=request.url.path),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


MAX_ECHOED_ERRORS = 20
"""A 422 lists at most this many invalid fields (a body of a million bad keys must not come
back as a response of a million errors); `error_count` gives the total."""


def _validation_problem(request: Request, exc: RequestValidationError) -> JSONResponse:
    found = exc.errors()
    errors = [{"field": _field(e["loc"]), "message": e["msg"]} for e in found[:MAX_ECHOED_ERRORS]]
    first = errors[0] if errors else {"field": "body", "message": "invalid request"}
    summary = f"{first['field']}: {first['message']}"
    if len(found) > 1:
        summary += f" (and {len(found) - 1} more)"
    return problem_response(InvalidInput(summary, errors=errors, error_count=len(found)), request)


def _http_problem(request: Request, exc: HTTPException) -> JSONResponse:
    if exc.status_code == 400:  # FastAPI could not parse the body: the one documented type
        error = MalformedBody(f"the body cannot be read: {exc.detail}", field="body")
        return problem_response(error, request)
    slug = _HTTP_TYPES.get(exc.status_code, "http-error")
    body = {
        "type": PROBLEM_BASE + slug,
        "title": slug.replace("-", " ").capitalize(),
        "status": exc.status_code,
        "detail": str(exc.detail),
        "instance": request.url.path,
    }
    return JSONResponse(
        body,
        status_code=exc.status_code,
        media_type=PROBLEM_JSON,
        headers=getattr(exc, "headers", None),
    )


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    error = PlauditError("an unexpected error occurred; the operator's log has the details")
    return problem_response(error, request)


def install_problem_handlers(app: FastAPI) -> None:
    async def plaudit_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, PlauditError)
        return problem_response(exc, request)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _validation_problem(request, exc)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return _http_problem(request, exc)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return _unexpected(request, exc)

    app.add_exception_handler(PlauditError, plaudit_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
