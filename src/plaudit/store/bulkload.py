"""What a bulk load into an empty database may defer: secondary indexes and small caches.

A demo load writes tens of millions of interactions in time order. Each like adds an entry to
every index of `likes`, and the entries of the indexes keyed by account or video land all
over them: once they outgrow the page cache, each batch rewrites most of their pages. The
load only ever reads the primary keys and the unique active-pair indexes (`uq_likes_active`,
`uq_follows_active`: bulk ingest's lookups and its uniqueness), so the other indexes of the
interaction tables are dropped for the load and built once at its end, by a sort (issue #18).

This is safe only while nothing else reads those tables: the loader uses it on a database
it checked was empty, and builds the indexes again however the load ends
(`plaudit.sim.load`).

The set-based demo loader (`plaudit.sim.setload`) reads none of these tables: it also defers
the active pairs' unique indexes (their build then checks that no pair is liked or followed
twice while active) and writes its pre-validated rows with SQLite's foreign-key checks off
(`LoadSession`: three probes a like, about a fifth of the cost of writing it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Index
from sqlalchemy.engine import Connection

from plaudit.store import tables
from plaudit.store.boundary import DRIVER_ERRORS, translate_db_error
from plaudit.store.database import Database
from plaudit.store.writer import WriteFn, foreign_keys_off

T = TypeVar("T")

__all__ = [
    "DEFERRABLE_INDEXES",
    "SET_LOAD_INDEXES",
    "LoadSession",
    "build_deferrable_indexes",
    "drop_deferrable_indexes",
    "load_session",
    "missing_indexes",
    "set_cache",
]

DEFERRABLE_INDEXES: tuple[Index, ...] = tuple(
    index
    for table in (tables.likes, tables.events, tables.comments, tables.shares, tables.follows)
    for index in sorted(table.indexes, key=lambda i: str(i.name))
    if not index.unique
)
"""The interaction tables' indexes that bulk ingest never reads (reads and reports do)."""

SET_LOAD_INDEXES: tuple[Index, ...] = DEFERRABLE_INDEXES + tuple(
    index
    for table in (tables.likes, tables.follows)
    for index in sorted(table.indexes, key=lambda i: str(i.name))
    if index.unique
)
"""What the set-based loader defers: the above and the unique active-pair indexes."""


def missing_indexes(conn: Connection) -> list[str]:
    """The names of the deferrable indexes (unique ones included) the database does not have."""
    return [
        str(index.name)
        for index in SET_LOAD_INDEXES
        if not conn.dialect.has_index(conn, index.table.name, str(index.name))  # type: ignore[union-attr]
    ]


def drop_deferrable_indexes(conn: Connection, *, unique: bool = False) -> None:
    """Drop the deferrable indexes, with `unique` the active pairs' too (those already
    missing are skipped)."""
    for index in SET_LOAD_INDEXES if unique else DEFERRABLE_INDEXES:
        index.drop(conn, checkfirst=True)


SORT_THREADS = 2
"""SQLite helper threads for an index build's sort (`PRAGMA threads`): the medium demo's
indexes are sorts of tens of millions of entries, which a second core shortens."""


def build_deferrable_indexes(conn: Connection) -> None:
    """Build the deferrable indexes that are missing (each one sort of its table); a unique
    one fails if the load wrote a pair active twice."""
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        conn.exec_driver_sql(f"PRAGMA threads={SORT_THREADS:d}")
    try:
        for index in SET_LOAD_INDEXES:
            index.create(conn, checkfirst=True)
    finally:
        if sqlite:
            conn.exec_driver_sql("PRAGMA threads=0")


class LoadSession:
    """A pre-validated load's connection (`load_session`), its transactions run by `write`."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def write(self, fn: WriteFn[T]) -> T:
        """Run `fn` in a transaction of the session's connection; committed on return."""
        try:
            with self._conn.begin():
                return fn(self._conn)
        except DRIVER_ERRORS as exc:
            raise translate_db_error(exc) from exc


@contextmanager
def load_session(db: Database) -> Iterator[LoadSession]:
    """One connection for a pre-validated load into an empty database. On SQLite its
    foreign-key checks are off for the session: the pragma has no effect inside a
    transaction, so it is set before the first and restored after the last, before the
    connection goes back to the pool. Only for rows whose references the loader checked
    itself (`plaudit.sim.setload`); PostgreSQL keeps its checks."""
    with db.write_engine.connect() as conn, foreign_keys_off(conn):
        yield LoadSession(conn)


def set_cache(conn: Connection, mib: int) -> None:
    """SQLite: let this connection cache up to `mib` MiB of pages (no-op on PostgreSQL, whose
    buffers are the server's)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA cache_size=-{mib * 1024:d}")
