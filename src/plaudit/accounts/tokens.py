"""Bearer tokens bound to an account: random, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
import time

__all__ = ["TOKEN_PREFIX", "TokenCache", "hash_token", "new_token"]

TOKEN_PREFIX = "pl_"


def new_token() -> str:
    """A fresh token with 256 bits of entropy (the prefix makes leaked tokens easy to grep)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> bytes:
    """What the database keeps: a leaked table does not reveal usable tokens."""
    return hashlib.sha256(token.encode()).digest()


class TokenCache:
    """Valid token hashes seen recently, so a busy client is not looked up on every request.

    Only valid tokens are cached (a forged token always reaches the database), and an entry
    lives `ttl_s` seconds, so revoking a token takes effect within that time.
    """

    def __init__(self, ttl_s: float, max_entries: int = 100_000) -> None:
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._entries: dict[bytes, tuple[int, float]] = {}

    def get(self, token_hash: bytes) -> int | None:
        entry = self._entries.get(token_hash)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def forget(self, account_id: int) -> None:
        """Drop the account's cached tokens: a revocation in this process is immediate."""
        for key in [k for k, (owner, _) in self._entries.items() if owner == account_id]:
            self._entries.pop(key, None)

    def put(self, token_hash: bytes, account_id: int) -> None:
        if len(self._entries) >= self._max_entries:
            self._entries.clear()  # simple and bounded; the next requests refill it
        self._entries[token_hash] = (account_id, time.monotonic() + self._ttl_s)
