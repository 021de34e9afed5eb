"""Rate limits per credential (account token or API key) and per client address, with the
IETF httpapi draft's `RateLimit-Policy` and `RateLimit` fields on every answer.

Counting is the `limits` library's moving window, in memory per process by default or in a
store shared by every API process (`rate_limit_storage = redis://...`). Over the limit a
request is a `429 rate-limited` problem with `Retry-After`; nothing behind it runs.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

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


def policy_fields(name: str, remaining: int, reset_s: int) -> str:
    """`RateLimit`: the quota units `r` left in the window that resets in `t` seconds."""
    return f'"{name}";r={remaining};t={reset_s}'


class RateLimitMiddleware:
    """Counts each request against its caller's policy and says so in the answer."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        storage = storage_from_string("async+" + settings.rate_limit_storage)
        self._limiter = MovingWindowRateLimiter(storage)
        self._credential = _Policy("credential", limits.parse(settings.rate_limit))
        self._anonymous = _Policy("anonymous", limits.parse(settings.rate_limit_anonymous))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in _EXEMPT or path.startswith(_EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        policy, who = self._caller(request)
        allowed = await self._limiter.hit(policy.item, who)
        stats = await self._limiter.get_window_stats(policy.item, who)
        reset_s = max(0, math.ceil(stats.reset_time - time.time()))
        headers = [
            (b"ratelimit-policy", policy.field.encode()),
            (b"ratelimit", policy_fields(policy.name, stats.remaining, reset_s).encode()),
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
            response = problem_response(error, request)
            response.raw_headers.extend(headers)
            await response(scope, receive, send)
            return

        async def send_with_fields(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        await self.app(scope, receive, send_with_fields)

    def _caller(self, request: Request) -> tuple[_Policy, str]:
        credential = request.headers.get("authorization")
        if credential:
            return self._credential, hashlib.sha256(credential.encode()).hexdigest()[:32]
        host = request.client.host if request.client else "unknown"
        return self._anonymous, f"address:{host}"


class AccountQuota:
    """The quota of one account over all its credentials (tokens, API keys, apps' tokens),
    counted once the credential is resolved to its account (`api/deps.authenticate`); the
    middleware above counts per credential before anything runs."""

    def __init__(self, settings: Settings) -> None:
        self._limiter = SyncMovingWindowRateLimiter(
            storage_from_string(settings.rate_limit_storage)
        )
        self._item = limits.parse(settings.rate_limit_account)

    def count(self, account_id: int) -> None:
        """RateLimited (429, Retry-After) when the account is over its quota."""
        key = str(account_id)
        if self._limiter.hit(self._item, "account", key):
            return
        stats = self._limiter.get_window_stats(self._item, "account", key)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(
            f"this account made more than {self._item.amount} requests in "
            f"{self._item.get_expiry()} s with all its credentials; retry after {wait} s",
            rule="account",
            limit=self._item.amount,
            window_s=self._item.get_expiry(),
            retry_after=wait,
        )
