"""Who may run the single integrator when several API processes share one store.

The ledger has one sequencer and one integrator by design (docs/scale.md). Several
`plaudit serve` processes on PostgreSQL elect it with a session-level advisory lock: the
holder keeps a dedicated connection open, and when the process dies the server drops the
connection and with it the lock, so another process takes over at its next attempt
(PostgreSQL docs, "Advisory Locks", §13.3.5). The embedded SQLite store runs on one host, so
an exclusive `flock` on a file in the data directory plays the same role (the kernel releases
it when the holder dies).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

__all__ = [
    "APPLICATION_NAME",
    "INTEGRATOR_LOCK_KEY",
    "AdvisoryLock",
    "FileLock",
    "Leadership",
    "leadership_for",
]

log = logging.getLogger(__name__)

# A fixed 64-bit key in the advisory-lock space: the ASCII of "plaudit" followed by 0x01 (the
# integrator). Any other lock a deployment takes must avoid it.
INTEGRATOR_LOCK_KEY = int.from_bytes(b"plaudit\x01", "big")  # < 2**63: a bigint key
APPLICATION_NAME = "plaudit-integrator"


class Leadership(Protocol):
    """A lock held for as long as this process should act as the one integrator."""

    def hold(self) -> bool:
        """True while this process holds the lock, taking it when it is free."""

    def release(self) -> None:
        """Give the lock up (at shutdown) so another process takes over at once."""


class AdvisoryLock:
    """A PostgreSQL session-level advisory lock on its own connection."""

    def __init__(self, engine: Engine, key: int = INTEGRATOR_LOCK_KEY) -> None:
        self._engine = engine
        self._key = key
        self._conn: Connection | None = None

    def hold(self) -> bool:
        try:
            if self._conn is not None:
                # the lock lives as long as this connection: check it is still alive
                self._conn.execute(text("SELECT 1"))
                return True
            return self._try_acquire()
        except SQLAlchemyError:
            log.warning("lost the integrator lock's connection; trying again", exc_info=True)
            self._drop()
            return False

    def _try_acquire(self) -> bool:
        # autocommit: the lock is the session's, and no transaction stays open beside it
        conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key})
            acquired = bool(got.scalar_one())
        except BaseException:
            conn.close()
            raise
        if not acquired:
            conn.close()
            return False
        # operators (and the takeover test) see which process integrates in pg_stat_activity
        conn.execute(
            text("SELECT set_config('application_name', :name, false)"),
            {"name": f"{APPLICATION_NAME} pid={os.getpid()}"},
        )
        self._conn = conn
        log.info("this process is now the ledger integrator (advisory lock %d)", self._key)
        return True

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.invalidate()
                self._conn.close()
            self._conn = None

    def release(self) -> None:
        if self._conn is None:
            return
        # on failure the connection is closing anyway, and the lock goes with it
        with contextlib.suppress(SQLAlchemyError):
            self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
        self._conn.close()
        self._conn = None


class FileLock:
    """An exclusive `flock` on `DATA_DIR/integrator.lock` (one host: the SQLite store)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: IO[bytes] | None = None

    def hold(self) -> bool:
        if self._file is not None:
            return True
        handle = open(self._path, "ab")  # noqa: SIM115 - held open for the process's life
        os.chmod(self._path, 0o600)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def leadership_for(engine: Engine, data_path: Path) -> Leadership:
    """The integrator lock that fits the engine: advisory on PostgreSQL, a file on SQLite."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine)
    return FileLock(data_path / "integrator.lock")
