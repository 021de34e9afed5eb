"""Set-based SQL for bulk ingest, run on the driver's cursor for speed.

Bulk ingest touches a handful of fixed statements per interaction; going through Core
statement building would cost several times the database work (see prepared.py). Everything
here is plain SQL valid on SQLite and PostgreSQL, with the placeholder and time format of the
connection's driver, chunked under both engines' parameter limits. All of it runs in the
caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from plaudit.store.sequence import EVENTS, allocate

__all__ = [
    "ACCOUNT_COLUMNS",
    "COMMENT_COLUMNS",
    "FOLLOW_COLUMNS",
    "LIKE_COLUMNS",
    "PROFILE_COLUMNS",
    "SHARE_COLUMNS",
    "VIDEO_COLUMNS",
    "BulkSQL",
]

T = TypeVar("T")
_CHUNK = 500

LIKE_COLUMNS = (
    "id",
    "account_id",
    "video_id",
    "source",
    "device_id",
    "ip_prefix",
    "created_at",
    "removed_at",
    "removed_source",
    "network",
)
FOLLOW_COLUMNS = ("id", "follower_id", "creator_id", "source", "created_at", "removed_at")
COMMENT_COLUMNS = (
    "id",
    "account_id",
    "video_id",
    "body",
    "source",
    "device_id",
    "ip_prefix",
    "created_at",
)
SHARE_COLUMNS = (
    "id",
    "account_id",
    "video_id",
    "channel",
    "source",
    "device_id",
    "ip_prefix",
    "created_at",
)
ACCOUNT_COLUMNS = ("id", "handle", "kind", "display_name", "created_at")
PROFILE_COLUMNS = (
    "account_id",
    "birth_year",
    "gender",
    "province",
    "city",
    "city_tier",
    "spending_band",
    "consent_personalisation",
    "consent_targeting",
    "updated_at",
)
VIDEO_COLUMNS = ("id", "creator_id", "title", "category", "duration_s", "published_at")


def _device_key(device: tuple[str, str]) -> str:
    return device[0]


def _chunks(values: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class BulkSQL:
    """The bulk statements bound to one connection (its cursor, placeholder and time format)."""

    def __init__(self, conn: Connection) -> None:
        self._cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        self._conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        self._mark = "?" if self.sqlite else "%s"
        self._times: dict[datetime, str] = {}

    def time(self, value: datetime | None) -> Any:
        """A timestamp as the driver stores it (SQLite: UTC text; PostgreSQL: timestamptz)."""
        if value is None or not self.sqlite:
            return value
        text = self._times.get(value)
        if text is None:  # a batch's items share their seconds: spell each once
            utc = value if value.tzinfo is UTC else value.astimezone(UTC)
            # isoformat is twice as fast as strftime; [:26] drops the "+00:00" SQLite must
            # not see.
            text = self._times[value] = utc.isoformat(" ", "microseconds")[:26]
        return text

    def _marks(self, count: int) -> str:
        return ",".join([self._mark] * count)

    def _lookup(self, sql_template: str, keys: Sequence[Any], width: int) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        for chunk in _chunks(keys):
            if width == 1:
                params: list[Any] = list(chunk)
                marks = self._marks(len(chunk))
            else:
                params = [value for key in chunk for value in key]
                marks = ",".join(["(" + self._marks(width) + ")"] * len(chunk))
            self._cursor.execute(sql_template.format(marks=marks), params)
            rows.extend(self._cursor.fetchall())
        return rows

    def video_creators(self, video_ids: Iterable[int]) -> dict[int, int]:
        """video id -> creator id, for those of `video_ids` that exist."""
        sql = "SELECT id, creator_id FROM videos WHERE id IN ({marks})"
        return {row[0]: row[1] for row in self._lookup(sql, sorted(set(video_ids)), 1)}

    def account_kinds(self, account_ids: Iterable[int]) -> dict[int, str]:
        """account id -> kind, for those of `account_ids` that exist."""
        sql = "SELECT id, kind FROM accounts WHERE id IN ({marks})"
        return {row[0]: row[1] for row in self._lookup(sql, sorted(set(account_ids)), 1)}

    def kinds_and_created_times(
        self, account_ids: Iterable[int]
    ) -> tuple[dict[int, str], dict[int, datetime]]:
        """(account id -> kind, account id -> creation time, aware UTC) of those of
        `account_ids` that exist: what a bulk batch's rules (ages) and its ingest (kinds)
        need of its accounts, in one read instead of two (issue #18)."""
        sql = "SELECT id, kind, created_at FROM accounts WHERE id IN ({marks})"
        rows = self._lookup(sql, sorted(set(account_ids)), 1)
        kinds = {row[0]: row[1] for row in rows}
        if not self.sqlite:
            return kinds, {row[0]: row[2].astimezone(UTC) for row in rows}
        parse = datetime.fromisoformat  # SQLite holds the UTC text `time` wrote
        return kinds, {row[0]: parse(row[2]).replace(tzinfo=UTC) for row in rows}

    def _active(
        self, table: str, left: str, right: str, pairs: Iterable[tuple[int, int]]
    ) -> dict[tuple[int, int], int]:
        # A join against VALUES lets both engines probe the partial unique index per pair
        # (a row-value IN list makes SQLite scan the whole index instead).
        sql = (
            f"SELECT t.{left}, t.{right}, t.id FROM (VALUES {{marks}}) AS v "
            f"JOIN {table} AS t ON t.{left} = v.column1 AND t.{right} = v.column2 "
            "WHERE t.removed_at IS NULL"
        )
        return {(r[0], r[1]): r[2] for r in self._lookup(sql, sorted(set(pairs)), 2)}

    def active_likes(self, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
        """(account id, video id) -> id of the active like, for the pairs that have one."""
        return self._active("likes", "account_id", "video_id", pairs)

    def active_follows(self, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
        """(follower id, creator id) -> id of the active follow, for the pairs that have one."""
        return self._active("follows", "follower_id", "creator_id", pairs)

    def reserve_ids(self, table: str, count: int) -> list[int]:
        """`count` fresh ids for `table`, so rows can be written with their ids known.

        SQLite: the writer holds the database's write lock (BEGIN IMMEDIATE), so the ids
        after the current maximum are ours. PostgreSQL: drawn from the table's sequence.
        """
        if count == 0:
            return []
        if self.sqlite:
            self._cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            first = self._scalar_int() + 1
            return list(range(first, first + count))
        self._cursor.execute(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)",
            (count,),
        )
        return [int(row[0]) for row in self._cursor.fetchall()]

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows given as tuples in `columns` order (times already adapted)."""
        if rows:
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({self._marks(len(columns))})"
            self._cursor.executemany(sql, rows)

    def remove(self, table: str, rows: Sequence[tuple[Any, ...]], with_source: bool) -> None:
        """Mark rows removed: tuples of (removed_at, [removed_source,] id)."""
        if rows:
            source = f", removed_source = {self._mark}" if with_source else ""
            sql = f"UPDATE {table} SET removed_at = {self._mark}{source} WHERE id = {self._mark}"
            self._cursor.executemany(sql, rows)

    def add_video_counters(self, deltas: dict[int, list[int]]) -> None:
        """Per video [likes, comments, shares] deltas."""
        m = self._mark
        sql = (
            f"UPDATE video_counters SET likes = likes + {m}, comments = comments + {m}, "
            f"shares = shares + {m} WHERE video_id = {m}"
        )
        self._cursor.executemany(sql, [(d[0], d[1], d[2], k) for k, d in deltas.items()])

    def add_creator_counters(self, deltas: dict[int, list[int]]) -> None:
        """Per creator [likes, followers, videos] deltas."""
        m = self._mark
        sql = (
            f"UPDATE creator_counters SET likes = likes + {m}, followers = followers + {m}, "
            f"videos = videos + {m} WHERE creator_id = {m}"
        )
        self._cursor.executemany(sql, [(d[0], d[1], d[2], k) for k, d in deltas.items()])

    def append_events(self, kinds_and_refs: Sequence[tuple[str, int]]) -> int:
        """Sequence interactions in order; returns the seq of the first (-1 when none)."""
        if not kinds_and_refs:
            return -1
        first = allocate(self._conn, EVENTS, len(kinds_and_refs))
        rows = [(first + i, kind, ref) for i, (kind, ref) in enumerate(kinds_and_refs)]
        self.insert("events", ("seq", "kind", "ref_id"), rows)
        return first

    def device_ids(
        self, keys: Iterable[tuple[str, str]], at: datetime
    ) -> dict[tuple[str, str], int]:
        """(device key, user agent) -> device id, registering first-seen devices."""
        # in key order, so the probes walk the index in order; ordering by the key string
        # alone is 4x cheaper than comparing the pairs (2-5% of a bulk batch, issue #18)
        wanted = sorted(set(keys), key=_device_key)
        sql = (
            "SELECT d.device_key, d.user_agent, d.id FROM (VALUES {marks}) AS v "
            "JOIN devices AS d ON d.device_key = v.column1 AND d.user_agent = v.column2"
        )
        found = {(r[0], r[1]): r[2] for r in self._lookup(sql, wanted, 2)}
        missing = [key for key in wanted if key not in found]
        ids = self.reserve_ids("devices", len(missing))
        first_seen = self.time(at)
        self.insert(
            "devices",
            ("id", "device_key", "user_agent", "first_seen_at"),
            [(i, k, ua, first_seen) for i, (k, ua) in zip(ids, missing, strict=True)],
        )
        found.update(zip(missing, ids, strict=True))
        return found

    def sync_sequence(self, table: str) -> None:
        """PostgreSQL: after inserts with explicit ids, move the id sequence past them."""
        if not self.sqlite:
            self._cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            )

    def _scalar_int(self) -> int:
        row = self._cursor.fetchone()
        assert row is not None, "an aggregate query always returns a row"
        return int(row[0])

    def close(self) -> None:
        self._cursor.close()
