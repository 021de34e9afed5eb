"""SQL of the creator fund: periods, frozen payouts, and the interactions a period counts.

The interaction reads run inside one read transaction; on PostgreSQL it is made REPEATABLE
READ first (`snapshot`), so the event horizon, the likes and their revocations are all read
from the same moment, as SQLite's WAL read transactions already are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from plaudit.store.tables import (
    account_secrets,
    authenticity_scans,
    campaigns,
    comments,
    events,
    follows,
    fund_payouts,
    fund_periods,
    holds,
    likes,
    revocations,
    shares,
    videos,
)
from plaudit.store.tables import (
    organisation_members as members,
)

__all__ = [
    "INTERACTION_TABLES",
    "campaign_organisation",
    "claims_between",
    "cleared_through",
    "close_period",
    "comment_rows",
    "event_horizon",
    "follow_rows",
    "get_period",
    "insert_payouts",
    "insert_period",
    "is_member",
    "like_rows",
    "list_periods",
    "lock_periods",
    "payouts",
    "period_by_name",
    "quality_rows",
    "secrets_of",
    "share_rows",
    "snapshot",
    "video_creators",
]

_CHUNK = 500
INTERACTION_TABLES = {"like": likes, "comment": comments, "share": shares, "follow": follows}


def _chunks(values: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def snapshot(conn: Connection) -> None:
    """Make this read transaction one snapshot (the first statement of the transaction)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def lock_periods(conn: Connection) -> None:
    """Serialise period creations (PostgreSQL): the overlap check reads every period, and two
    concurrent creations must not both pass it and pay the same interactions twice. The lock
    lets reads through; SQLite's single writer serialises writes already."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE fund_periods IN SHARE ROW EXCLUSIVE MODE")


def insert_period(conn: Connection, values: dict[str, Any]) -> int:
    result = conn.execute(insert(fund_periods).values(values).returning(fund_periods.c.id))
    return int(result.scalar_one())


def get_period(conn: Connection, period_id: int) -> Row[Any] | None:
    return conn.execute(select(fund_periods).where(fund_periods.c.id == period_id)).first()


def period_by_name(conn: Connection, name: str) -> Row[Any] | None:
    return conn.execute(select(fund_periods).where(fund_periods.c.name == name)).first()


def list_periods(conn: Connection) -> Sequence[Row[Any]]:
    order = (fund_periods.c.starts_at.desc(), fund_periods.c.id.desc())
    return conn.execute(select(fund_periods).order_by(*order)).all()


def close_period(
    conn: Connection, period_id: int, at: datetime, through_seq: int, total_units: int
) -> bool:
    """Mark the period closed; False when it was closed already (by a concurrent close)."""
    statement = (
        update(fund_periods)
        .where(fund_periods.c.id == period_id, fund_periods.c.closed_at.is_(None))
        .values(closed_at=at, through_seq=through_seq, total_units=total_units)
    )
    return conn.execute(statement).rowcount == 1


def insert_payouts(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(fund_payouts), rows)


def payouts(conn: Connection, period_id: int, creator_id: int | None = None) -> Sequence[Row[Any]]:
    query = select(fund_payouts).where(fund_payouts.c.period_id == period_id)
    if creator_id is not None:
        query = query.where(fund_payouts.c.creator_id == creator_id)
    return conn.execute(query.order_by(fund_payouts.c.creator_id)).all()


def event_horizon(conn: Connection) -> int:
    """The number of sequenced interactions: every event seq so far is below it."""
    return int(conn.execute(select(func.coalesce(func.max(events.c.seq) + 1, 0))).scalar_one())


def cleared_through(conn: Connection) -> int | None:
    """The largest through_seq of a finished authenticity scan (None: no scan finished)."""
    query = select(func.max(authenticity_scans.c.through_seq)).where(
        authenticity_scans.c.finished_at.is_not(None)
    )
    value = conn.execute(query).scalar_one()
    return None if value is None else int(value)


def like_rows(conn: Connection, start: datetime, end: datetime) -> Sequence[Any]:
    """Active likes made in [start, end), as rows named fan_id, creator_id, at, source, seq,
    revoked and pending (read by name: the fund's scoring must not shift with a column)."""
    revoked = exists().where(
        revocations.c.like_id == likes.c.id, revocations.c.reinstated_at.is_(None)
    )
    pending = exists().where(holds.c.like_id == likes.c.id, holds.c.released_at.is_(None))
    query = (
        select(
            likes.c.account_id.label("fan_id"),
            videos.c.creator_id,
            likes.c.created_at.label("at"),
            likes.c.source,
            events.c.seq,
            revoked.label("revoked"),
            pending.label("pending"),
        )
        .join(videos, videos.c.id == likes.c.video_id)
        .join(events, and_(events.c.ref_id == likes.c.id, events.c.kind == "like"))
        .where(likes.c.created_at >= start, likes.c.created_at < end, likes.c.removed_at.is_(None))
    )
    return conn.execute(query).all()


def _video_rows(conn: Connection, table: Any, start: datetime, end: datetime) -> Sequence[Any]:
    query = (
        select(
            table.c.account_id.label("fan_id"),
            videos.c.creator_id,
            table.c.created_at.label("at"),
            table.c.source,
        )
        .join(videos, videos.c.id == table.c.video_id)
        .where(table.c.created_at >= start, table.c.created_at < end)
    )
    return conn.execute(query).all()


def comment_rows(conn: Connection, start: datetime, end: datetime) -> Sequence[Any]:
    return _video_rows(conn, comments, start, end)


def share_rows(conn: Connection, start: datetime, end: datetime) -> Sequence[Any]:
    return _video_rows(conn, shares, start, end)


def follow_rows(conn: Connection, start: datetime, end: datetime) -> Sequence[Any]:
    """Follows made in [start, end) and still active."""
    query = select(
        follows.c.follower_id.label("fan_id"),
        follows.c.creator_id,
        follows.c.created_at.label("at"),
        follows.c.source,
    ).where(
        follows.c.created_at >= start, follows.c.created_at < end, follows.c.removed_at.is_(None)
    )
    return conn.execute(query).all()


def claims_between(conn: Connection, first: int, last: int) -> dict[int, tuple[str, int]]:
    """seq -> (kind, account) for the likes, comments, shares and follows with seq in
    [first, last]: which account the store says made each (one range join per kind)."""
    found: dict[int, tuple[str, int]] = {}
    for kind, table in INTERACTION_TABLES.items():
        account = table.c.follower_id if kind == "follow" else table.c.account_id
        query = (
            select(events.c.seq, account)
            .join(table, table.c.id == events.c.ref_id)
            .where(events.c.kind == kind, events.c.seq >= first, events.c.seq <= last)
        )
        found.update((int(r[0]), (kind, int(r[1]))) for r in conn.execute(query))
    return found


def secrets_of(conn: Connection, account_ids: Iterable[int]) -> dict[int, bytes | None]:
    """account id -> ledger secret (None when shredded; absent when never made)."""
    found: dict[int, bytes | None] = {}
    for chunk in _chunks(sorted(set(account_ids))):
        query = select(account_secrets.c.account_id, account_secrets.c.secret).where(
            account_secrets.c.account_id.in_(chunk)
        )
        found.update(
            (int(r[0]), None if r[1] is None else bytes(r[1])) for r in conn.execute(query)
        )
    return found


def video_creators(conn: Connection, video_ids: Iterable[int]) -> dict[int, int]:
    """video id -> creator id, from the public catalog."""
    found: dict[int, int] = {}
    for chunk in _chunks(sorted(set(video_ids))):
        query = select(videos.c.id, videos.c.creator_id).where(videos.c.id.in_(chunk))
        found.update((int(r[0]), int(r[1])) for r in conn.execute(query))
    return found


# --- interaction quality (plaudit.quality) ---


def _quality_filter(table: Any, video_id: int | None, source: str | None) -> list[Any]:
    conditions: list[Any] = []
    if video_id is not None:
        conditions.append(table.c.video_id == video_id)
    if source is not None:
        conditions.append(table.c.source == source)
    else:
        conditions.append(table.c.source.not_like("campaign:%"))
    return conditions


def quality_rows(
    conn: Connection, video_id: int | None = None, source: str | None = None
) -> list[tuple[str, int, int, datetime, bool, bool]]:
    """(kind, account, creator, at, revoked, pending) of a video's organic interactions
    (`video_id`) or of every interaction with one source (`source`, e.g. campaign:7)."""
    revoked = exists().where(
        revocations.c.like_id == likes.c.id, revocations.c.reinstated_at.is_(None)
    )
    pending = exists().where(holds.c.like_id == likes.c.id, holds.c.released_at.is_(None))
    like_query = (
        select(likes.c.account_id, videos.c.creator_id, likes.c.created_at, revoked, pending)
        .join(videos, videos.c.id == likes.c.video_id)
        .where(likes.c.removed_at.is_(None), *_quality_filter(likes, video_id, source))
    )
    found = [("like", r[0], r[1], r[2], bool(r[3]), bool(r[4])) for r in conn.execute(like_query)]
    for kind, table in (("comment", comments), ("share", shares)):
        query = (
            select(table.c.account_id, videos.c.creator_id, table.c.created_at)
            .join(videos, videos.c.id == table.c.video_id)
            .where(*_quality_filter(table, video_id, source))
        )
        found += [(kind, r[0], r[1], r[2], False, False) for r in conn.execute(query)]
    return found


def campaign_organisation(conn: Connection, campaign_id: int) -> int | None:
    """The organisation that runs a campaign (None: no such campaign)."""
    query = select(campaigns.c.organisation_id).where(campaigns.c.id == campaign_id)
    value = conn.execute(query).scalar()
    return None if value is None else int(value)


def is_member(conn: Connection, organisation_id: int, account_id: int) -> bool:
    query = select(members.c.role).where(
        members.c.organisation_id == organisation_id, members.c.account_id == account_id
    )
    return conn.execute(query).first() is not None
