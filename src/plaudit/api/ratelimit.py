"""Rate limits per credential (account token or API key) and per client address, with the
IETF httpapi draft's `RateLimit-Policy` and `RateLimit` fields on every answer.

Counting is a moving window: a request is allowed while fewer than the quota were allowed in
the window before it. In one process (`rate_limit_storage = memory://`, the default) the
window is a deque of times per caller, O(1) per request; in a store shared by every API
process (`redis://...`) it is the `limits` library's moving window. Over the limit a request
is a `429 rate-limited` problem with `Retry-After`; nothing behind it runs.

The `limits` library's own memory storage is not used: it inserts at the front of a list per
caller (10,000 entries at the default quota) and sweeps every caller through a worker thread
in a task started again on every hit, which cost more per request than the like itself.
"""

from __future__ import annotations

import functools
import hashlib
import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import limits
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter as SyncMovingWindowRateLimiter
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plaudit.api.problems import problem_response
from plaudit.config import Settings
from plaudit.errors import RateLimited

__all__ = ["AccountQuota", "RateLimitMiddleware", "policy_fields"]

_EXEMPT = ("/healthz",)
# The log's public read side (C2SP tlog-tiles: tiles, entry bundles, checkpoint, key) and the
# console's static files are immutable or cheap and fetched in bulk: verifying a 200,000-entry
# log reads ~1,000 tiles, and production logs serve these from static storage or a CDN.
_EXEMPT_PREFIXES = ("/ledger/", "/static/")


@dataclass(frozen=True)
class _Policy:
    name: str
    item: limits.RateLimitItem

    @property
    def field(self) -> str:
        """`RateLimit-Policy`: the quota `q` per window `w` seconds."""
        return f'"{self.name}";q={self.item.amount};w={self.item.get_expiry()}'

    @functools.cached_property
    def field_bytes(self) -> bytes:
        return self.field.encode()


def policy_fields(name: str, remaining: int, reset_s: int) -> str:
    """`RateLimit`: the quota units `r` left in the window that resets in `t` seconds."""
    return f'"{name}";r={remaining};t={reset_s}'


class _Counter(Protocol):
    async def hit(self, item: limits.RateLimitItem, who: str) -> tuple[bool, int, float]:
        """(allowed, quota left, when the window resets as a Unix time) after one request."""


class _MemoryWindows:
    """Moving windows of one process: each caller's allowed request times, oldest first."""

    _SWEEP_EVERY = 10_000

    def __init__(self) -> None:
        self._times: dict[tuple[int, int, str], deque[float]] = {}
        self._hits = 0
        self._longest = 0  # the longest window seen: no caller idle for it can still count

    async def hit(self, item: limits.RateLimitItem, who: str) -> tuple[bool, int, float]:
        return self.hit_now(item, who, time.time())

    def hit_now(self, item: limits.RateLimitItem, who: str, now: float) -> tuple[bool, int, float]:
        """`hit` at the Unix time `now` (never waits; tests give the time)."""
        expiry = item.get_expiry()
        self._longest = max(self._longest, expiry)
        # the window is its quota and length and the caller: a tuple costs a fraction of
        # `item.key_for(who)`'s escaped string, built on every request
        key = (item.amount, expiry, who)
        times = self._times.get(key)
        if times is None:
            times = self._times[key] = deque()
        cutoff = now - expiry
        while times and times[0] <= cutoff:
            times.popleft()
        allowed = len(times) < item.amount
        if allowed:
            times.append(now)
        self._hits += 1
        if self._hits % self._SWEEP_EVERY == 0:
            self._sweep(now)
        return allowed, item.amount - len(times), (times[0] if times else now) + expiry

    def _sweep(self, now: float) -> None:
        """Forget callers idle for a whole window (their deques would only be emptied)."""
        cutoff = now - self._longest
        idle = [key for key, times in self._times.items() if not times or times[-1] <= cutoff]
        for key in idle:
            del self._times[key]


class _SharedWindows:
    """The `limits` moving window in a store every API process shares (redis://...)."""

    def __init__(self, uri: str) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string("async+" + uri))

    async def hit(self, item: limits.RateLimitItem, who: str) -> tuple[bool, int, float]:
        allowed = await self._limiter.hit(item, who)
        stats = await self._limiter.get_window_stats(item, who)
        return allowed, stats.remaining, stats.reset_time


class RateLimitMiddleware:
    """Counts each request against its caller's policy and says so in the answer."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        storage = settings.rate_limit_storage
        self._counter: _Counter = (
            _MemoryWindows() if storage.startswith("memory://") else _SharedWindows(storage)
        )
        self._credential = _Policy("credential", limits.parse(settings.rate_limit))
        self._anonymous = _Policy("anonymous", limits.parse(settings.rate_limit_anonymous))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in _EXEMPT or path.startswith(_EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        policy, who = self._caller(scope)
        allowed, remaining, reset_time = await self._counter.hit(policy.item, who)
        reset_s = max(0, math.ceil(reset_time - time.time()))
        headers = [
            (b"ratelimit-policy", policy.field_bytes),
            (b"ratelimit", policy_fields(policy.name, remaining, reset_s).encode()),
        ]
        if not allowed:
            error = RateLimited(
                f"more than {policy.item.amount} requests in {policy.item.get_expiry()} s by "
                f"this {policy.name}; retry after {max(reset_s, 1)} s",
                rule=policy.name,
                limit=policy.item.amount,
                window_s=policy.item.get_expiry(),
                retry_after=max(reset_s, 1),
            )
            response = problem_response(error, Request(scope))
            response.raw_headers.extend(headers)
            await response(scope, receive, send)
            return

        async def send_with_fields(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        await self.app(scope, receive, send_with_fields)

    def _caller(self, scope: Scope) -> tuple[_Policy, str]:
        """The policy and the key of the caller: its credential's hash, else its address
        (read from the raw headers: a Request and its Headers cost more than the count)."""
        credential = _header(scope, b"authorization")
        if credential:
            return self._credential, hashlib.sha256(credential).hexdigest()[:32]
        client = scope.get("client")
        host = client[0] if client else "unknown"
        return self._anonymous, f"address:{host}"


def _header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of a header (`name` lower-case, as ASGI servers give names)."""
    for key, value in scope.get("headers", ()):
        if key == name:
            found: bytes = value
            return found
    return None


class AccountQuota:
    """The quota of one account over all its credentials (tokens, API keys, apps' tokens),
    counted once the credential is resolved to its account (`api/deps.authenticate`); the
    middleware above counts per credential before anything runs.

    In one process it is the middleware's own O(1) window, under a lock: the like's cached
    token counts it on the event loop, other credentials in worker threads. The `limits`
    memory storage it used before cost half the like's CPU (a timer thread per hit). With a
    shared store (`redis://...`) it is the `limits` moving window there.
    """

    def __init__(self, settings: Settings) -> None:
        self._item = limits.parse(settings.rate_limit_account)
        storage = settings.rate_limit_storage
        self._shared = None
        if not storage.startswith("memory://"):
            self._shared = SyncMovingWindowRateLimiter(storage_from_string(storage))
        self._windows = _MemoryWindows()
        self._lock = threading.Lock()

    def count(self, account_id: int) -> None:
        """RateLimited (429, Retry-After) when the account is over its quota."""
        key = str(account_id)
        if self._shared is None:
            with self._lock:
                allowed, _, reset_time = self._windows.hit_now(self._item, key, time.time())
            if allowed:
                return
        elif self._shared.hit(self._item, "account", key):
            return
        else:
            reset_time = self._shared.get_window_stats(self._item, "account", key).reset_time
        wait = max(1, math.ceil(reset_time - time.time()))
        raise RateLimited(
            f"this account made more than {self._item.amount} requests in "
            f"{self._item.get_expiry()} s with all its credentials; retry after {wait} s",
            rule="account",
            limit=self._item.amount,
            window_s=self._item.get_expiry(),
            retry_after=wait,
        )
