"""A platform store of tens of millions of rows for the ledger's end-to-end benchmark.

Made in the database itself (a recursive CTE on SQLite, ``generate_series`` on PostgreSQL),
so 20 million events take a minute or two rather than the demo loader's half hour. The
shape is that of a platform whose interactions were all accepted but never integrated (the
issue's integrator catching up a freshly loaded demo): per period of 20 events,

* 3 comments (``comments`` rows with a device and an IP prefix, a short body),
* 12 likes (``likes`` rows with a device and an IP prefix),
* 5 unlikes (events pointing at five of the period's likes, whose ``removed_at`` is set),

so 75% of the events have their own row; 1M accounts, 200k videos, 10k devices, one
source in 20 is a campaign. No account has a ledger secret yet: the integrator makes one
per account, as on a store that was never integrated. Foreign keys are not checked while
loading (videos rows are not needed by the integrator; accounts are, for the secrets' foreign key).

``reset_ledger`` empties the ledger's own tables so several runs integrate the same store.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from plaudit.ledger import EMPTY_ROOT
from plaudit.platform import Platform

__all__ = ["ACCOUNTS", "ensure_store", "reset_ledger"]

ACCOUNTS = 1_000_000
VIDEOS = 200_000
DEVICES = 10_000
START_S = 1_764_000_000  # 2025-11-24, one event per millisecond after it

# Per event i: which rows and events it makes (see the module docstring).
_COMMENT = "i % 20 < 3"
_LIKE = "i % 20 BETWEEN 3 AND 14"
_REMOVED = "i % 20 BETWEEN 5 AND 9"  # the likes that the unlikes at i + 10 remove
_ACCOUNT = f"1 + i % {ACCOUNTS}"
_VIDEO = f"1 + (i / {ACCOUNTS} + (i % 97) * 1000) % {VIDEOS}"  # unique per (account, video)
_DEVICE = f"1 + i % {DEVICES}"
_SOURCE = "CASE WHEN i % 20 = 4 THEN 'campaign:7' ELSE 'app' END"
_IP = "'203.0.' || (i % 256) || '.0/24'"
_KIND = f"CASE WHEN {_COMMENT} THEN 'comment' WHEN {_LIKE} THEN 'like' ELSE 'unlike' END"
_REF = f"CASE WHEN {_COMMENT} OR {_LIKE} THEN i ELSE i - 10 END"


def _times(engine: str) -> tuple[str, str]:
    """SQL for an event's time and its removal time (10 ms later), as the store keeps them."""
    if engine == "sqlite":  # UTC text with microseconds, like UTCDateTime writes it
        at = (
            f"strftime('%Y-%m-%d %H:%M:%S', {START_S} + i / 1000, 'unixepoch') || '.' || "
            "printf('%06d', (i % 1000) * 1000 + i % 7)"
        )
        later = (
            f"strftime('%Y-%m-%d %H:%M:%S', {START_S} + (i + 10) / 1000, 'unixepoch') || '.' || "
            "printf('%06d', ((i + 10) % 1000) * 1000 + i % 7)"
        )
        return at, later
    at = f"to_timestamp({START_S}) + (i * 1000 + i % 7) * interval '1 microsecond'"
    return at, at + " + interval '10 milliseconds'"


def _statements(engine: str, events: int) -> list[str]:
    at, later = _times(engine)
    if engine == "sqlite":
        numbers = (
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n "
            f"WHERE i < {events - 1})"
        )
        source = "FROM n"
    else:
        numbers, source = "", f"FROM generate_series(0::bigint, {events - 1}) AS n(i)"
    device_at = "'2025-11-24 00:00:00.000000'" if engine == "sqlite" else "now()"
    device_numbers = numbers.replace(str(events - 1), str(DEVICES - 1))
    device_source = source.replace(str(events - 1), str(DEVICES - 1))
    account_numbers = numbers.replace(str(events - 1), str(ACCOUNTS - 1))
    account_source = source.replace(str(events - 1), str(ACCOUNTS - 1))
    return [
        f"{account_numbers} INSERT INTO accounts (id, handle, kind, display_name, created_at) "
        f"SELECT 1 + i, 'fan' || (1 + i), 'fan', '', {device_at} {account_source}",
        f"{device_numbers} INSERT INTO devices (id, device_key, user_agent, first_seen_at) "
        f"SELECT 1 + i, 'device-' || (1 + i), 'Mozilla/5.0 (Linux; Android 14) build ' || "
        f"((1 + i) % 50), {device_at} {device_source}",
        f"{numbers} INSERT INTO likes (id, account_id, video_id, source, device_id, ip_prefix, "
        f"created_at, removed_at, removed_source) SELECT i, {_ACCOUNT}, {_VIDEO}, {_SOURCE}, "
        f"{_DEVICE}, {_IP}, {at}, CASE WHEN {_REMOVED} THEN {later} END, "
        f"CASE WHEN {_REMOVED} THEN 'app' END {source} WHERE {_LIKE}",
        f"{numbers} INSERT INTO comments (id, account_id, video_id, body, source, device_id, "
        f"ip_prefix, created_at) SELECT i, {_ACCOUNT}, {_VIDEO}, 'comment number ' || i, "
        f"{_SOURCE}, {_DEVICE}, {_IP}, {at} {source} WHERE {_COMMENT}",
        f"{numbers} INSERT INTO events (seq, kind, ref_id) SELECT i, {_KIND}, {_REF} {source}",
        f"UPDATE sequencer SET next_value = {events} WHERE name = 'events'",
    ]


_LOADED = ("accounts", "devices", "likes", "comments", "events")


def _secondary_indexes(cursor: Any, engine: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the loaded tables' indexes that are not constraints."""
    tables = ", ".join(f"'{t}'" for t in _LOADED)
    if engine == "sqlite":
        cursor.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({tables})"
        )
    else:
        cursor.execute(
            f"SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename IN ({tables}) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        )
    return [(str(name), str(create)) for name, create in cursor.fetchall()]


def ensure_store(platform: Platform, events: int) -> float:
    """Fill an empty store with `events` events and their rows; seconds taken (0 when the
    store already holds them)."""
    db = platform.db
    with db.read() as conn:
        have = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
    if have == events:
        return 0.0
    if have:
        raise SystemExit(f"the store holds {have:,} events, not {events:,}: use a new --keep")
    engine = db.dialect
    started = time.perf_counter()
    raw = db.write_engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine == "sqlite":
            cursor.execute("PRAGMA foreign_keys = OFF")
            cursor.execute("PRAGMA synchronous = OFF")
        else:
            cursor.execute("SET session_replication_role = replica")  # no FK triggers
        indexes = _secondary_indexes(cursor, engine)
        for name, _create in indexes:  # built once at the end: far faster than row by row
            cursor.execute(f"DROP INDEX {name}")
        for number, statement in enumerate(_statements(engine, events), 1):
            cursor.execute(statement)
            print(f"    store: step {number}/6 done at {time.perf_counter() - started:.0f} s")
        for _name, create in indexes:
            cursor.execute(create)
        print(f"    store: indexes rebuilt at {time.perf_counter() - started:.0f} s")
        raw.commit()
        if engine == "sqlite":  # the pooled connection goes back as the platform set it
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA synchronous = {platform.settings.sqlite_synchronous}")
        else:
            cursor.execute("SET session_replication_role = origin")
            raw.commit()
            for table in ("events", "likes", "comments", "devices"):
                cursor.execute(f"ANALYZE {table}")
            raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def reset_ledger(platform: Platform) -> None:
    """An empty log on the same store: no tiles, bundles, checkpoints, secrets, quarantine."""

    def empty(conn: Connection) -> None:
        for table in (
            "ledger_tiles",
            "ledger_bundles",
            "ledger_cosignatures",
            "ledger_checkpoints",
            "ledger_quarantine",
            "account_secrets",
        ):
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(
            text("UPDATE ledger_state SET size = 0, root = :root WHERE id = 1"),
            {"root": EMPTY_ROOT},
        )

    platform.db.write(empty)
