"""SQL of API keys: insert, find by hash, list, revoke, note the last use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Row

from plaudit.store.tables import api_keys

__all__ = ["get_key", "insert_key", "key_by_hash", "list_keys", "revoke_key", "touch_key"]


def insert_key(conn: Connection, values: dict[str, Any]) -> int:
    result = conn.execute(insert(api_keys).values(**values).returning(api_keys.c.id))
    return int(result.scalar_one())


def key_by_hash(conn: Connection, key_hash: bytes) -> Row[Any] | None:
    return conn.execute(select(api_keys).where(api_keys.c.key_hash == key_hash)).first()


def get_key(conn: Connection, key_id: int) -> Row[Any] | None:
    return conn.execute(select(api_keys).where(api_keys.c.id == key_id)).first()


def list_keys(conn: Connection, account_id: int, organisation_id: int | None) -> list[Row[Any]]:
    """An organisation's keys, or the keys an account made for itself, oldest first."""
    stmt = select(api_keys).order_by(api_keys.c.id)
    if organisation_id is None:
        stmt = stmt.where(api_keys.c.account_id == account_id, api_keys.c.organisation_id.is_(None))
    else:
        stmt = stmt.where(api_keys.c.organisation_id == organisation_id)
    return list(conn.execute(stmt))


def revoke_key(conn: Connection, key_id: int, at: datetime) -> None:
    stmt = update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
    conn.execute(stmt.values(revoked_at=at))


def touch_key(conn: Connection, key_id: int, at: datetime) -> None:
    conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=at))
