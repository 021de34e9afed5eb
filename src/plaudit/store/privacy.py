"""SQL of the privacy budget: who spent how much epsilon on which question, and when.

Each function runs in the caller's transaction; `lock_principal` takes the principal's row
lock (PostgreSQL; SQLite serialises writers anyway) so a charge is decided on a stable view.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from plaudit.store.tables import privacy_principals, privacy_spends

__all__ = ["insert_spend", "lock_principal", "spends_since"]


def lock_principal(conn: Connection, principal: str, at: datetime) -> None:
    """Make the principal's row if missing, then lock it until the transaction ends."""
    p = privacy_principals
    stmt = select(p.c.principal).where(p.c.principal == principal).with_for_update()
    if conn.execute(stmt).first() is None:
        dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        make = dialect_insert(p).values(principal=principal, created_at=at)
        conn.execute(make.on_conflict_do_nothing(index_elements=[p.c.principal]))
        conn.execute(stmt)


def spends_since(conn: Connection, principal: str, since: datetime) -> Sequence[Any]:
    """The principal's spends in the window, oldest first (question, cost_micro, spent_at)."""
    s = privacy_spends
    stmt = (
        select(s.c.question, s.c.cost_micro, s.c.spent_at)
        .where(s.c.principal == principal, s.c.spent_at > since)
        .order_by(s.c.spent_at, s.c.id)
    )
    return conn.execute(stmt).all()


def insert_spend(
    conn: Connection, principal: str, question: str, cost_micro: int, at: datetime
) -> None:
    conn.execute(
        insert(privacy_spends).values(
            principal=principal, question=question, cost_micro=cost_micro, spent_at=at
        )
    )
