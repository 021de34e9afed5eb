"""Create the engine for the configured database, with the settings each engine needs.

SQLite: WAL journal, a busy timeout, foreign keys on, larger page caches, and
`BEGIN IMMEDIATE` for every transaction (the recipe from SQLAlchemy's pysqlite notes), so a
writer takes the write lock up front instead of failing on upgrade. PostgreSQL: a bounded
connection pool with pre-ping.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from plaudit.config import Settings

__all__ = ["MMAP_BYTES", "READER_CACHE_KIB", "WRITER_CACHE_KIB", "make_engine"]

WRITER_CACHE_KIB = 256 * 1024
"""Page cache of the SQLite writer's connection (SQLite's default is 2 MiB). Each like adds
an entry to four indexes whose pages, once the tables hold millions of rows, are spread far
beyond 2 MiB: with the default, a 10,000-like batch read and re-read the same pages from the
OS for every insert. SQLite takes the memory only as pages are used (issue #18)."""
READER_CACHE_KIB = 32 * 1024
"""Page cache of each SQLite reader connection: the real-time rules read the accounts of a
bulk batch (their ages) through a reader, thousands of rows spread over the table."""

MMAP_BYTES = 1 << 30
"""How much of the SQLite file each connection maps into memory (`PRAGMA mmap_size`; the
default is none). A page outside the page cache is then read by touching the mapping instead
of a `pread` call copying it into a buffer: with tens of millions of likes, a bulk batch's
index probes and inserts miss the cache for most of their pages, and those reads were 14%
of its CPU time at 10M likes (issue #18). Writes still go through the WAL; the mapping
costs address space, not memory (the pages are the operating system's file cache)."""


def make_engine(settings: Settings, *, for_writes: bool = False) -> Engine:
    """Build (but do not connect) the engine for `settings.db_url`.

    On SQLite the writer engine starts every transaction with BEGIN IMMEDIATE, while the
    reader engine keeps deferred transactions so reads never take the write lock.
    """
    if settings.is_sqlite:
        return _sqlite_engine(settings, immediate=for_writes)
    return create_engine(
        settings.db_url,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size,
        pool_pre_ping=True,
    )


def _sqlite_engine(settings: Settings, *, immediate: bool) -> Engine:
    settings.data_path.mkdir(parents=True, exist_ok=True)
    busy_s = settings.sqlite_busy_timeout_ms / 1000
    engine = create_engine(
        settings.db_url,
        connect_args={
            "check_same_thread": False,
            "timeout": busy_s,
        },
    )
    busy_ms = settings.sqlite_busy_timeout_ms
    synchronous = settings.sqlite_synchronous.upper()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms:d}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cache_kib = WRITER_CACHE_KIB if immediate else READER_CACHE_KIB
        cursor.execute(f"PRAGMA cache_size=-{cache_kib:d}")
        cursor.execute(f"PRAGMA mmap_size={MMAP_BYTES:d}")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # On the driver's connection: `exec_driver_sql` sets up an execution context and
        # its events for a statement that returns nothing, a third of an empty transaction's
        # CPU (docs/operations.md, "Fifth pass"). A busy or locked database raises the
        # driver's error, which store.boundary translates as it does SQLAlchemy's. A closed
        # connection goes through SQLAlchemy after all, which recognises the disconnect and
        # marks the connection invalid, so the writer retries on a new one.
        try:
            connection.connection.dbapi_connection.execute(begin).close()
        except sqlite3.ProgrammingError:
            connection.exec_driver_sql(begin)

    return engine
