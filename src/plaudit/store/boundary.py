"""Translate database driver errors into Plaudit's own at the storage boundary.

Errors arrive either wrapped by SQLAlchemy (`DBAPIError`) or raw from the driver, because the
hot paths run SQL on the driver's cursor (prepared.py, bulk.py). Both are recognised here, so
nothing above `plaudit.store` ever sees sqlite3 or psycopg exceptions.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from plaudit.errors import Conflict, PlauditError, StorageError, StorageUnavailable

__all__ = ["DRIVER_ERRORS", "is_db_error", "is_integrity_error", "translate_db_error"]

_TRANSIENT_MARKERS = ("database is locked", "could not connect", "connection", "timeout")


def _driver_errors() -> tuple[type[Exception], ...]:
    errors: list[type[Exception]] = [DBAPIError, sqlite3.Error]
    try:
        import psycopg
    except ImportError:  # the postgres extra is not installed
        return tuple(errors)
    return (*errors, psycopg.Error)


DRIVER_ERRORS: tuple[type[Exception], ...] = _driver_errors()


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


def translate_db_error(exc: BaseException) -> PlauditError:
    """Map a database error to a PlauditError with a message an operator can act on."""
    original = _original(exc)
    message = str(original)
    if is_integrity_error(exc):
        return Conflict(f"the write conflicts with existing data: {message}")
    transient = isinstance(exc, OperationalError) or isinstance(original, sqlite3.OperationalError)
    if transient or any(m in message.lower() for m in _TRANSIENT_MARKERS):
        return StorageUnavailable(f"the database is unavailable: {message}; retry shortly")
    return StorageError(f"the database failed: {message}")
