"""The real-time rules' window counters in PostgreSQL, shared by every API process.

With several API processes the in-process sliding windows (`authenticity/rules.py`) count
per process, so N processes let through N times a limit. Here the windows are per-key time
buckets in two UNLOGGED tables (no WAL: a crash empties them, which only forgets the last
minutes of velocity, and the batch detectors read the stored history anyway):

    rule_window_counts  (counter, key, bucket) -> n      sliding counts, 6 buckets a window
    rule_device_seen    (device, account_id, hour)       distinct accounts per device, 24 h

A like costs one round trip (`record`): one statement upserts the like's bucket of every
counter it belongs to, adds the device's account for the hour, and returns each counter's
sum over its window. The like's own bucket is read from the upsert's RETURNING (after the row
lock, so concurrent likes see each other there); older buckets from the statement's snapshot,
which holds every like committed before it. A refused or cancelled like costs a second one
(`take_back`). `prune` deletes buckets no window can reach any more.

The tables are created on first use (`ensure`), not by a migration: they hold nothing that
survives a crash, and only PostgreSQL deployments with shared counters need them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine

from plaudit.store.boundary import DRIVER_ERRORS, translate_db_error

__all__ = ["DEVICE_HOURS", "WINDOW_BUCKETS", "CounterKey", "PostgresRuleCounters"]

WINDOW_BUCKETS = 6
"""Buckets summed per sliding window: the current one and the 5 before it."""
DEVICE_HOURS = 24
"""Hour buckets of the distinct-accounts-per-device window."""
_EXECUTOR_THREADS = min(32, (os.cpu_count() or 1) + 4)
"""The threads of an event loop's default executor (concurrent.futures.ThreadPoolExecutor)."""
_CREATE_LOCK_KEY = int.from_bytes(b"plaudit\x02", "big")

_CREATE = (
    "CREATE UNLOGGED TABLE IF NOT EXISTS rule_window_counts ("
    " counter text NOT NULL, key text NOT NULL, bucket bigint NOT NULL,"
    " n integer NOT NULL, PRIMARY KEY (counter, key, bucket))",
    "CREATE UNLOGGED TABLE IF NOT EXISTS rule_device_seen ("
    " device text NOT NULL, account_id bigint NOT NULL, hour bigint NOT NULL,"
    " PRIMARY KEY (device, hour, account_id))",
)

_RECORD = text(
    """
    WITH bumped AS (
        INSERT INTO rule_window_counts AS c (counter, key, bucket, n)
        SELECT k.counter, k.key, k.bucket, 1
        FROM unnest(CAST(:counters AS text[]), CAST(:keys AS text[]),
                    CAST(:buckets AS bigint[])) AS k(counter, key, bucket)
        ON CONFLICT (counter, key, bucket) DO UPDATE SET n = c.n + 1
        RETURNING c.counter, c.key, c.bucket, c.n
    ), seen AS (
        INSERT INTO rule_device_seen (device, account_id, hour)
        SELECT CAST(:device AS text), :account, :hour WHERE CAST(:device AS text) IS NOT NULL
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT b.counter,
           b.n + COALESCE((SELECT sum(o.n) FROM rule_window_counts o
                           WHERE o.counter = b.counter AND o.key = b.key
                             AND o.bucket > b.bucket - :window AND o.bucket < b.bucket), 0)
    FROM bumped b
    UNION ALL
    SELECT 'device_accounts',
           1 + (SELECT count(DISTINCT s.account_id) FROM rule_device_seen s
                WHERE s.device = CAST(:device AS text) AND s.hour > :hour - :hours
                  AND s.account_id <> :account)
    WHERE CAST(:device AS text) IS NOT NULL
    UNION ALL
    SELECT 'device_account_new', count(*) FROM seen
    """
)

assert "%" not in _RECORD.text  # psycopg would read a % as a placeholder
_RECORD_SQL = re.sub(r"(?<!:):(\w+)", r"%(\1)s", _RECORD.text)
"""`_RECORD` in the driver's own parameter style: run on its cursor, without SQLAlchemy's
per-call statement set-up (a third of the call's CPU)."""

_TAKE_BACK = text(
    """
    WITH undone AS (
        UPDATE rule_window_counts c SET n = c.n - 1
        FROM unnest(CAST(:counters AS text[]), CAST(:keys AS text[]),
                    CAST(:buckets AS bigint[])) AS k(counter, key, bucket)
        WHERE c.counter = k.counter AND c.key = k.key AND c.bucket = k.bucket AND c.n > 0
        RETURNING 1
    )
    DELETE FROM rule_device_seen
    WHERE :forget AND device = CAST(:device AS text) AND account_id = :account AND hour = :hour
    """
)

_PRUNE = (
    text(
        "DELETE FROM rule_window_counts WHERE counter = :counter AND bucket <= :current - :window"
    ),
    text("DELETE FROM rule_device_seen WHERE hour <= :hour - :hours"),
)


@dataclass(frozen=True)
class CounterKey:
    """One like's place in one sliding counter: which counter, whose key, which bucket."""

    counter: str
    key: str
    bucket: int


@dataclass(frozen=True)
class Recorded:
    """Each counter's count with the like in it, and whether the device's account for the
    hour was new (a take-back must then forget it)."""

    counts: dict[str, int]
    device_account_new: bool


class PostgresRuleCounters:
    """The window tables of `engine`'s database; each call is one autocommit round trip.

    It keeps its own small pool of autocommit connections without a pre-ping (no BEGIN, no
    COMMIT, no `SELECT 1`: one round trip per like); a connection that a restarted server
    cut fails once, as StorageUnavailable, and the pool is renewed for the next like.
    """

    def __init__(self, engine: Engine, pool_size: int | None = None) -> None:
        # As many kept connections as threads that count likes at once: the API counts in
        # the event loop's default executor (`asyncio.to_thread`). With 4 kept, 6 threads
        # opened and closed a connection, a PostgreSQL backend, for every few likes.
        size = pool_size if pool_size is not None else _EXECUTOR_THREADS
        self._engine = create_engine(
            engine.url,
            isolation_level="AUTOCOMMIT",
            pool_size=size,
            max_overflow=size,
            pool_pre_ping=False,
        )

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                yield conn
        except DRIVER_ERRORS as exc:
            raise translate_db_error(exc) from exc

    def close(self) -> None:
        self._engine.dispose()

    def ensure(self) -> None:
        """Create the tables if missing (serialised: several workers start at once)."""
        with self._connection() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _CREATE_LOCK_KEY})
            try:
                for statement in _CREATE:
                    conn.execute(text(statement))
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _CREATE_LOCK_KEY})

    def record(
        self, keys: Sequence[CounterKey], device: str | None, account_id: int, hour: int
    ) -> Recorded:
        """Count one like in `keys` (and its account on `device` for `hour`)."""
        params = {
            **_arrays(keys),
            "device": device,
            "account": account_id,
            "hour": hour,
            "window": WINDOW_BUCKETS,
            "hours": DEVICE_HOURS,
        }
        with self._connection() as conn:
            rows = self._on_driver_cursor(conn, _RECORD_SQL, params)
        counts = {str(name): int(value) for name, value in rows}
        new = counts.pop("device_account_new", 0) > 0
        return Recorded(counts, new)

    def _on_driver_cursor(
        self, conn: Connection, sql: str, params: Mapping[str, object]
    ) -> list[tuple[Any, ...]]:
        """Rows of `sql` run on the driver's cursor. A connection the server cut renews the
        pool, as SQLAlchemy does for the statements it runs itself."""
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        cursor = dbapi.cursor()
        try:
            return list(cursor.execute(sql, params).fetchall())
        except DRIVER_ERRORS:
            if getattr(dbapi, "broken", False) or getattr(dbapi, "closed", False):
                conn.invalidate()
                self._engine.dispose()
            raise
        finally:
            cursor.close()

    def take_back(
        self,
        keys: Sequence[CounterKey],
        device: str | None,
        account_id: int,
        hour: int,
        forget_device_account: bool,
    ) -> None:
        """Undo a `record` (the like was refused or not created)."""
        params = {
            **_arrays(keys),
            "forget": forget_device_account and device is not None,
            "device": device,
            "account": account_id,
            "hour": hour,
        }
        with self._connection() as conn:
            conn.execute(_TAKE_BACK, params)

    def prune(self, current: dict[str, int], hour: int) -> None:
        """Delete the buckets that left every window (`current`: each counter's bucket now)."""
        with self._connection() as conn:
            for counter, bucket in current.items():
                conn.execute(
                    _PRUNE[0], {"counter": counter, "current": bucket, "window": WINDOW_BUCKETS}
                )
            conn.execute(_PRUNE[1], {"hour": hour, "hours": DEVICE_HOURS})


def _arrays(keys: Sequence[CounterKey]) -> dict[str, list[str] | list[int]]:
    return {
        "counters": [k.counter for k in keys],
        "keys": [k.key for k in keys],
        "buckets": [k.bucket for k in keys],
    }
