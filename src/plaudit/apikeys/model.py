"""API keys: the secret's format, scopes and what a key's owner sees of it."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from plaudit.errors import InvalidInput

__all__ = [
    "KEY_PATTERN",
    "KEY_PREFIX",
    "RESOURCES",
    "ApiKey",
    "grants",
    "hash_key",
    "new_key",
    "parse_scopes",
]

#: Every key starts with this, so secret scanners (and `git grep`) find leaked ones.
KEY_PREFIX = "plaudit_sk_"
#: The whole key, for a scanner's rule: the prefix and 43 URL-safe base64 characters.
KEY_PATTERN = re.compile(r"\bplaudit_sk_[A-Za-z0-9_-]{43}\b")
#: The resources scopes name; each has `:read` and `:write` (write implies read).
RESOURCES = (
    "profile",
    "likes",
    "social",
    "videos",
    "bulk",
    "verdicts",
    "creators",
    "experiments",
    "segments",
    "campaigns",
    "reports",
    "coupons",
    "fund",
    "recommendations",
    "ledger",
    "webhooks",
)
_SHOWN = len(KEY_PREFIX) + 4  # what a listing shows of a key, to recognise it


@dataclass(frozen=True)
class ApiKey:
    """A key as its owner sees it: never the secret, which exists only in the create answer."""

    id: int
    account_id: int
    organisation_id: int | None
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


def new_key() -> tuple[str, str]:
    """A fresh secret (256 random bits) and the start of it that listings show."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    return secret, secret[:_SHOWN]


def hash_key(secret: str) -> bytes:
    """What the database keeps: a leaked table does not give usable keys."""
    return hashlib.sha256(secret.encode()).digest()


def parse_scopes(scopes: list[str]) -> tuple[str, ...]:
    """Validated, deduplicated, sorted scopes; a bad one is named with what is accepted."""
    if not scopes:
        raise InvalidInput("a key needs at least one scope, e.g. `likes:read`", field="scopes")
    for scope in scopes:
        resource, _, access = scope.partition(":")
        if resource not in RESOURCES or access not in ("read", "write"):
            raise InvalidInput(
                f"scope {scope!r} is not valid: use RESOURCE:read or RESOURCE:write with "
                f"RESOURCE one of {', '.join(RESOURCES)}",
                field="scopes",
            )
    return tuple(sorted(set(scopes)))


def grants(scopes: tuple[str, ...], needed: str) -> bool:
    """Whether the scopes allow `needed`; `RESOURCE:write` includes `RESOURCE:read`."""
    if needed in scopes:
        return True
    resource, _, access = needed.partition(":")
    return access == "read" and f"{resource}:write" in scopes
