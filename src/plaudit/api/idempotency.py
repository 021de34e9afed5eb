"""Idempotency keys on POST (IETF httpapi draft "The Idempotency-Key HTTP Header Field").

A client that sends `Idempotency-Key: <key>` with a POST may retry it safely: the first
answer is stored and replayed (with `Idempotent-Replayed: true`) to every retry with the same
key and the same request; the same key with another method, path or body is a
`422 idempotency-key-reused` problem; a retry while the first request still runs is
`409 idempotency-key-in-use` with `Retry-After`. Keys belong to the credential that sent them
and are kept `idempotency_window_s` (24 h by default). Answers that a retry should not get
back (5xx, 429) are not stored: the key is free again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Row
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plaudit.api.problems import problem_response
from plaudit.errors import (
    Conflict,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InvalidInput,
    PlauditError,
)
from plaudit.platform import Platform
from plaudit.store import idempotency as sql
from plaudit.store import utcnow

__all__ = ["HEADER", "IdempotencyMiddleware", "parse_key"]

HEADER = "idempotency-key"
_HEADER_BYTES = HEADER.encode()
REPLAYED = "idempotent-replayed"
_MAX_KEY = 255
T = TypeVar("T")


def parse_key(value: str) -> str:
    """The key of the header: an RFC 8941 string (`"..."`) or, leniently, a bare token."""
    key = value.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key or len(key) > _MAX_KEY or not key.isprintable():
        raise InvalidInput(
            f"Idempotency-Key must be 1-{_MAX_KEY} printable characters, e.g. a UUID",
            field="Idempotency-Key",
        )
    return key


def _fingerprint(method: str, path: str, query: bytes, body: bytes) -> bytes:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.digest()


def _has_key(scope: Scope) -> bool:
    return any(name == _HEADER_BYTES for name, _ in scope.get("headers", ()))


def _oauth(scope: Scope) -> bool:
    path: str = scope["path"]
    return path.startswith("/v1/oauth/")


class IdempotencyMiddleware:
    """Stores and replays POST answers by Idempotency-Key (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # OAuth token answers hold fresh secrets: never stored (RFC 6749 5.1 no-store)
        if scope["type"] != "http" or scope["method"] != "POST" or _oauth(scope):
            await self.app(scope, receive, send)
            return
        if not _has_key(scope):
            await self.app(scope, receive, send)  # most POSTs: no Request built for them
            return
        request = Request(scope, receive)
        header = request.headers[HEADER]
        try:
            await self._idempotent(scope, request, header, send)
        except PlauditError as error:
            await problem_response(error, request)(scope, receive, send)

    async def _idempotent(self, scope: Scope, request: Request, header: str, send: Send) -> None:
        platform: Platform = scope["app"].state.platform
        key = parse_key(header)
        body = await request.body()
        owner = hashlib.sha256(request.headers.get("authorization", "").encode()).digest()
        fingerprint = _fingerprint(scope["method"], scope["path"], scope["query_string"], body)
        row_id, stored = await _claim(platform, owner, key, fingerprint)
        if stored is not None:
            await _replay(stored, send)
            return
        answer = _Recorder(send)
        try:
            await self.app(scope, _replaying(body), answer.send)
        except BaseException:
            await _write(platform, lambda conn: sql.forget(conn, row_id))
            raise
        if answer.status >= 500 or answer.status == 429:
            await _write(platform, lambda conn: sql.forget(conn, row_id))
            return
        media = answer.media_type
        await _write(
            platform, lambda conn: sql.finish(conn, row_id, answer.status, media, answer.body)
        )


async def _claim(
    platform: Platform, owner: bytes, key: str, fingerprint: bytes
) -> tuple[int, Row[Any] | None]:
    """(the row this request runs under, None) or (0, the stored answer to replay)."""
    window = timedelta(seconds=platform.settings.idempotency_window_s)

    def claim(conn: Connection) -> tuple[int, Row[Any] | None]:
        now = utcnow()
        found = sql.find(conn, owner, key)
        if found is not None and found.expires_at <= now:
            sql.forget(conn, found.id)
            found = None
        if found is None:
            values = {
                "owner": owner,
                "key": key,
                "fingerprint": fingerprint,
                "created_at": now,
                "expires_at": now + window,
            }
            return sql.claim(conn, values), None
        if found.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used for a different request (method, path or body); "
                "send a new key for a new request",
                field="Idempotency-Key",
            )
        if found.status_code is None:
            raise IdempotencyKeyInUse(
                "a request with this Idempotency-Key is still running; retry when it is done",
                retry_after=1,
            )
        return 0, found

    try:
        return await _write(platform, claim)
    except (IdempotencyKeyReused, IdempotencyKeyInUse):
        raise
    except Conflict:
        # Another process inserted the same key between our read and our insert (PostgreSQL):
        # that request is running now.
        raise IdempotencyKeyInUse(
            "a request with this Idempotency-Key is still running; retry when it is done",
            retry_after=1,
        ) from None


async def _write(platform: Platform, fn: Callable[[Connection], T]) -> T:
    return await platform.db.write_soon(fn)


async def _replay(stored: Row[Any], send: Send) -> None:
    body: bytes = stored.body or b""
    headers = [
        (b"content-type", (stored.media_type or "application/json").encode()),
        (b"content-length", str(len(body)).encode()),
        (REPLAYED.encode(), b"true"),
    ]
    await send({"type": "http.response.start", "status": stored.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _replaying(body: bytes) -> Receive:
    """A `receive` that hands the app the body this middleware already read."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


class _Recorder:
    """Passes the answer on to the client and keeps a copy of its status, type and body."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 500
        self.media_type = "application/json"
        self._chunks: list[bytes] = []

    @property
    def body(self) -> bytes:
        return b"".join(self._chunks)

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            for name, value in message.get("headers", []):
                if name.lower() == b"content-type":
                    self.media_type = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            self._chunks.append(message.get("body", b""))
        await self._send(message)
