"""Statements compiled once per dialect and run on the driver's cursor: the hot-path escape hatch.

Building and cache-keying a SQLAlchemy Core statement costs tens of microseconds per execute,
several times what SQLite needs to run it. The like path and bulk ingest run a handful of
fixed statements per interaction, so they compile each once per dialect and execute the SQL
string directly on the DBAPI cursor of the caller's connection (same transaction). Values are
adapted the way the tables' types would: aware datetimes become SQLite's text format.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement

__all__ = ["SQLITE_TIME", "Prepared", "stored_time"]

SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # what SQLAlchemy's SQLite DATETIME stores and parses


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Plaudit stores only aware UTC times")
        return value.astimezone(UTC).strftime(SQLITE_TIME)
    return value


def stored_time(value: datetime | str) -> datetime:
    """A time as the driver returns it (SQLite text, a PostgreSQL datetime), aware and UTC:
    what UTCDateTime gives SQLAlchemy's readers, for statements run on the driver cursor."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class Prepared:
    """One Core statement, compiled lazily per dialect, executed with a dict of parameters."""

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}

    def _sql(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self._statement.compile(dialect=dialect)
            positions = getattr(compiled, "positiontup", None) if dialect.positional else None
            found = (str(compiled), tuple(positions) if positions is not None else None)
            self._compiled[dialect.name] = found
        return found

    def _params(
        self, dialect: Dialect, order: tuple[str, ...] | None, params: dict[str, Any]
    ) -> Any:
        if order is None:
            return params
        if dialect.name == "sqlite":
            return tuple(_sqlite_value(params[name]) for name in order)
        return tuple(params[name] for name in order)

    def run(self, conn: Connection, params: dict[str, Any]) -> Any:
        """Execute once; returns the DBAPI cursor (fetchone/fetchall for results)."""
        dialect = conn.dialect
        sql, order = self._sql(dialect)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(sql, self._params(dialect, order, params))
        return cursor

    def run_many(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Execute once per row of parameters (the driver's executemany)."""
        dialect = conn.dialect
        sql, order = self._sql(dialect)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, [self._params(dialect, order, row) for row in rows])
        finally:
            cursor.close()

    def scalar(self, conn: Connection, params: dict[str, Any]) -> Any:
        """The first column of the first row, or None."""
        cursor = self.run(conn, params)
        row = cursor.fetchone()
        cursor.close()
        return None if row is None else row[0]

    def first(self, conn: Connection, params: dict[str, Any]) -> tuple[Any, ...] | None:
        cursor = self.run(conn, params)
        row = cursor.fetchone()
        cursor.close()
        return None if row is None else tuple(row)
