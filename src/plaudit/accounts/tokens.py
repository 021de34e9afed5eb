"""Bearer tokens bound to an account: random, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["TOKEN_PREFIX", "hash_token", "new_token"]

TOKEN_PREFIX = "pl_"


def new_token() -> str:
    """A fresh token with 256 bits of entropy (the prefix makes leaked tokens easy to grep)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> bytes:
    """What the database keeps: a leaked table does not reveal usable tokens."""
    return hashlib.sha256(token.encode()).digest()
