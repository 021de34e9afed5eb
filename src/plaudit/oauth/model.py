"""Third-party apps and their credentials: formats, redirect URI rules, the scopes an app may
ask for, and what an app's developer sees of it (docs/api.md, "Third-party apps (OAuth)")."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from plaudit.apikeys.model import RESOURCES, parse_scopes
from plaudit.errors import InvalidInput

__all__ = [
    "ACCESS_PREFIX",
    "APP_RESOURCES",
    "CLIENT_PREFIX",
    "REFRESH_PREFIX",
    "SECRET_PREFIX",
    "TOKEN_PATTERN",
    "App",
    "Authorization",
    "digest",
    "new_client_id",
    "new_secret",
    "parse_app_scopes",
    "parse_redirect_uris",
]

#: Recognisable prefixes, so secret scanners find leaked ones (as `plaudit_sk_` keys).
ACCESS_PREFIX = "plaudit_at_"
REFRESH_PREFIX = "plaudit_rt_"
SECRET_PREFIX = "plaudit_cs_"
CLIENT_PREFIX = "plaudit_app_"
TOKEN_PATTERN = re.compile(r"\bplaudit_(?:at|rt|cs)_[A-Za-z0-9_-]{43}\b")

#: The resources an app may ask scopes of. Left out, because their answers carry other
#: people's data: `verdicts` (which fans' likes were revoked), `creators` (the inbox holds
#: fans' comments), `experiments` (assignments name fans), `bulk` (gateways only), and the
#: brand side (`campaigns`, `reports`, `coupons`): apps act for creators.
APP_RESOURCES = (
    "profile",
    "likes",
    "social",
    "videos",
    "segments",
    "fund",
    "recommendations",
    "ledger",
    "webhooks",
)
assert set(APP_RESOURCES) <= set(RESOURCES)

_MAX_REDIRECTS = 10
_LOOPBACK_NAMES = ("localhost",)


@dataclass(frozen=True)
class App:
    """An app as its developer sees it; never its secret, shown once at registration."""

    id: int
    client_id: str
    account_id: int
    name: str
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    confidential: bool
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class Authorization:
    """An app a person let act for them, as that person sees it on their settings page."""

    app_id: int
    name: str
    developer: str
    scopes: tuple[str, ...]
    since: datetime
    renewed_at: datetime


def _random(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)  # 256 bits, 43 characters


def new_client_id() -> str:
    """A public client identifier (RFC 6749 section 2.2): not a secret."""
    return CLIENT_PREFIX + secrets.token_urlsafe(12)


def new_secret() -> str:
    return _random(SECRET_PREFIX)


def new_access_token() -> str:
    return _random(ACCESS_PREFIX)


def new_refresh_token() -> str:
    return _random(REFRESH_PREFIX)


def digest(secret: str) -> bytes:
    """What the database keeps of every code, token and client secret."""
    return hashlib.sha256(secret.encode()).digest()


def parse_app_scopes(scopes: list[str]) -> tuple[str, ...]:
    """Scopes from the API key vocabulary, limited to the resources apps may use."""
    parsed = parse_scopes(scopes)
    refused = [s for s in parsed if s.partition(":")[0] not in APP_RESOURCES]
    if refused:
        raise InvalidInput(
            f"apps may not ask for {', '.join(refused)}: their answers hold other people's "
            f"data; use RESOURCE:read or RESOURCE:write with RESOURCE one of "
            f"{', '.join(APP_RESOURCES)}",
            field="scopes",
        )
    return parsed


def _loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_redirect_uris(uris: list[str]) -> tuple[str, ...]:
    """Exact redirect URIs (RFC 9700 section 2.1: compared as strings): https, or http on a
    loopback host for native apps (RFC 8252 section 7.3); no fragment (RFC 6749 3.1.2)."""
    if not uris or len(uris) > _MAX_REDIRECTS:
        raise InvalidInput(
            f"an app needs 1 to {_MAX_REDIRECTS} redirect URIs", field="redirect_uris"
        )
    for uri in uris:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        secure = parts.scheme == "https" or (parts.scheme == "http" and _loopback(host))
        if not host or not secure or parts.fragment or "#" in uri or " " in uri:
            raise InvalidInput(
                f"redirect URI {uri!r} is not allowed: use an absolute https:// URL (or "
                "http:// on 127.0.0.1, [::1] or localhost) without a #fragment",
                field="redirect_uris",
            )
    return tuple(dict.fromkeys(uris))
