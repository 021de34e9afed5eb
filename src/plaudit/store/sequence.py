"""Dense sequence numbers handed out inside the caller's transaction.

A row per named sequence, advanced with UPDATE ... RETURNING: the row lock serialises the
writers of PostgreSQL and the range rolls back with the transaction, so the ledger index has
no gaps on either engine (a database SEQUENCE would leave gaps on rollback).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Connection, CursorResult

from plaudit.errors import StorageError
from plaudit.store.prepared import Prepared
from plaudit.store.tables import sequencer

__all__ = ["EVENTS", "allocate", "inserted_id"]

EVENTS = "events"
_ADVANCE = Prepared(
    update(sequencer)
    .where(sequencer.c.name == bindparam("p_name"))
    .values(next_value=sequencer.c.next_value + bindparam("p_count"))
    .returning(sequencer.c.next_value)
)


def allocate(conn: Connection, name: str, count: int = 1) -> int:
    """Reserve `count` consecutive numbers of sequence `name`; return the first."""
    value = _ADVANCE.scalar(conn, {"p_name": name, "p_count": count})
    if value is None:
        raise StorageError(f"sequence {name!r} is missing; run `plaudit db upgrade`")
    return int(value) - count


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an INSERT just wrote."""
    key = result.inserted_primary_key
    if key is None or key[0] is None:
        raise StorageError("the database did not report the new row's id")
    return int(key[0])
