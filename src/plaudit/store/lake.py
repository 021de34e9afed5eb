"""SQL the event lake's export reads: events with their rows, profiles, campaign facts.

Every query reads a half-open range of the event sequence, so the export proceeds in chunks
from a watermark and a chunk read twice gives the same rows. Times come back as UTC
microseconds (`ledger.time_us`) on both engines.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from sqlalchemy import and_, case, literal, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from plaudit.store.ledger import time_us
from plaudit.store.tables import (
    campaign_likes,
    comments,
    completions,
    events,
    follows,
    likes,
    profiles,
    revocations,
    shares,
)

__all__ = [
    "CampaignLikeRow",
    "CompletionRow",
    "EventRow",
    "ProfileRow",
    "campaign_likes_between",
    "completions_all",
    "events_between",
    "profiles_all",
]


class EventRow(NamedTuple):
    """One sequenced interaction as the lake stores it (before keyed hashing)."""

    seq: int
    kind: str
    ref_id: int
    account_id: int
    target_id: int
    at_us: int
    source: str
    device_id: int | None
    ip_prefix: str | None


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


def _in_range(lo: int, hi: int) -> Any:
    return and_(events.c.seq >= lo, events.c.seq < hi)


def _likes(lo: int, hi: int) -> Select[Any]:
    unlike = events.c.kind == "unlike"
    return (
        select(
            events.c.seq,
            events.c.kind,
            events.c.ref_id,
            likes.c.account_id,
            likes.c.video_id,
            case((unlike, likes.c.removed_at), else_=likes.c.created_at),
            case((unlike, likes.c.removed_source), else_=likes.c.source),
            case((unlike, None), else_=likes.c.device_id),
            case((unlike, None), else_=likes.c.ip_prefix),
        )
        .join(likes, likes.c.id == events.c.ref_id)
        .where(_in_range(lo, hi), events.c.kind.in_(("like", "unlike")))
    )


def _posts(table: Any, kind: str, lo: int, hi: int) -> Select[Any]:
    """Comments and shares: made once, from a device and a network."""
    return (
        select(
            events.c.seq,
            events.c.kind,
            events.c.ref_id,
            table.c.account_id,
            table.c.video_id,
            table.c.created_at,
            table.c.source,
            table.c.device_id,
            table.c.ip_prefix,
        )
        .join(table, table.c.id == events.c.ref_id)
        .where(_in_range(lo, hi), events.c.kind == kind)
    )


def _follows(lo: int, hi: int) -> Select[Any]:
    unfollow = events.c.kind == "unfollow"
    return (
        select(
            events.c.seq,
            events.c.kind,
            events.c.ref_id,
            follows.c.follower_id,
            follows.c.creator_id,
            case((unfollow, follows.c.removed_at), else_=follows.c.created_at),
            follows.c.source,
            literal(None),
            literal(None),
        )
        .join(follows, follows.c.id == events.c.ref_id)
        .where(_in_range(lo, hi), events.c.kind.in_(("follow", "unfollow")))
    )


def _verdicts(lo: int, hi: int) -> Select[Any]:
    """Revocations and reinstatements: the source names the verdict, as in the ledger."""
    reinstate = events.c.kind == "reinstate"
    return (
        select(
            events.c.seq,
            events.c.kind,
            events.c.ref_id,
            revocations.c.account_id,
            revocations.c.video_id,
            case((reinstate, revocations.c.reinstated_at), else_=revocations.c.revoked_at),
            literal("verdict:") + revocations.c.verdict_id.cast(likes.c.source.type),
            literal(None),
            literal(None),
        )
        .join(revocations, revocations.c.id == events.c.ref_id)
        .where(_in_range(lo, hi), events.c.kind.in_(("revoke", "reinstate")))
    )


def events_between(conn: Connection, lo: int, hi: int) -> list[EventRow]:
    """The events with `lo <= seq < hi` joined with their rows, in sequence order."""
    parts = (
        _likes(lo, hi),
        _posts(comments, "comment", lo, hi),
        _posts(shares, "share", lo, hi),
        _follows(lo, hi),
        _verdicts(lo, hi),
    )
    rows = [row for part in parts for row in conn.execute(part)]
    rows.sort(key=lambda row: int(row[0]))
    return [
        EventRow(int(r[0]), r[1], int(r[2]), int(r[3]), int(r[4]), time_us(r[5]), r[6], r[7], r[8])
        for r in rows
    ]


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
    ).order_by(profiles.c.account_id)
    result = conn.execution_options(yield_per=chunk).execute(query)
    for part in result.partitions(chunk):
        yield [ProfileRow(*row[:8], time_us(row[8])) for row in part]


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
