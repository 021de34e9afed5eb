"""Column types shared by the tables: time that is always UTC and always tz-aware."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["MAX_ID", "UTCDateTime", "utcnow"]

MAX_ID = 2**63 - 1
"""The largest id the store holds (a signed 64-bit BIGINT on PostgreSQL and SQLite): every id
from outside is checked against it before it reaches SQL (docs/security.md)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp with time zone that only accepts aware datetimes and always returns UTC.

    PostgreSQL stores `timestamptz`; SQLite has no time zone type, so values are normalised
    to UTC before storing and marked UTC again when read, which keeps both engines identical.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Plaudit stores only aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]
