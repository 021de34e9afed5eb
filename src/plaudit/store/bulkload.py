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
"""

from __future__ import annotations

from sqlalchemy import Index
from sqlalchemy.engine import Connection

from plaudit.store import tables

__all__ = [
    "DEFERRABLE_INDEXES",
    "build_deferrable_indexes",
    "drop_deferrable_indexes",
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


def missing_indexes(conn: Connection) -> list[str]:
    """The names of the deferrable indexes the database does not have."""
    return [
        str(index.name)
        for index in DEFERRABLE_INDEXES
        if not conn.dialect.has_index(conn, index.table.name, str(index.name))  # type: ignore[union-attr]
    ]


def drop_deferrable_indexes(conn: Connection) -> None:
    """Drop the deferrable indexes (those already missing are skipped)."""
    for index in DEFERRABLE_INDEXES:
        index.drop(conn, checkfirst=True)


def build_deferrable_indexes(conn: Connection) -> None:
    """Build the deferrable indexes that are missing (each one sort of its table)."""
    for index in DEFERRABLE_INDEXES:
        index.create(conn, checkfirst=True)


def set_cache(conn: Connection, mib: int) -> None:
    """SQLite: let this connection cache up to `mib` MiB of pages (no-op on PostgreSQL, whose
    buffers are the server's)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA cache_size=-{mib * 1024:d}")
