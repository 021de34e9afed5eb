"""SQL of third-party apps: apps, authorization codes (claimed once) and hashed tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Connection, Row

from plaudit.store.tables import accounts, oauth_apps, oauth_codes, oauth_tokens, webhook_endpoints

__all__ = [
    "app_by_client_id",
    "apps_of",
    "authorizations_of",
    "claim_code",
    "code_by_hash",
    "get_app",
    "insert_app",
    "insert_code",
    "insert_token",
    "revoke_app",
    "revoke_authorization",
    "revoke_grant",
    "revoke_token",
    "token_by_hash",
]


def insert_app(conn: Connection, values: dict[str, Any]) -> int:
    result = conn.execute(insert(oauth_apps).values(**values).returning(oauth_apps.c.id))
    return int(result.scalar_one())


def get_app(conn: Connection, app_id: int) -> Row[Any] | None:
    return conn.execute(select(oauth_apps).where(oauth_apps.c.id == app_id)).first()


def app_by_client_id(conn: Connection, client_id: str) -> Row[Any] | None:
    """The app and its developer's handle, for the consent page."""
    stmt = (
        select(oauth_apps, accounts.c.handle.label("developer"))
        .join(accounts, accounts.c.id == oauth_apps.c.account_id)
        .where(oauth_apps.c.client_id == client_id)
    )
    return conn.execute(stmt).first()


def apps_of(conn: Connection, account_id: int) -> list[Row[Any]]:
    stmt = select(oauth_apps).where(oauth_apps.c.account_id == account_id)
    return list(conn.execute(stmt.order_by(oauth_apps.c.id)))


def revoke_app(conn: Connection, app_id: int, at: datetime) -> None:
    """Retire an app, every token it holds and the webhook endpoints it registered."""
    conn.execute(
        update(oauth_apps)
        .where(oauth_apps.c.id == app_id, oauth_apps.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    conn.execute(
        update(oauth_tokens)
        .where(oauth_tokens.c.app_id == app_id, oauth_tokens.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    conn.execute(
        update(webhook_endpoints)
        .where(webhook_endpoints.c.app_id == app_id, webhook_endpoints.c.disabled_at.is_(None))
        .values(disabled_at=at, disabled_reason="the app that registered it was retired")
    )


def insert_code(conn: Connection, values: dict[str, Any]) -> int:
    result = conn.execute(insert(oauth_codes).values(**values).returning(oauth_codes.c.id))
    return int(result.scalar_one())


def code_by_hash(conn: Connection, app_id: int, code_hash: bytes) -> Row[Any] | None:
    stmt = select(oauth_codes).where(
        oauth_codes.c.code_hash == code_hash, oauth_codes.c.app_id == app_id
    )
    return conn.execute(stmt).first()


def claim_code(conn: Connection, code_id: int, at: datetime) -> bool:
    """Mark a code used; False when an earlier exchange did (the one atomic step that makes a
    code single-use under concurrent exchanges)."""
    result = conn.execute(
        update(oauth_codes)
        .where(oauth_codes.c.id == code_id, oauth_codes.c.used_at.is_(None))
        .values(used_at=at)
    )
    return result.rowcount == 1


def insert_token(conn: Connection, values: dict[str, Any]) -> int:
    result = conn.execute(insert(oauth_tokens).values(**values).returning(oauth_tokens.c.id))
    return int(result.scalar_one())


def token_by_hash(
    conn: Connection, access_hash: bytes | None, refresh_hash: bytes | None
) -> Row[Any] | None:
    """A token row by its access or its refresh hash, with its app's client id and state."""
    matches = []
    if access_hash is not None:
        matches.append(oauth_tokens.c.access_hash == access_hash)
    if refresh_hash is not None:
        matches.append(oauth_tokens.c.refresh_hash == refresh_hash)
    if not matches:
        return None
    stmt = (
        select(
            oauth_tokens,
            oauth_apps.c.client_id,
            oauth_apps.c.revoked_at.label("app_revoked_at"),
        )
        .join(oauth_apps, oauth_apps.c.id == oauth_tokens.c.app_id)
        .where(or_(*matches))
    )
    return conn.execute(stmt).first()


def revoke_token(conn: Connection, token_id: int, at: datetime) -> None:
    conn.execute(
        update(oauth_tokens)
        .where(oauth_tokens.c.id == token_id, oauth_tokens.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )


def revoke_grant(conn: Connection, grant_id: int, at: datetime) -> int:
    """Revoke every token descending from one authorization code; how many were live."""
    result = conn.execute(
        update(oauth_tokens)
        .where(oauth_tokens.c.grant_id == grant_id, oauth_tokens.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return int(result.rowcount)


def authorizations_of(conn: Connection, account_id: int, now: datetime) -> list[Row[Any]]:
    """An account's live app tokens (not revoked, refresh not expired: the app can renew its
    access while that holds), oldest first, with the app's name and its developer's handle."""
    stmt = (
        select(
            oauth_tokens.c.app_id,
            oauth_tokens.c.scopes,
            oauth_tokens.c.issued_at,
            oauth_apps.c.name,
            accounts.c.handle.label("developer"),
        )
        .join(oauth_apps, oauth_apps.c.id == oauth_tokens.c.app_id)
        .join(accounts, accounts.c.id == oauth_apps.c.account_id)
        .where(
            oauth_tokens.c.account_id == account_id,
            oauth_tokens.c.revoked_at.is_(None),
            oauth_tokens.c.refresh_expires_at > now,
            oauth_apps.c.revoked_at.is_(None),
        )
        .order_by(oauth_tokens.c.issued_at, oauth_tokens.c.id)
    )
    return list(conn.execute(stmt))


def revoke_authorization(conn: Connection, account_id: int, app_id: int, at: datetime) -> int:
    """Withdraw what one person granted one app: every token, and every code not yet
    exchanged (so a consent given a moment before cannot still turn into tokens). Returns how
    many tokens were live."""
    conn.execute(
        update(oauth_codes)
        .where(
            oauth_codes.c.app_id == app_id,
            oauth_codes.c.account_id == account_id,
            oauth_codes.c.used_at.is_(None),
        )
        .values(used_at=at)
    )
    result = conn.execute(
        update(oauth_tokens)
        .where(
            oauth_tokens.c.app_id == app_id,
            oauth_tokens.c.account_id == account_id,
            oauth_tokens.c.revoked_at.is_(None),
        )
        .values(revoked_at=at)
    )
    return int(result.rowcount)
