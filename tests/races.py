"""Forcing an interleaving in the race tests, and proving it happened (issue 17, item 14).

A race test starts a second writer from inside the first writer's open transaction (a cursor
hook) and checks that the outcome is right. Joining the second thread after a fixed second
is not proof: on a loaded machine it may not have reached the database at all yet, so the
two run one after the other and the test passes whatever the locking. `start_and_wait_blocked`
returns only once PostgreSQL shows the second writer waiting on a lock (the interleaving
happened) or the second writer has finished without waiting (the race the test guards
against could happen: the test's own assertions then see its effect).
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from plaudit.store import Database

__all__ = ["start_and_wait_blocked"]

_WAITING = text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


def start_and_wait_blocked(thread: threading.Thread, db: Database, timeout_s: float = 60.0) -> bool:
    """Start `thread`; True once a backend of this database waits on a lock, False when the
    thread finished first. Raises when neither happens within `timeout_s`."""
    thread.start()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not thread.is_alive():
            return False
        with db.read() as conn:
            if conn.execute(_WAITING).scalar_one():
                return True
        time.sleep(0.01)
    raise AssertionError(f"the second writer neither finished nor waited within {timeout_s} s")
