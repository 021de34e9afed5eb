"""The request guard: what every request must satisfy before a router sees it (issue 17).

One ASGI middleware, so no route can forget it:

* the body is at most `max_body_bytes` (413 `payload-too-large`), counted as it streams in,
  so a lying or missing Content-Length does not help;
* a JSON body of 64 KiB or more is parsed and checked in a worker thread; one that is not
  UTF-8, not JSON or nested deeper than MAX_DEPTH is 422 `malformed-body`, an object of more
  than MAX_KEYS members 422 `invalid-input`. FastAPI then parses the accepted body again on
  the event loop; that is bounded by the body limit and, with MAX_KEYS, so is validation;
* every integer in a path segment, a query value or a JSON body fits the store's signed
  64-bit ids (`MAX_ID`), every time with a zone exists in UTC (years 1-9999), and every
  text is free of NUL, control, bidirectional-override and zero-width characters (422
  `invalid-input` naming where). Bulk ingest checks its items'
  fields one by one instead, so one bad item never fails its batch.

The body is then handed to the application unchanged (and left in the scope, `BODY_KEY`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plaudit.api.problems import PROBLEM_JSON
from plaudit.errors import InvalidInput, MalformedBody, PayloadTooLarge, PlauditError
from plaudit.store.types import MAX_ID

__all__ = [
    "BODY_KEY",
    "MAX_DEPTH",
    "MAX_KEYS",
    "RequestGuard",
    "check_text",
    "strip_unsafe",
    "unsafe_character",
]

MAX_DEPTH = 32
"""Deepest JSON nesting accepted; Plaudit's own bodies are at most 4 levels deep."""
MAX_KEYS = 256
"""Most members of one JSON object; Plaudit's own objects have a few dozen at most. Bounds the
work of validation, which runs on the event loop: 300,000 unknown keys took seconds there."""
BODY_KEY = "plaudit.body"
"""The scope key under which the guard leaves the body it read and checked: a route on the
hot path (the like) takes it from there instead of reading it again through `receive`."""
_THREAD_FROM = 64 * 1024
"""Bodies at least this large are parsed in a worker thread."""
_MIN_INT = -(2**63)
_DIGITS = re.compile(r"^-?[0-9]+$")
# NUL and C0/C1 controls except tab, line feed and carriage return; bidirectional embeddings,
# overrides and isolates (the "Trojan Source" characters, CVE-2021-42574); invisible
# zero-width characters that make two texts look equal. ZWNJ/ZWJ (U+200C/D) stay: scripts and
# emoji sequences need them.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
_BULK_PATH = "/v1/interactions/bulk"
_INSTANT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]")


def unsafe_character(text: str) -> str | None:
    """The first character Plaudit refuses in a text (as U+XXXX), or None."""
    found = _UNSAFE.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def strip_unsafe(text: str) -> str:
    """`text` without the characters `check_text` refuses: for values a client does not type
    (a User-Agent or X-Device-Id header), normalised rather than refused."""
    return _UNSAFE.sub("", text)


def check_text(text: str, where: str) -> str:
    """`text` unchanged, or InvalidInput naming the refused character and where it is."""
    bad = unsafe_character(text)
    if bad is not None:
        raise InvalidInput(
            f"{where} contains {bad}, a control, bidirectional-override or invisible "
            "character; remove it",
            field=where,
        )
    return text


def _check_int(value: int, where: str) -> None:
    if not _MIN_INT <= value <= MAX_ID:
        raise InvalidInput(
            f"{where} is {value}, outside the 64-bit range of ids and counts "
            f"({_MIN_INT} to {MAX_ID})",
            field=where,
        )


def _check_instant(text: str, where: str) -> None:
    """A time with a zone must exist in UTC: 0001-01-01T00:00:00+14:00 does not."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return  # not a time after all; the field's own validation decides
    if moment.tzinfo is not None:
        try:
            moment.astimezone(UTC)
        except OverflowError:
            raise InvalidInput(
                f"{where} {text} is outside the years 1 to 9999 once converted to UTC",
                field=where,
            ) from None


def _walk(value: Any, where: str, depth: int = 0) -> Iterator[tuple[Any, str]]:
    """Every scalar and key of a parsed body with its path; MalformedBody when too deep."""
    if depth > MAX_DEPTH:
        raise MalformedBody(
            f"the body is nested deeper than {MAX_DEPTH} levels (at {where})", field="body"
        )
    if isinstance(value, dict):
        if len(value) > MAX_KEYS:
            raise InvalidInput(
                f"{where} has {len(value)} members; an object has at most {MAX_KEYS}",
                field=where,
            )
        for key, item in value.items():
            yield key, f"{where}.{key}" if where else key
            yield from _walk(item, f"{where}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{where}.{index}", depth + 1)
    else:
        yield value, where


_LONG_NUMBER = re.compile(r"[0-9]{19}")
_EDGE_YEAR = re.compile(r'"(?:0001|9999)-')


def _plain(text: str) -> bool:
    """True when a walk of the parsed body cannot find anything: no escapes that could hide
    a character, no number of 19 digits, no time in year 1 or 9999, too few brackets to nest
    deeper than MAX_DEPTH and too few colons for an object of more than MAX_KEYS members, and
    no unsafe character in the text itself. Most bodies are; they skip the walk."""
    return (
        "\\" not in text  # \u and the short escapes (\b, \n, \t...) can hide a control
        and text.count("{") + text.count("[") <= MAX_DEPTH
        and text.count(":") <= MAX_KEYS
        and _LONG_NUMBER.search(text) is None
        and _EDGE_YEAR.search(text) is None
        and _UNSAFE.search(text) is None
    )


def _parse_checked(body: bytes, check_values: bool) -> None:
    """Raise the problem a JSON body deserves, or return when it is acceptable."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedBody(
            f"the body is not UTF-8 (byte {exc.start}); send JSON encoded as UTF-8",
            field="body",
        ) from None
    try:
        parsed = json.loads(text)
    except RecursionError:
        raise MalformedBody(
            f"the body is nested deeper than {MAX_DEPTH} levels", field="body"
        ) from None
    except ValueError as exc:
        raise MalformedBody(f"the body is not JSON: {exc}", field="body") from None
    if _plain(text):
        return
    for value, where in _walk(parsed, "body"):
        if isinstance(value, bool) or not check_values:
            continue
        if isinstance(value, int):
            _check_int(value, where)
        elif isinstance(value, str):
            check_text(value, where)
            if _INSTANT.match(value):
                _check_instant(value, where)


def _check_url(scope: Scope) -> None:
    for index, segment in enumerate(scope["path"].split("/")):
        if len(segment) >= 19 and _DIGITS.fullmatch(segment):
            _check_int(int(segment), f"path segment {index}")
        elif _UNSAFE.search(segment) or "%" in segment:
            check_text(unquote(segment), f"path segment {index}")
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if _DIGITS.fullmatch(value):
            _check_int(int(value), name)
        check_text(value, name)


def _is_json(scope: Scope, body: bytes) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            kind: bytes = value.split(b";")[0].strip().lower()
            return kind == b"application/json" or kind.endswith(b"+json")
    # no content type: FastAPI reads it as JSON on JSON routes; text routes (a cosigned
    # checkpoint) take it as it is, so only what looks like JSON is checked here
    return body.lstrip()[:1] in (b"{", b"[")


class RequestGuard:
    """ASGI middleware: size, shape, ranges and characters of every request (module doc)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            _check_url(scope)
            body = await self._read(scope, receive)
            if body and _is_json(scope, body):
                check_values = scope["path"] != _BULK_PATH
                if len(body) >= _THREAD_FROM:
                    await anyio.to_thread.run_sync(_parse_checked, body, check_values)
                else:
                    _parse_checked(body, check_values)
        except PlauditError as error:
            await _problem(error, scope, send)
            return
        scope[BODY_KEY] = body
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, scope: Scope, receive: Receive) -> bytes:
        limit = self.max_body_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                raise _too_large(int(value), limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _too_large(size, limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _too_large(size: int, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the body has at least {size} bytes; the most accepted is {limit} "
        "(setting max_body_bytes); split it into smaller requests",
        max_bytes=limit,
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read once, then the client's own messages (a disconnect, when it comes)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _problem(error: PlauditError, scope: Scope, send: Send) -> None:
    payload = json.dumps(error.problem(instance=scope["path"])).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(payload)).encode()),
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
