"""Webhooks as the Standard Webhooks specification has them (standardwebhooks.com): events,
the retry schedule, secrets, signatures, and which targets are refused (SSRF)."""

from __future__ import annotations

import base64
import ipaddress
import secrets
import socket
from datetime import datetime
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from standardwebhooks.webhooks import Webhook

from plaudit.errors import InvalidInput

__all__ = [
    "EVENT_TYPES",
    "RETRY_SCHEDULE_S",
    "SCHEMES",
    "check_target",
    "new_secret",
    "parse_events",
    "public_secret",
    "sign",
]

#: Signature schemes of the Standard Webhooks specification: `v1` (HMAC-SHA256 with a shared
#: `whsec_` secret) and `v1a` (Ed25519: Plaudit keeps the `whsk_` signing key, the receiver
#: verifies with the `whpk_` public key, so a leak at the receiver cannot forge events).
SCHEMES = ("v1", "v1a")
_SIGNING_KEY = "whsk_"
_PUBLIC_KEY = "whpk_"

#: Events an endpoint can ask for; `webhook.test` is sent by hand to one endpoint.
EVENT_TYPES = (
    "ledger.checkpoint_signed",
    "verdict.issued",
    "like.revoked",
    "like.reinstated",
    "campaign.completion_released",
    "campaign.budget_exhausted",
    "coupon.redeemed",
    "fund.period_closed",
    "webhook.test",
)

#: Seconds before each retry after a failed attempt: the schedule the Standard Webhooks
#: reference implementation uses (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); after the last
#: one the message is failed (about 27.6 h after the first attempt).
RETRY_SCHEDULE_S = (5, 300, 1800, 7200, 18000, 36000, 36000)


def new_secret(scheme: str = "v1") -> str:
    """What Plaudit keeps to sign: for `v1` the shared `whsec_` secret (base64 of 24 random
    bytes), for `v1a` the `whsk_` Ed25519 signing key (base64 of its 32-byte seed)."""
    if scheme == "v1a":
        return _SIGNING_KEY + base64.b64encode(secrets.token_bytes(32)).decode()
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _ed25519(secret: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(secret[len(_SIGNING_KEY) :]))


def public_secret(secret: str) -> str:
    """What the receiver is given: the `whsec_` secret itself, or a `whsk_` key's `whpk_`
    public key (base64 of the raw 32 bytes)."""
    if not secret.startswith(_SIGNING_KEY):
        return secret
    raw = _ed25519(secret).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return _PUBLIC_KEY + base64.b64encode(raw).decode()


def _sign_one(secret: str, msg_id: str, at: datetime, body: bytes) -> str:
    if not secret.startswith(_SIGNING_KEY):
        return str(Webhook(secret).sign(msg_id, at, body))
    content = f"{msg_id}.{int(at.timestamp())}.".encode() + body  # the spec's signed content
    return "v1a," + base64.b64encode(_ed25519(secret).sign(content)).decode()


def sign(secrets_: list[str], msg_id: str, at: datetime, body: bytes) -> str:
    """`webhook-signature`: one `v1,<base64 HMAC-SHA256>` or `v1a,<base64 Ed25519>` per valid
    secret, space-separated (two during a rotation, so receivers holding either verify)."""
    return " ".join(_sign_one(secret, msg_id, at, body) for secret in secrets_)


def parse_events(events: list[str]) -> tuple[str, ...]:
    unknown = [e for e in events if e not in EVENT_TYPES]
    if not events or unknown:
        raise InvalidInput(
            f"events must be some of {', '.join(EVENT_TYPES)}; not known: {unknown}",
            field="events",
        )
    return tuple(sorted(set(events)))


def check_target(url: str, allow_private: bool) -> None:
    """Refuse URLs that are not http(s), and (unless allowed) any host that resolves to a
    private, loopback, link-local, multicast or reserved address: a webhook must not become
    a way to reach the operator's own network (SSRF)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("url must be an absolute http:// or https:// URL", field="url")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        raise InvalidInput(f"url host {parts.hostname!r} does not resolve", field="url") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise InvalidInput(
                f"url host {parts.hostname!r} resolves to {address}, a private, loopback or "
                "link-local address; webhooks go to public hosts only",
                field="url",
            )
