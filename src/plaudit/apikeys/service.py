"""Scoped API keys, in the manner of Stripe's restricted keys.

A key acts as the account that made it, limited to its scopes. A creator (or an operator)
makes keys for itself; an owner of an organisation makes the organisation's keys, which any
of its owners lists and revokes, and which stop working once their maker leaves it.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Row

from plaudit.apikeys.model import ApiKey, grants, hash_key, new_key, parse_scopes
from plaudit.errors import (
    ApiKeyNotFound,
    Forbidden,
    InvalidInput,
    MissingScope,
    NotAuthenticated,
    OrganisationNotFound,
)
from plaudit.store import Database, utcnow
from plaudit.store import apikeys as sql
from plaudit.store import campaigns as campaign_sql
from plaudit.store import catalog as account_sql

__all__ = ["ApiKeyService"]

_KINDS = ("creator", "brand", "operator")
_TOUCH_EVERY_S = 60.0  # last use is written at most once a minute per key


def _key(row: Row[Any]) -> ApiKey:
    return ApiKey(
        row.id,
        row.account_id,
        row.organisation_id,
        row.name,
        row.prefix,
        tuple(row.scopes.split()),
        row.created_at,
        row.expires_at,
        row.revoked_at,
        row.last_used_at,
    )


class ApiKeyService:
    """Use cases of API keys; each public method is one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._touched: dict[int, float] = {}

    def create(
        self,
        account_id: int,
        name: str,
        scopes: list[str],
        organisation_id: int | None = None,
        expires_at: datetime | None = None,
    ) -> tuple[ApiKey, str]:
        """A new key and its secret; the secret is returned only this once."""
        parsed = parse_scopes(scopes)
        now = utcnow()
        if expires_at is not None and expires_at <= now:
            raise InvalidInput("expires_at must be in the future", field="expires_at")

        def create(conn: Connection) -> tuple[ApiKey, str]:
            self._check_maker(conn, account_id, organisation_id)
            secret, prefix = new_key()
            values = {
                "account_id": account_id,
                "organisation_id": organisation_id,
                "name": name,
                "prefix": prefix,
                "key_hash": hash_key(secret),
                "scopes": " ".join(parsed),
                "created_at": now,
                "expires_at": expires_at,
            }
            key_id = sql.insert_key(conn, values)
            row = sql.get_key(conn, key_id)
            assert row is not None
            return _key(row), secret

        return self._db.write(create)

    def keys(self, account_id: int, organisation_id: int | None = None) -> list[ApiKey]:
        """The caller's own keys, or (for its owners) an organisation's."""
        with self._db.read() as conn:
            if organisation_id is not None:
                self._check_owner(conn, account_id, organisation_id)
            return [_key(row) for row in sql.list_keys(conn, account_id, organisation_id)]

    def key(self, account_id: int, key_id: int) -> ApiKey:
        with self._db.read() as conn:
            return _key(self._visible(conn, account_id, key_id))

    def revoke(self, account_id: int, key_id: int) -> ApiKey:
        """Revoke a key at once; revoking twice changes nothing."""

        def revoke(conn: Connection) -> ApiKey:
            self._visible(conn, account_id, key_id)
            sql.revoke_key(conn, key_id, utcnow())
            row = sql.get_key(conn, key_id)
            assert row is not None
            return _key(row)

        return self._db.write(revoke)

    def authenticate(self, secret: str, needed: str | None) -> int:
        """The account a key acts as, when it is valid and has the `needed` scope.

        401 for an unknown, revoked or expired key (or an organisation key whose maker left),
        403 `missing-scope` naming the scope when it lacks it (None: no key may call it).
        """
        with self._db.read() as conn:
            row = sql.key_by_hash(conn, hash_key(secret))
            if row is None or row.revoked_at is not None:
                raise NotAuthenticated("the API key is not valid or was revoked")
            if row.expires_at is not None and row.expires_at <= utcnow():
                raise NotAuthenticated(f"the API key expired at {row.expires_at.isoformat()}")
            if row.organisation_id is not None and (
                campaign_sql.role_of(conn, row.organisation_id, row.account_id) is None
            ):
                raise NotAuthenticated("the API key's maker left its organisation; make a new key")
        scopes = tuple(row.scopes.split())
        if needed is None:
            raise Forbidden("API keys cannot call this operation; use an account token")
        if not grants(scopes, needed):
            raise MissingScope(
                f"this API key lacks the scope {needed!r}; make a key that has it",
                scope=needed,
                scopes=list(scopes),
            )
        self._touch(int(row.id))
        return int(row.account_id)

    def _touch(self, key_id: int) -> None:
        now = time.monotonic()
        if now - self._touched.get(key_id, -_TOUCH_EVERY_S) < _TOUCH_EVERY_S:
            return
        self._touched[key_id] = now
        at = utcnow()
        self._db.write(lambda conn: sql.touch_key(conn, key_id, at))

    def _check_maker(self, conn: Connection, account_id: int, organisation_id: int | None) -> None:
        if organisation_id is not None:
            self._check_owner(conn, account_id, organisation_id)
            return
        account = account_sql.get_account(conn, account_id)
        if account is None or account.kind not in _KINDS:
            raise Forbidden(
                "API keys are for creators and operators, and for organisations' owners "
                "(give `organisation_id`)"
            )

    def _check_owner(self, conn: Connection, account_id: int, organisation_id: int) -> None:
        if campaign_sql.get_organisation(conn, organisation_id) is None:
            raise OrganisationNotFound(f"organisation {organisation_id} does not exist")
        if campaign_sql.role_of(conn, organisation_id, account_id) != "owner":
            raise Forbidden(f"only owners of organisation {organisation_id} manage its keys")

    def _visible(self, conn: Connection, account_id: int, key_id: int) -> Row[Any]:
        row = sql.get_key(conn, key_id)
        if row is not None:
            if row.organisation_id is None and row.account_id == account_id:
                return row
            org = row.organisation_id
            if org is not None and campaign_sql.role_of(conn, org, account_id) == "owner":
                return row
        raise ApiKeyNotFound(f"API key {key_id} does not exist or is not yours")
