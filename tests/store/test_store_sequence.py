"""Dense sequence numbers: consecutive ranges, no gaps after a rollback, unknown names fail."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.engine import Connection

from plaudit.config import Settings
from plaudit.errors import InvalidInput, StorageError
from plaudit.store import EVENTS, Database, allocate, tables


@pytest.fixture
def db(sqlite_settings: Settings) -> Iterator[Database]:
    database = Database(sqlite_settings.with_values(sqlite_synchronous="normal"))
    database.migrate()
    yield database
    database.close()


def next_value(db: Database) -> int:
    with db.read() as conn:
        stmt = select(tables.sequencer.c.next_value).where(tables.sequencer.c.name == EVENTS)
        return int(conn.execute(stmt).scalar_one())


def test_a_fresh_sequence_starts_at_zero_and_hands_out_consecutive_ranges(db: Database) -> None:
    assert db.write(lambda conn: allocate(conn, EVENTS)) == 0
    assert db.write(lambda conn: allocate(conn, EVENTS, 5)) == 1
    assert db.write(lambda conn: allocate(conn, EVENTS, 2)) == 6
    assert next_value(db) == 8


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=10))
def test_ranges_in_one_transaction_are_adjacent(db: Database, counts: list[int]) -> None:
    start = next_value(db)

    def op(conn: Connection) -> list[int]:
        return [allocate(conn, EVENTS, count) for count in counts]

    firsts = db.write(op)
    expected = [start + sum(counts[:i]) for i in range(len(counts))]
    assert firsts == expected
    assert next_value(db) == start + sum(counts)


def test_a_rolled_back_allocation_leaves_no_gap(db: Database) -> None:
    def allocate_then_fail(conn: Connection) -> None:
        allocate(conn, EVENTS, 10)
        raise InvalidInput("the interaction was refused after its seq was taken")

    with pytest.raises(InvalidInput):
        db.write(allocate_then_fail)
    assert db.write(lambda conn: allocate(conn, EVENTS)) == 0


def test_an_unknown_sequence_is_a_storage_error(db: Database) -> None:
    with pytest.raises(StorageError, match="plaudit db upgrade"):
        db.write(lambda conn: allocate(conn, "no-such-sequence"))


def test_concurrent_allocations_through_the_writer_are_dense(db: Database) -> None:
    db.start_writer()
    counts = [1 + i % 7 for i in range(120)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        firsts = list(pool.map(lambda n: db.write(lambda conn: allocate(conn, EVENTS, n)), counts))
    taken = sorted(
        number
        for first, n in zip(firsts, counts, strict=True)
        for number in range(first, first + n)
    )
    assert taken == list(range(sum(counts)))
