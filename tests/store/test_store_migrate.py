"""Migrations: a fresh database reaches the head revision, again is a no-op, and the
migrations build exactly the schema `plaudit.store.tables` declares."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select

from plaudit.config import Settings
from plaudit.store import Database, current_revision, head_revision, tables


@pytest.fixture
def db(sqlite_settings: Settings) -> Iterator[Database]:
    database = Database(sqlite_settings)
    yield database
    database.close()


def test_an_empty_database_has_no_revision(db: Database) -> None:
    assert current_revision(db.write_engine) is None


def test_migrate_reaches_the_head_revision(db: Database) -> None:
    db.migrate()
    assert current_revision(db.write_engine) == head_revision()
    assert head_revision()


def test_migrating_twice_is_a_no_op_that_keeps_data(db: Database) -> None:
    db.migrate()
    values = {"handle": "kept", "kind": "fan", "created_at": datetime.now(UTC)}
    db.write(lambda conn: conn.execute(insert(tables.accounts).values(values)))
    db.migrate()
    assert current_revision(db.write_engine) == head_revision()
    with db.read() as conn:
        assert list(conn.execute(select(tables.accounts.c.handle)).scalars()) == ["kept"]


def test_migrations_create_every_declared_table(db: Database) -> None:
    db.migrate()
    present = set(inspect(db.write_engine).get_table_names())
    assert set(tables.metadata.tables) <= present


def test_migrations_match_the_declared_schema(db: Database) -> None:
    db.migrate()
    with db.write_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, tables.metadata) == []


def test_the_event_sequence_is_seeded_at_zero(db: Database) -> None:
    db.migrate()
    with db.read() as conn:
        rows = conn.execute(select(tables.sequencer)).all()
    assert [(r.name, r.next_value) for r in rows] == [("events", 0)]
