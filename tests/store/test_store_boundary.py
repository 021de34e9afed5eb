"""Driver errors at the storage boundary: what a retry fixes is a 503, whether SQLAlchemy
wrapped the error or it came raw from the driver's cursor (the like path's prepared SQL)."""

from __future__ import annotations

import pytest

from plaudit.errors import StorageError, StorageUnavailable
from plaudit.store.boundary import is_concurrency_conflict, translate_db_error

errors = pytest.importorskip("psycopg.errors")

DEADLOCK = (
    "deadlock detected\nDETAIL:  Process 14404 waits for ShareLock on transaction 12807; "
    "blocked by process 14391."
)


@pytest.mark.parametrize(
    "error",
    [
        errors.DeadlockDetected(DEADLOCK),
        errors.SerializationFailure("could not serialize access due to concurrent update"),
        errors.CannotConnectNow("the database system is in recovery mode"),
        errors.AdminShutdown("terminating connection due to administrator command"),
    ],
    ids=["deadlock", "serialization", "recovering", "shutdown"],
)
def test_raw_operational_errors_are_unavailable_retry_shortly(error: Exception) -> None:
    translated = translate_db_error(error)
    assert isinstance(translated, StorageUnavailable)
    assert translated.status == 503
    assert "retry shortly" in translated.detail


def test_a_deadlock_is_a_conflict_and_its_detail_names_no_server_process() -> None:
    error = errors.DeadlockDetected(DEADLOCK)
    assert is_concurrency_conflict(error)
    detail = translate_db_error(error).detail
    assert "deadlock detected" in detail
    assert "Process" not in detail
    assert "14391" not in detail


def test_a_wrong_statement_stays_a_storage_error() -> None:
    """A retry does not fix SQL against a missing table: that is the operator's 500."""
    translated = translate_db_error(errors.UndefinedTable('relation "x" does not exist'))
    assert type(translated) is StorageError
    assert not is_concurrency_conflict(errors.UndefinedTable("x"))
