"""Sign-in for people: argon2id passwords, server-side sessions, CSRF tokens, attempt limits.

A session cookie holds 32 random bytes; the database keeps only their SHA-256, so a copy of
the table opens no session. Each session has its own CSRF token, which every form sends
back. Failed attempts are counted per handle and per client address in this process
(sliding window), like the real-time rules: enough to stop guessing, no extra table.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from plaudit.errors import InvalidInput, NotAuthenticated, RateLimited
from plaudit.store import Database, catalog, utcnow
from plaudit.store import console as sql

__all__ = ["SESSION_COOKIE", "AttemptLimiter", "SignIns", "Viewer"]

SESSION_COOKIE = "plaudit_session"
SESSION_DAYS = 14
MIN_PASSWORD = 10


@dataclass(frozen=True)
class Viewer:
    """The signed-in person a request comes from."""

    account_id: int
    handle: str
    kind: str
    display_name: str
    csrf: str


class AttemptLimiter:
    """At most `limit` failed attempts per key in `window_s` seconds."""

    def __init__(self, limit: int = 5, window_s: float = 900.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, *keys: str) -> None:
        """RateLimited when any key has used up its attempts."""
        now = time.monotonic()
        with self._lock:
            for key in keys:
                recent = self._recent(key, now)
                if len(recent) >= self.limit:
                    wait = int(recent[0] + self.window_s - now) + 1
                    raise RateLimited(
                        f"too many failed sign-ins; try again in {wait} seconds", retry_after=wait
                    )

    def fail(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def _recent(self, key: str, now: float) -> deque[float]:
        recent = self._failures.setdefault(key, deque())
        while recent and recent[0] <= now - self.window_s:
            recent.popleft()
        return recent


def _digest(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


class SignIns:
    """Passwords and sessions of the console; each public method is one transaction."""

    def __init__(self, db: Database, limiter: AttemptLimiter | None = None) -> None:
        self._db = db
        self._hasher = PasswordHasher()  # argon2id, RFC 9106 second recommended profile
        self.limiter = limiter or AttemptLimiter()

    @functools.cached_property
    def _dummy(self) -> str:
        """Verifying against this when the handle is unknown takes as long as a real check;
        made on first use, not at every start (an argon2id hash costs a good part of it)."""
        return self._hasher.hash(secrets.token_urlsafe(16))

    def set_password(self, account_id: int, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(
                f"a password needs at least {MIN_PASSWORD} characters", field="password"
            )
        hashed = self._hasher.hash(password)

        def op(conn: Connection) -> None:
            if catalog.get_account(conn, account_id) is None:
                raise InvalidInput(f"account {account_id} does not exist", field="account")
            sql.set_password(conn, account_id, hashed, utcnow())

        self._db.write(op)

    def sign_in(self, handle: str, password: str, client: str) -> str:
        """A new session id for a right handle and password; NotAuthenticated otherwise."""
        keys = (f"handle:{handle}", f"client:{client}")
        self.limiter.check(*keys)
        with self._db.read() as conn:
            row = sql.password_of_handle(conn, handle)
        if not self._verify(row.password_hash if row else self._dummy, password) or row is None:
            self.limiter.fail(*keys)
            raise NotAuthenticated("the handle or the password is not right")
        return self.open_session(int(row.id))

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self._hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    def open_session(self, account_id: int) -> str:
        """A new session for an account whose person proved who they are."""
        session_id = secrets.token_urlsafe(32)
        now = utcnow()
        values = {
            "id_hash": _digest(session_id),
            "account_id": account_id,
            "csrf": secrets.token_urlsafe(32),
            "created_at": now,
            "expires_at": now + timedelta(days=SESSION_DAYS),
        }
        self._db.write(lambda conn: sql.insert_session(conn, values))
        return session_id

    def viewer(self, session_id: str | None) -> Viewer | None:
        """The person of a session cookie, or None when absent, unknown or expired."""
        if not session_id or len(session_id) > 128:
            return None
        with self._db.read() as conn:
            row = sql.get_session(conn, _digest(session_id), utcnow())
        if row is None:
            return None
        return Viewer(int(row.account_id), row.handle, row.kind, row.display_name, row.csrf)

    def sign_out(self, session_id: str) -> None:
        self._db.write(lambda conn: sql.delete_session(conn, _digest(session_id)))

    def sign_out_everywhere(self, account_id: int) -> int:
        return self._db.write(lambda conn: sql.delete_sessions_of(conn, account_id))

    def tokens(self, account_id: int) -> list[dict[str, object]]:
        with self._db.read() as conn:
            rows = sql.tokens_of(conn, account_id)
        return [dict(row._mapping) for row in rows]

    def revoke_token(self, account_id: int, token_id: int) -> None:
        def op(conn: Connection) -> None:
            if not sql.revoke_token(conn, account_id, token_id, utcnow()):
                raise InvalidInput(f"you have no live token {token_id}", field="token")

        self._db.write(op)


def require(viewer: Viewer | None) -> Viewer:
    """The viewer, or NotAuthenticated (the console turns it into the sign-in page)."""
    if viewer is None:
        raise NotAuthenticated("sign in to see this page")
    return viewer
