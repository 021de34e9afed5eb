"""SQL of idempotency keys: claim a key, finish it with the answer, forget it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Row

from plaudit.store.tables import idempotency_keys as keys

__all__ = ["claim", "find", "finish", "forget", "purge_expired"]


def find(conn: Connection, owner: bytes, key: str) -> Row[Any] | None:
    stmt = select(keys).where(keys.c.owner == owner, keys.c.key == key)
    return conn.execute(stmt).first()


def claim(conn: Connection, values: dict[str, Any]) -> int:
    """Insert the running request's row; the unique (owner, key) lets one request win."""
    return int(conn.execute(insert(keys).values(**values).returning(keys.c.id)).scalar_one())


def finish(conn: Connection, row_id: int, status: int, media_type: str, body: bytes) -> None:
    stmt = update(keys).where(keys.c.id == row_id)
    conn.execute(stmt.values(status_code=status, media_type=media_type, body=body))


def forget(conn: Connection, row_id: int) -> None:
    conn.execute(delete(keys).where(keys.c.id == row_id))


def purge_expired(conn: Connection, now: datetime) -> int:
    return int(conn.execute(delete(keys).where(keys.c.expires_at <= now)).rowcount)
