"""Translate database driver errors into Plaudit's own at the storage boundary.

Errors arrive either wrapped by SQLAlchemy (`DBAPIError`) or raw from the driver, because the
hot paths run SQL on the driver's cursor (prepared.py, bulk.py). Both are recognised here, so
nothing above `plaudit.store` ever sees sqlite3 or psycopg exceptions.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from plaudit.errors import Conflict, PlauditError, StorageError, StorageUnavailable

__all__ = [
    "DRIVER_ERRORS",
    "is_concurrency_conflict",
    "is_db_error",
    "is_integrity_error",
    "translate_db_error",
]

_TRANSIENT_MARKERS = ("database is locked", "could not connect", "connection", "timeout")
# SQLSTATE class 40, "transaction rollback": a deadlock (40P01) or a serialization failure
# (40001) between concurrent writers. The statement was rolled back; running it again works.
_CONFLICT_STATES = frozenset({"40P01", "40001"})


def _driver_errors() -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """Every driver error, and the operational ones (the server's state, not the SQL)."""
    errors: list[type[Exception]] = [DBAPIError, sqlite3.Error]
    operational: list[type[Exception]] = [OperationalError, sqlite3.OperationalError]
    try:
        import psycopg
    except ImportError:  # the postgres extra is not installed
        return tuple(errors), tuple(operational)
    return (*errors, psycopg.Error), (*operational, psycopg.OperationalError)


DRIVER_ERRORS, _OPERATIONAL_ERRORS = _driver_errors()


def is_db_error(exc: BaseException) -> bool:
    return isinstance(exc, DRIVER_ERRORS)


def _original(exc: BaseException) -> BaseException:
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return exc.orig
    return exc


def is_integrity_error(exc: BaseException) -> bool:
    """A uniqueness or foreign-key violation, from SQLAlchemy or straight from the driver."""
    original = _original(exc)
    if isinstance(exc, IntegrityError) or isinstance(original, sqlite3.IntegrityError):
        return True
    return type(original).__name__ in {"IntegrityError", "UniqueViolation", "ForeignKeyViolation"}


def is_concurrency_conflict(exc: BaseException) -> bool:
    """A deadlock or serialization failure with another transaction (PostgreSQL): the
    statement was rolled back and the same write succeeds when run again."""
    return getattr(_original(exc), "sqlstate", None) in _CONFLICT_STATES


def translate_db_error(exc: BaseException) -> PlauditError:
    """Map a database error to a PlauditError with a message an operator can act on.

    Operational errors (the server went away, is recovering, or chose this transaction as a
    deadlock's victim) are StorageUnavailable, 503 with "retry shortly", whether SQLAlchemy
    wrapped them or they came raw from the driver's cursor on the hot paths; before raw
    psycopg ones were recognised, a deadlock between two workers' group commits on the like
    path surfaced as a 500."""
    original = _original(exc)
    message = str(original)
    if is_integrity_error(exc):
        return Conflict(f"the write conflicts with existing data: {message}")
    if is_concurrency_conflict(exc):
        first_line = message.partition("\n")[0]  # not the DETAIL: the server's process ids
        return StorageUnavailable(
            f"the write collided with a concurrent one ({first_line}); retry shortly"
        )
    transient = isinstance(exc, _OPERATIONAL_ERRORS) or isinstance(original, _OPERATIONAL_ERRORS)
    if transient or any(m in message.lower() for m in _TRANSIENT_MARKERS):
        return StorageUnavailable(f"the database is unavailable: {message}; retry shortly")
    return StorageError(f"the database failed: {message}")
