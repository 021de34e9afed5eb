"""Translate database driver errors into Plaudit's own at the storage boundary."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from plaudit.errors import Conflict, PlauditError, StorageError, StorageUnavailable

__all__ = ["translate_db_error"]

_TRANSIENT_MARKERS = ("database is locked", "could not connect", "connection", "timeout")


def translate_db_error(exc: DBAPIError) -> PlauditError:
    """Map a SQLAlchemy/DBAPI error to a PlauditError with a message an operator can act on."""
    message = str(exc.orig) if exc.orig is not None else str(exc)
    if isinstance(exc, IntegrityError):
        return Conflict(f"the write conflicts with existing data: {message}")
    if isinstance(exc, OperationalError) or any(m in message.lower() for m in _TRANSIENT_MARKERS):
        return StorageUnavailable(f"the database is unavailable: {message}; retry shortly")
    return StorageError(f"the database failed: {message}")
