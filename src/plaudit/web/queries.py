"""The few reads the console needs that no domain service answers yet (SQL in store/console)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from plaudit.store import Database
from plaudit.store import console as sql

__all__ = ["CheckpointRow", "ConsoleQueries", "Totals"]


@dataclass(frozen=True)
class Totals:
    """Platform-wide like counts for the home page."""

    accounts: int
    likes: int
    revoked: int
    pending: int
    incentivised: int

    @property
    def authentic(self) -> int:
        return self.likes - self.revoked - self.pending

    @property
    def authentic_rate(self) -> float:
        return self.authentic / self.likes if self.likes else 0.0

    @property
    def incentivised_share(self) -> float:
        return self.incentivised / self.likes if self.likes else 0.0


@dataclass(frozen=True)
class CheckpointRow:
    size: int
    root_hex: str
    created_at: datetime


class ConsoleQueries:
    def __init__(self, db: Database) -> None:
        self._db = db

    def totals(self) -> Totals:
        with self._db.read() as conn:
            row = sql.platform_totals(conn)
        return Totals(
            int(row.accounts), int(row.likes), int(row.revoked), int(row.pending),
            int(row.incentivised),
        )  # fmt: skip

    def revoked_likes(self, account_id: int, limit: int = 100) -> list[dict[str, Any]]:
        with self._db.read() as conn:
            rows = sql.revoked_likes_of(conn, account_id, limit)
        return [dict(row._mapping) for row in rows]

    def checkpoints(self, before: int | None = None, limit: int = 50) -> list[CheckpointRow]:
        with self._db.read() as conn:
            rows = sql.checkpoints(conn, before, limit)
        return [CheckpointRow(int(r.size), bytes(r.root).hex(), r.created_at) for r in rows]

    def organisations_of(self, account_id: int) -> list[tuple[int, str, str]]:
        """(id, name, role) of every organisation the account is a member of."""
        with self._db.read() as conn:
            rows = sql.organisations_of(conn, account_id)
        return [(int(r.id), str(r.name), str(r.role)) for r in rows]

    def account_id_of(self, handle: str) -> int | None:
        from plaudit.store import catalog

        with self._db.read() as conn:
            row = catalog.account_by_handle(conn, handle)
        return None if row is None else int(row.id)
