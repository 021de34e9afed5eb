"""The SQLite engines apply the durability setting: `full` by default (every acknowledged
write survives power loss), `normal` only when an operator chooses it (docs/operations.md);
they begin each transaction on the driver's connection (BEGIN IMMEDIATE for the writer)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select
from tests.store.test_store_writer import insert_account

from plaudit.config import Settings
from plaudit.errors import StorageUnavailable
from plaudit.store import Database, tables
from plaudit.store.engine import make_engine

# PRAGMA synchronous answers 1 for NORMAL and 2 for FULL (sqlite.org/pragma.html#pragma_synchronous)
_LEVELS = {"normal": 1, "full": 2}


def _synchronous(settings: Settings, *, for_writes: bool) -> int:
    engine = make_engine(settings, for_writes=for_writes)
    try:
        with engine.connect() as conn:
            level = conn.exec_driver_sql("PRAGMA synchronous").scalar()
    finally:
        engine.dispose()
    assert level is not None
    return int(level)


def test_the_writer_syncs_every_commit_by_default(sqlite_settings: Settings) -> None:
    assert sqlite_settings.sqlite_synchronous == "full"
    assert _synchronous(sqlite_settings, for_writes=True) == _LEVELS["full"]


@pytest.mark.parametrize("level", ["normal", "full"])
def test_the_chosen_level_reaches_every_connection(sqlite_settings: Settings, level: str) -> None:
    settings = sqlite_settings.with_values(sqlite_synchronous=level)
    assert _synchronous(settings, for_writes=True) == _LEVELS[level]
    assert _synchronous(settings, for_writes=False) == _LEVELS[level]


def test_a_write_waiting_on_another_process_s_lock_fails_as_unavailable(
    sqlite_settings: Settings,
) -> None:
    """The writer's BEGIN IMMEDIATE runs on the driver's connection: when another process
    holds the write lock past the busy timeout, the write still fails as a 503 to retry
    (StorageUnavailable), and the next one succeeds once the lock is gone."""
    settings = sqlite_settings.with_values(sqlite_busy_timeout_ms=100)
    database = Database(settings)
    database.migrate()
    other = sqlite3.connect(settings.data_path / "plaudit.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StorageUnavailable, match="locked"):
            database.write(insert_account("waiting"))
        other.execute("ROLLBACK")
        database.write(insert_account("after"))
        with database.read() as conn:
            handles = set(conn.execute(select(tables.accounts.c.handle)).scalars())
        assert handles == {"after"}
    finally:
        other.close()
        database.close()


def test_a_read_transaction_begins_and_sees_committed_rows(sqlite_settings: Settings) -> None:
    database = Database(sqlite_settings)
    database.migrate()
    try:
        database.write(insert_account("seen"))
        with database.read() as conn:
            assert conn.in_transaction()
            handles = set(conn.execute(select(tables.accounts.c.handle)).scalars())
        assert handles == {"seen"}
    finally:
        database.close()
