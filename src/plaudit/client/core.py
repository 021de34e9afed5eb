"""What the sync and async clients share: problems as exceptions, retry decisions, the
rate-limit fields, and verifying a webhook."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from standardwebhooks.webhooks import Webhook

__all__ = ["ApiError", "RateLimit", "Retry", "verify_webhook"]

_RATELIMIT = re.compile(r'"(?P<name>[^"]+)";r=(?P<r>\d+);t=(?P<t>\d+)')
RETRIED = (429, 503)


class ApiError(Exception):
    """A problem answer (RFC 9457): branch on `type` (the slug after the base URI)."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        # a problem's `type`, or an OAuth error's `error` (RFC 6749 5.2) from /v1/oauth/...
        self.type = str(problem.get("type") or problem.get("error", "")).rsplit("/", 1)[-1]
        self.detail = str(problem.get("detail") or problem.get("error_description", ""))
        super().__init__(f"{status} {self.type}: {self.detail}")


@dataclass(frozen=True)
class RateLimit:
    """The `RateLimit` field of the last answer: units left and seconds until reset."""

    policy: str
    remaining: int
    reset_s: int

    @classmethod
    def of(cls, response: httpx.Response) -> RateLimit | None:
        match = _RATELIMIT.fullmatch(response.headers.get("ratelimit", ""))
        if match is None:
            return None
        return cls(match["name"], int(match["r"]), int(match["t"]))


@dataclass
class Retry:
    """One request's retry state: its idempotency key and how many attempts are left."""

    attempts_left: int
    backoff_s: float
    idempotency_key: str | None

    @classmethod
    def start(cls, method: str, retries: int, key: str | None) -> Retry:
        if method == "POST" and key is None:
            key = str(uuid.uuid4())  # the same on every retry: the server replays the first
        return cls(retries, 0.5, key)

    def headers(self) -> dict[str, str]:
        return {"Idempotency-Key": self.idempotency_key} if self.idempotency_key else {}

    def wait_after(self, response: httpx.Response | None) -> float | None:
        """Seconds to wait before trying again, or None when the answer is final."""
        if self.attempts_left <= 0:
            return None
        if response is not None and response.status_code not in RETRIED:
            return None
        self.attempts_left -= 1
        wait = self.backoff_s
        self.backoff_s = min(self.backoff_s * 2, 30.0)
        if response is not None:
            after = response.headers.get("retry-after", "")
            if after.isdigit():
                wait = max(wait, float(after))
            elif response.status_code == 429 and (limit := RateLimit.of(response)):
                wait = max(wait, float(limit.reset_s))
        return wait


def result(response: httpx.Response) -> Any:
    """The answer's JSON (text for other media types); ApiError for a problem."""
    if response.status_code >= 400:
        try:
            problem = response.json()
        except ValueError:
            problem = {"type": "http-error", "detail": response.text}
        raise ApiError(response.status_code, problem)
    if response.status_code == 204 or not response.content:
        return None
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()
    return response.text


_TOLERANCE_S = 5 * 60  # the spec's window against replays, as the `standardwebhooks` package


def verify_webhook(secret: str, body: bytes | str, headers: dict[str, str]) -> dict[str, Any]:
    """The event of a webhook request after checking its Standard Webhooks signature (and
    timestamp); raises when it was not signed with `secret` (or the previous secret).

    `secret` is the endpoint's `whsec_...` (`v1`, HMAC-SHA256) or `whpk_...` public key (`v1a`,
    Ed25519); a `v1a` failure is a ValueError naming the signature."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if secret.startswith("whpk_"):
        return _verify_v1a(secret, body.encode() if isinstance(body, str) else body, lowered)
    event: dict[str, Any] = Webhook(secret).verify(body, lowered)
    return event


def _verify_v1a(public: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    msg_id, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > _TOLERANCE_S:
        raise ValueError("the webhook-timestamp is missing or more than 5 minutes off")
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public.removeprefix("whpk_")))
    content = f"{msg_id}.{stamp}.".encode() + body
    for signature in headers.get("webhook-signature", "").split():
        version, _, value = signature.partition(",")
        try:
            if version == "v1a":
                key.verify(base64.b64decode(value), content)
                event: dict[str, Any] = json.loads(body)
                return event
        except (InvalidSignature, ValueError):
            continue
    raise ValueError("no v1a signature of this webhook verifies with the public key")
