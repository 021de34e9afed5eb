"""SQL the event lake's export reads: events with their rows, profiles, campaign facts.

Every query reads a half-open range of the event sequence, so the export proceeds in chunks
from a watermark and a chunk read twice gives the same rows. Snapshot times come back
as UTC microseconds (`ledger.time_us`) on both engines.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.engine import Connection

from plaudit.store.ledger import time_us
from plaudit.store.tables import (
    accounts,
    campaign_likes,
    completions,
    devices,
    profiles,
    videos,
)

__all__ = [
    "EVENT_COLUMNS",
    "AccountRow",
    "CampaignLikeRow",
    "CompletionRow",
    "ProfileRow",
    "accounts_all",
    "campaign_likes_between",
    "completions_all",
    "device_agents",
    "events_between",
    "profiles_all",
    "videos_all",
]


EVENT_COLUMNS = (
    "seq",
    "kind",
    "ref_id",
    "account_id",
    "target_id",
    "at",
    "source",
    "device_id",
    "ip_prefix",
)
"""The columns of `events_between`, in order."""


class ProfileRow(NamedTuple):
    account_id: int
    birth_year: int | None
    gender: str | None
    province: str | None
    city_tier: str | None
    spending_band: str | None
    consent_personalisation: bool
    consent_targeting: bool
    updated_at_us: int
    city: str | None


class AccountRow(NamedTuple):
    account_id: int
    kind: str
    created_at_us: int


class CampaignLikeRow(NamedTuple):
    seq: int
    like_id: int
    campaign_id: int
    account_id: int
    video_id: int
    campaign_day: str
    at_us: int


class CompletionRow(NamedTuple):
    id: int
    campaign_id: int
    account_id: int
    ordinal: int
    status: str
    amount_fen: int
    created_at_us: int
    settled_at_us: int | None


# One statement per chunk: each kind's rows joined to its events. Read on the driver's cursor:
# a lake export reads every event, and SQLAlchemy's per-row result processing cost more than
# the export's own work (benchmarks/lake.py).
_EVENTS_SQL = """
SELECT e.seq, e.kind, e.ref_id, l.account_id, l.video_id,
       CASE WHEN e.kind = 'unlike' THEN l.removed_at ELSE l.created_at END,
       CASE WHEN e.kind = 'unlike' THEN l.removed_source ELSE l.source END,
       CASE WHEN e.kind = 'unlike' THEN NULL ELSE l.device_id END,
       CASE WHEN e.kind = 'unlike' THEN NULL ELSE l.ip_prefix END
FROM events e JOIN likes l ON l.id = e.ref_id
WHERE e.kind IN ('like', 'unlike') AND e.seq >= {lo} AND e.seq < {hi}
UNION ALL
SELECT e.seq, e.kind, e.ref_id, c.account_id, c.video_id, c.created_at, c.source, c.device_id,
       c.ip_prefix
FROM events e JOIN comments c ON c.id = e.ref_id
WHERE e.kind = 'comment' AND e.seq >= {lo} AND e.seq < {hi}
UNION ALL
SELECT e.seq, e.kind, e.ref_id, s.account_id, s.video_id, s.created_at, s.source, s.device_id,
       s.ip_prefix
FROM events e JOIN shares s ON s.id = e.ref_id
WHERE e.kind = 'share' AND e.seq >= {lo} AND e.seq < {hi}
UNION ALL
SELECT e.seq, e.kind, e.ref_id, f.follower_id, f.creator_id,
       CASE WHEN e.kind = 'unfollow' THEN f.removed_at ELSE f.created_at END, f.source, NULL, NULL
FROM events e JOIN follows f ON f.id = e.ref_id
WHERE e.kind IN ('follow', 'unfollow') AND e.seq >= {lo} AND e.seq < {hi}
UNION ALL
SELECT e.seq, e.kind, e.ref_id, r.account_id, r.video_id,
       CASE WHEN e.kind = 'reinstate' THEN r.reinstated_at ELSE r.revoked_at END,
       'verdict:' || r.verdict_id, NULL, NULL
FROM events e JOIN revocations r ON r.id = e.ref_id
WHERE e.kind IN ('revoke', 'reinstate') AND e.seq >= {lo} AND e.seq < {hi}
ORDER BY 1
"""


def events_between(conn: Connection, lo: int, hi: int) -> list[tuple[Any, ...]]:
    """The events with `lo <= seq < hi` joined with their rows (EVENT_COLUMNS), by seq.

    Times are what the driver returns: text in UTC on SQLite, aware datetimes on PostgreSQL.
    """
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.execute(_EVENTS_SQL.format(lo=mark, hi=mark), (lo, hi) * 5)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


def profiles_all(conn: Connection, chunk: int = 100_000) -> Iterator[list[ProfileRow]]:
    """Every profile (no handle, no names: what the persona tags are computed from)."""
    query = select(
        profiles.c.account_id,
        profiles.c.birth_year,
        profiles.c.gender,
        profiles.c.province,
        profiles.c.city_tier,
        profiles.c.spending_band,
        profiles.c.consent_personalisation,
        profiles.c.consent_targeting,
        profiles.c.updated_at,
        profiles.c.city,
    ).order_by(profiles.c.account_id)
    result = conn.execution_options(yield_per=chunk).execute(query)
    for part in result.partitions(chunk):
        yield [ProfileRow(*row[:8], time_us(row[8]), row[9]) for row in part]


def accounts_all(conn: Connection, chunk: int = 100_000) -> Iterator[list[AccountRow]]:
    """Every account's kind and creation time (no handle, no name): persona's roles and
    tenure."""
    query = select(accounts.c.id, accounts.c.kind, accounts.c.created_at).order_by(accounts.c.id)
    result = conn.execution_options(yield_per=chunk).execute(query)
    for part in result.partitions(chunk):
        yield [AccountRow(int(row[0]), row[1], time_us(row[2])) for row in part]


def device_agents(conn: Connection, chunk: int = 100_000) -> Iterator[list[tuple[int, str]]]:
    """Every device's id and user agent (the export keeps only a class of it, never the key)."""
    query = select(devices.c.id, devices.c.user_agent).order_by(devices.c.id)
    result = conn.execution_options(yield_per=chunk).execute(query)
    for part in result.partitions(chunk):
        yield [(int(row[0]), str(row[1])) for row in part]


def campaign_likes_between(conn: Connection, lo: int, hi: int) -> list[CampaignLikeRow]:
    """Incentivised likes sequenced in `lo <= seq < hi` (disclosed, counted apart)."""
    c = campaign_likes.c
    query = (
        select(c.seq, c.like_id, c.campaign_id, c.account_id, c.video_id, c.day, c.created_at)
        .where(c.seq >= lo, c.seq < hi)
        .order_by(c.seq)
    )
    return [CampaignLikeRow(*row[:6], time_us(row[6])) for row in conn.execute(query)]


def completions_all(conn: Connection) -> list[CompletionRow]:
    """Every campaign completion with its current status (they settle after the hold)."""
    c = completions.c
    query = select(
        c.id,
        c.campaign_id,
        c.account_id,
        c.ordinal,
        c.status,
        c.amount_fen,
        c.created_at,
        c.settled_at,
    ).order_by(c.id)
    return [
        CompletionRow(*row[:6], time_us(row[6]), None if row[7] is None else time_us(row[7]))
        for row in conn.execute(query)
    ]


def videos_all(conn: Connection) -> list[tuple[int, int, str]]:
    """Every video with its creator and category: the ring detector and the fund need who
    made what, persona's interest tags its category."""
    query = select(videos.c.id, videos.c.creator_id, videos.c.category).order_by(videos.c.id)
    return [(int(row[0]), int(row[1]), str(row[2])) for row in conn.execute(query)]
