"""Accounts: create them, give them tokens, authenticate requests, keep profiles."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection, Row

from plaudit.accounts.model import (
    PROFILE_FIELDS,
    Account,
    Profile,
    Token,
    validate_handle,
    validate_kind,
    validate_profile,
)
from plaudit.accounts.tokens import TOKEN_PREFIX, TokenCache, hash_token, new_token
from plaudit.errors import (
    AccountNotFound,
    HandleTaken,
    InvalidInput,
    NotAuthenticated,
    NotFound,
)
from plaudit.store import Database, utcnow
from plaudit.store import catalog as sql

__all__ = ["AccountService", "require_creator"]


def require_creator(conn: Connection, account_id: int, purpose: str) -> None:
    """The account exists and is a creator, or a precise error: AccountNotFound, or
    InvalidInput naming its kind and `purpose` (what only creators have)."""
    account = sql.get_account(conn, account_id)
    if account is None:
        raise AccountNotFound(f"account {account_id} does not exist", account_id=account_id)
    if account.kind != "creator":
        raise InvalidInput(
            f"account {account_id} is a {account.kind}; {purpose}", field="creator_id"
        )


_CREATED_MAX = 200_000
"""Most account creation times kept in memory (about 30 MB at most)."""


def _check_token_shape(token: str) -> None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        raise NotAuthenticated(
            "the bearer token is malformed; get one from `plaudit accounts token ID`"
        )


def _account(row: Row[Any]) -> Account:
    return Account(row.id, row.handle, row.kind, row.display_name, row.created_at)


class AccountService:
    """Use cases of accounts; each public method is one transaction."""

    def __init__(self, db: Database, token_cache_s: float = 30.0, token_ttl_s: float = 0.0) -> None:
        self._db = db
        self._token_ttl = timedelta(seconds=token_ttl_s) if token_ttl_s > 0 else None
        # an expiring token must not outlive its expiry in the cache either
        cache_s = min(token_cache_s, token_ttl_s) if token_ttl_s > 0 else token_cache_s
        self._token_cache = TokenCache(cache_s)
        self._created: dict[int, datetime] = {}

    def create(self, handle: str, kind: str = "fan", display_name: str = "") -> tuple[Account, str]:
        """Create an account and its first token; the token is returned only this once."""
        validate_handle(handle)
        validate_kind(kind)

        def create(conn: Connection) -> tuple[Account, str]:
            if sql.account_by_handle(conn, handle) is not None:
                raise HandleTaken(f"handle {handle!r} is taken; choose another", handle=handle)
            now = utcnow()
            values = {
                "handle": handle,
                "kind": kind,
                "display_name": display_name,
                "created_at": now,
            }
            account_id = sql.insert_account(conn, values)
            token = new_token()
            sql.insert_token(conn, account_id, hash_token(token), now)
            return Account(account_id, handle, kind, display_name, now), token

        return self._db.write(create)

    def issue_token(self, account_id: int) -> str:
        """A new bearer token for an existing account (earlier tokens stay valid)."""

        def issue(conn: Connection) -> str:
            if sql.get_account(conn, account_id) is None:
                raise AccountNotFound(f"account {account_id} does not exist")
            token = new_token()
            sql.insert_token(conn, account_id, hash_token(token), utcnow())
            return token

        return self._db.write(issue)

    def authenticate(self, token: str) -> int:
        """The account id a bearer token belongs to; NotAuthenticated when it is not valid."""
        cached = self.cached_account(token)
        if cached is not None:
            return cached
        _check_token_shape(token)
        token_hash = hash_token(token)
        with self._db.read() as conn:
            owner = sql.token_owner(conn, token_hash)
        if owner is None:
            raise NotAuthenticated("the bearer token is not valid or was revoked")
        if self._token_ttl is not None and utcnow() >= owner.token_created_at + self._token_ttl:
            raise NotAuthenticated(
                "the bearer token has expired; get a new one with "
                "`plaudit accounts token ID` (tokens live `token_ttl_s` seconds)"
            )
        self._token_cache.put(token_hash, owner.account_id)
        self._remember_created(owner.account_id, owner.account_created_at)
        return owner.account_id

    def cached_account(self, token: str) -> int | None:
        """The account of a token validated lately (within the token cache's lifetime), or
        None when `authenticate` must ask the database. Never blocks: an event loop can call
        it and send only the misses to a thread."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
            return None
        return self._token_cache.get(hash_token(token))

    def created_at(self, account_id: int) -> datetime:
        """When the account was created. It never changes, so it is kept once read; reading
        a token's owner reads it too, so an authenticated caller's first like reads nothing
        more (the real-time rules' new-account test asks)."""
        found = self._created.get(account_id)
        if found is None:
            found = self.get(account_id).created_at
            self._remember_created(account_id, found)
        return found

    def knows_created_at(self, account_id: int) -> bool:
        """True when `created_at(account_id)` answers without reading the database."""
        return account_id in self._created

    def _remember_created(self, account_id: int, created_at: datetime) -> None:
        if len(self._created) >= _CREATED_MAX:
            self._created.clear()  # bounded; the next token lookups refill it
        self._created[account_id] = created_at

    def _expires(self, created_at: datetime) -> datetime | None:
        return None if self._token_ttl is None else created_at + self._token_ttl

    def tokens(self, account_id: int) -> list[Token]:
        """The account's tokens, oldest first (ids and times, never the secrets)."""
        with self._db.read() as conn:
            rows = sql.list_tokens(conn, account_id)
        return [Token(r.id, r.created_at, r.revoked_at, self._expires(r.created_at)) for r in rows]

    def revoke_token(self, account_id: int, token_id: int | None = None) -> int:
        """Revoke one of the account's tokens (`token_id`) or all of them (None).

        Another account's token id answers exactly as a missing one. Returns how many were
        revoked; in this process the revocation is immediate, in others within the token
        cache's lifetime (30 s).
        """

        def revoke(conn: Connection) -> int:
            if sql.get_account(conn, account_id) is None:
                raise AccountNotFound(f"account {account_id} does not exist")
            if token_id is not None and token_id not in {
                r.id for r in sql.list_tokens(conn, account_id) if r.revoked_at is None
            }:
                raise NotFound(f"no active token {token_id} of yours; list them first")
            return sql.revoke_tokens(conn, account_id, utcnow(), token_id)

        count = self._db.write(revoke)
        self._token_cache.forget(account_id)
        return count

    def erase(self, account_id: int, confirm: str) -> None:
        """Erase the person behind the account (profile, tokens, ledger secret, handle).

        `confirm` must be the account's handle: erasure cannot be undone. Counts, the
        ledger and its proofs stay as they are; the account's entries can no longer be
        linked to it (docs/security.md, "Deleting an account").
        """

        def erase(conn: Connection) -> None:
            row = sql.get_account(conn, account_id)
            if row is None:
                raise AccountNotFound(f"account {account_id} does not exist")
            if confirm != row.handle:
                raise InvalidInput(
                    "deleting an account cannot be undone: confirm with the account's handle "
                    f"(confirm={row.handle})",
                    field="confirm",
                )
            sql.erase_account(conn, account_id, utcnow())

        self._db.write(erase)
        self._token_cache.forget(account_id)

    def get(self, account_id: int) -> Account:
        with self._db.read() as conn:
            row = sql.get_account(conn, account_id)
        if row is None:
            raise AccountNotFound(f"account {account_id} does not exist")
        return _account(row)

    def get_profile(self, account_id: int) -> Profile:
        with self._db.read() as conn:
            if sql.get_account(conn, account_id) is None:
                raise AccountNotFound(f"account {account_id} does not exist")
            row = sql.get_profile(conn, account_id)
        if row is None:
            return Profile(account_id, None, None, None, None, None, None, True, True)
        return Profile(
            account_id,
            row.birth_year,
            row.gender,
            row.province,
            row.city,
            row.city_tier,
            row.spending_band,
            bool(row.consent_personalisation),
            bool(row.consent_targeting),
        )

    def update_profile(self, account_id: int, values: dict[str, Any]) -> Profile:
        """Change some profile fields (consent flags included); the others keep their value."""
        now = utcnow()
        unknown = set(values) - PROFILE_FIELDS
        if unknown:
            raise InvalidInput(
                f"not profile fields: {', '.join(sorted(unknown))}; allowed: "
                f"{', '.join(sorted(PROFILE_FIELDS))}",
                field=min(unknown),
            )
        validate_profile(values, now.year)

        def update(conn: Connection) -> None:
            if sql.get_account(conn, account_id) is None:
                raise AccountNotFound(f"account {account_id} does not exist")
            sql.upsert_profile(conn, account_id, {**values, "updated_at": now})

        self._db.write(update)
        return self.get_profile(account_id)
