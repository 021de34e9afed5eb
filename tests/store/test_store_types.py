"""UTCDateTime: only aware times go in, and they come back as aware UTC on every engine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import StatementError

from plaudit.store import UTCDateTime, utcnow

SQLITE = SQLiteDialect_pysqlite()
POSTGRES = create_engine("postgresql+psycopg://plaudit@localhost/plaudit").dialect  # no connect
_metadata = MetaData()
_times = Table(
    "times",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime()),
)

offsets = st.builds(
    timezone,
    st.timedeltas(
        min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
    ),
)
aware = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=offsets
)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    made = create_engine("sqlite://")
    _metadata.create_all(made)
    yield made
    made.dispose()


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


@pytest.mark.parametrize("dialect", [SQLITE, POSTGRES], ids=["sqlite", "postgresql"])
def test_naive_datetimes_are_refused(dialect: Dialect) -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2024, 1, 1), dialect)


@given(aware)
def test_aware_values_are_stored_as_utc(value: datetime) -> None:
    stored = UTCDateTime().process_bind_param(value, SQLITE)
    assert stored == value
    assert stored is not None
    assert stored.utcoffset() == timedelta(0)


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)))
def test_naive_values_read_back_are_marked_utc(value: datetime) -> None:
    read = UTCDateTime().process_result_value(value, SQLITE)
    assert read == value.replace(tzinfo=UTC)


def test_none_passes_through() -> None:
    assert UTCDateTime().process_bind_param(None, SQLITE) is None
    assert UTCDateTime().process_result_value(None, SQLITE) is None


@given(aware)
def test_round_trip_through_sqlite_keeps_the_instant_in_utc(
    engine: Engine, value: datetime
) -> None:
    with engine.begin() as conn:
        row_id = conn.execute(insert(_times).values(at=value).returning(_times.c.id)).scalar_one()
        read = conn.execute(select(_times.c.at).where(_times.c.id == row_id)).scalar_one()
    assert read == value
    assert read.tzinfo is not None
    assert read.utcoffset() == timedelta(0)


def test_a_naive_insert_fails_before_reaching_the_database(engine: Engine) -> None:
    with engine.begin() as conn, pytest.raises(StatementError, match="naive"):
        conn.execute(insert(_times).values(at=datetime(2024, 1, 1, 12)))
