"""SQL of data-subject requests: the record of each export (table ``data_exports``).

The record says when and through which channel, never whose. Deletions are recorded by the
account's shredded ledger secret (``account_secrets.shredded_at``, store/catalog.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, insert, select
from sqlalchemy.engine import Connection

from plaudit.store.tables import data_exports

__all__ = ["exports_by_channel", "insert_export"]


def insert_export(conn: Connection, channel: str, at: datetime) -> None:
    conn.execute(insert(data_exports).values(channel=channel, exported_at=at))


def exports_by_channel(conn: Connection, start: datetime, end: datetime) -> dict[str, int]:
    """Exports with ``start <= exported_at < end``, by channel."""
    rows = conn.execute(
        select(data_exports.c.channel, func.count())
        .where(and_(data_exports.c.exported_at >= start, data_exports.c.exported_at < end))
        .group_by(data_exports.c.channel)
    ).all()
    return {str(channel): int(count) for channel, count in sorted(rows)}
