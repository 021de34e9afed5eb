"""`Database`: the engines, the writer thread and the migrations of one configured store."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.engine import Connection, Engine

from plaudit.config import Settings
from plaudit.store.boundary import DRIVER_ERRORS, translate_db_error
from plaudit.store.engine import make_engine
from plaudit.store.migrate import upgrade
from plaudit.store.writer import WriteFn, Writer, foreign_keys_off

__all__ = ["Database"]

T = TypeVar("T")


class Database:
    """Owns the reader and writer engines; every write goes through `write`/`write_async`.

    Without a started writer thread (CLI commands, batch jobs), `write` runs the function in
    its own transaction on the calling thread; a server starts the thread for group commit.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.write_engine: Engine = make_engine(settings, for_writes=True)
        self.read_engine: Engine = (
            make_engine(settings) if settings.is_sqlite else self.write_engine
        )
        self._writer = Writer(self.write_engine, settings.write_batch_max)

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    @property
    def sqlite_path(self) -> str | None:
        """The SQLite store's file, for a reader that opens a connection of its own (None on
        PostgreSQL or an in-memory SQLite)."""
        if self.dialect != "sqlite":
            return None
        path = self.read_engine.url.database
        return None if not path or path == ":memory:" else path

    def migrate(self) -> None:
        upgrade(self.write_engine)

    def start_writer(self) -> None:
        self._writer.start()

    def close(self) -> None:
        self._writer.stop()
        self.write_engine.dispose()
        self.read_engine.dispose()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection in one read transaction (a consistent snapshot on both engines)."""
        try:
            with self.read_engine.connect() as conn, conn.begin():
                yield conn
        except DRIVER_ERRORS as exc:
            raise translate_db_error(exc) from exc

    def write(self, fn: WriteFn[T], *, unchecked: bool = False) -> T:
        """Run `fn` in a write transaction and return its result once committed.

        `unchecked`: in a transaction of its own with SQLite's foreign-key checks off, for a
        write that reads every row its new rows refer to in that transaction (bulk ingest).
        """
        if self._writer.running:
            return self._writer.submit(fn, unchecked=unchecked).result()
        try:
            with (
                self.write_engine.connect() as conn,
                foreign_keys_off(conn, unchecked),
                conn.begin(),
            ):
                return fn(conn)
        except DRIVER_ERRORS as exc:
            raise translate_db_error(exc) from exc

    async def write_async(self, fn: WriteFn[T], *, unchecked: bool = False) -> T:
        """Like `write`, for the event loop: awaits the writer thread's group commit."""
        if not self._writer.running:
            raise RuntimeError("start_writer() before write_async()")
        return await self._writer.run_async(fn, unchecked=unchecked)

    async def write_soon(self, fn: WriteFn[T]) -> T:
        """`write_async` when the writer thread runs, else `write` in a worker thread: for
        callers (middleware) that run both in a server and in embedded use."""
        if self._writer.running:
            return await self._writer.run_async(fn)
        return await asyncio.to_thread(self.write, fn)
