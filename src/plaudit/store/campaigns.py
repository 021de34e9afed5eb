"""SQL of campaigns: organisations, campaigns, participations, completions, rewards.

Each function runs in the caller's transaction. Money moves only in `spend`, a conditional
UPDATE that the database evaluates under the campaign row's lock, so concurrent releases on
PostgreSQL (or serialised writers on SQLite) can never push `spent_fen` past the budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, func, insert, literal_column, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql import ColumnElement, Select

from plaudit.store.prepared import Prepared
from plaudit.store.sequence import inserted_id
from plaudit.store.tables import (
    accounts,
    authenticity_scans,
    campaign_likes,
    campaign_videos,
    campaigns,
    completions,
    holds,
    likes,
    organisation_members,
    organisations,
    participations,
    profiles,
    revocations,
    rewards,
)
from plaudit.store.types import UTCDateTime

__all__ = [
    "account_kind",
    "active_campaigns",
    "all_campaigns",
    "assign_likes",
    "campaign_like_rows",
    "campaign_terms",
    "campaign_videos_of",
    "claim_coupon",
    "completion_likes",
    "completions_of",
    "count_completions",
    "count_running",
    "donation_totals",
    "end_campaign",
    "get_campaign",
    "get_completion",
    "get_organisation",
    "get_participation",
    "has_video",
    "insert_campaign",
    "insert_campaign_like",
    "insert_organisation",
    "insert_participation",
    "insert_pending_completion",
    "insert_reward",
    "list_campaigns",
    "mark_completion",
    "members_of",
    "opted_in",
    "organisations_of",
    "pending_completion_ids",
    "redeem_reward",
    "remove_member",
    "report_rows",
    "reward_by_hash",
    "rewards_of",
    "role_of",
    "scanned_through",
    "set_streak",
    "spend",
    "streak_like_ids",
    "targeting_consent",
    "upsert_member",
    "video_campaign_likes",
]


# --- organisations ---


def insert_organisation(conn: Connection, name: str, at: datetime) -> int:
    return inserted_id(conn.execute(insert(organisations).values(name=name, created_at=at)))


def get_organisation(conn: Connection, organisation_id: int) -> Row[Any] | None:
    stmt = select(organisations).where(organisations.c.id == organisation_id)
    return conn.execute(stmt).first()


def role_of(conn: Connection, organisation_id: int, account_id: int) -> str | None:
    m = organisation_members
    stmt = select(m.c.role).where(
        and_(m.c.organisation_id == organisation_id, m.c.account_id == account_id)
    )
    role = conn.execute(stmt).scalar()
    return None if role is None else str(role)


def upsert_member(
    conn: Connection, organisation_id: int, account_id: int, role: str, at: datetime
) -> None:
    m = organisation_members
    where = and_(m.c.organisation_id == organisation_id, m.c.account_id == account_id)
    if conn.execute(update(m).where(where).values(role=role)).rowcount == 0:
        conn.execute(
            insert(m).values(
                organisation_id=organisation_id, account_id=account_id, role=role, added_at=at
            )
        )


def remove_member(conn: Connection, organisation_id: int, account_id: int) -> bool:
    m = organisation_members
    where = and_(m.c.organisation_id == organisation_id, m.c.account_id == account_id)
    return bool(conn.execute(m.delete().where(where)).rowcount)


def members_of(conn: Connection, organisation_id: int) -> Sequence[Row[Any]]:
    m = organisation_members
    stmt = select(m).where(m.c.organisation_id == organisation_id).order_by(m.c.added_at)
    return conn.execute(stmt).all()


def account_kind(conn: Connection, account_id: int) -> str | None:
    kind = conn.execute(select(accounts.c.kind).where(accounts.c.id == account_id)).scalar()
    return None if kind is None else str(kind)


def targeting_consent(conn: Connection, account_id: int) -> bool:
    """An account without a profile row has the defaults: consent given."""
    stmt = select(profiles.c.consent_targeting).where(profiles.c.account_id == account_id)
    consent = conn.execute(stmt).scalar()
    return True if consent is None else bool(consent)


# --- campaigns ---


def insert_campaign(conn: Connection, values: dict[str, Any], video_ids: Sequence[int]) -> int:
    campaign_id = inserted_id(conn.execute(insert(campaigns).values(values)))
    if video_ids:
        rows = [{"campaign_id": campaign_id, "video_id": v} for v in video_ids]
        conn.execute(insert(campaign_videos), rows)
    return campaign_id


def get_campaign(conn: Connection, campaign_id: int) -> Row[Any] | None:
    return conn.execute(select(campaigns).where(campaigns.c.id == campaign_id)).first()


def campaign_videos_of(conn: Connection, campaign_id: int) -> list[int]:
    cv = campaign_videos
    stmt = select(cv.c.video_id).where(cv.c.campaign_id == campaign_id).order_by(cv.c.video_id)
    return [int(v) for v in conn.execute(stmt).scalars()]


def list_campaigns(conn: Connection, organisation_id: int) -> Sequence[Row[Any]]:
    stmt = (
        select(campaigns)
        .where(campaigns.c.organisation_id == organisation_id)
        .order_by(campaigns.c.id)
    )
    return conn.execute(stmt).all()


def all_campaigns(conn: Connection) -> Sequence[Row[Any]]:
    return conn.execute(select(campaigns).order_by(campaigns.c.id)).all()


def active_campaigns(conn: Connection, at: datetime) -> Sequence[Row[Any]]:
    stmt = (
        select(campaigns)
        .where(
            and_(
                campaigns.c.starts_at <= at,
                campaigns.c.ends_at > at,
                campaigns.c.ended_at.is_(None),
            )
        )
        .order_by(campaigns.c.id)
    )
    return conn.execute(stmt).all()


def end_campaign(conn: Connection, campaign_id: int, at: datetime) -> None:
    conn.execute(
        update(campaigns)
        .where(and_(campaigns.c.id == campaign_id, campaigns.c.ended_at.is_(None)))
        .values(ended_at=at)
    )


def spend(conn: Connection, campaign_id: int, amount_fen: int) -> bool:
    """Add `amount_fen` to the spend only if it stays within the budget; True when it did."""
    c = campaigns
    stmt = (
        update(c)
        .where(and_(c.c.id == campaign_id, c.c.spent_fen + amount_fen <= c.c.budget_fen))
        .values(spent_fen=c.c.spent_fen + amount_fen)
    )
    return conn.execute(stmt).rowcount == 1


# --- participation and progress ---


def get_participation(
    conn: Connection, campaign_id: int, account_id: int, *, lock: bool = False
) -> Row[Any] | None:
    """An account's opt-in; `lock` takes the row lock on PostgreSQL (a streak's check-in), so
    two servers cannot both count the same day. SQLite's single writer needs no lock."""
    p = participations
    stmt = select(p).where(and_(p.c.campaign_id == campaign_id, p.c.account_id == account_id))
    if lock:
        stmt = stmt.with_for_update()
    return conn.execute(stmt).first()


def insert_participation(conn: Connection, campaign_id: int, account_id: int, at: datetime) -> None:
    conn.execute(
        insert(participations).values(
            campaign_id=campaign_id, account_id=account_id, opted_in_at=at
        )
    )


def set_streak(
    conn: Connection, campaign_id: int, account_id: int, streak: int, last_day: str
) -> None:
    p = participations
    conn.execute(
        update(p)
        .where(and_(p.c.campaign_id == campaign_id, p.c.account_id == account_id))
        .values(streak=streak, last_day=last_day)
    )


# Incentivised likes run these inside the like's transaction: compiled once (prepared.py),
# with constants written into the SQL so that the only parameters are the named ones.
_VOIDED: ColumnElement[str] = literal_column("'voided'")
_ONE: ColumnElement[int] = literal_column("1")
_ZERO: ColumnElement[int] = literal_column("0")
_COUNT_COMPLETIONS = Prepared(
    select(
        func.count(),
        func.coalesce(func.sum(case((completions.c.status == _VOIDED, _ONE), else_=_ZERO)), _ZERO),
    ).where(
        and_(
            completions.c.campaign_id == bindparam("p_campaign"),
            completions.c.account_id == bindparam("p_account"),
        )
    )
)
_HAS_VIDEO = Prepared(
    select(campaign_videos.c.video_id).where(
        and_(
            campaign_videos.c.campaign_id == bindparam("p_campaign"),
            campaign_videos.c.video_id == bindparam("p_video"),
        )
    )
)
_OPTED_IN = Prepared(
    select(participations.c.id).where(
        and_(
            participations.c.campaign_id == bindparam("p_campaign"),
            participations.c.account_id == bindparam("p_account"),
        )
    )
)


_AT = bindparam("p_at", type_=UTCDateTime())
_TERMS = Prepared(
    select(
        campaigns.c.task,
        campaigns.c.reward_fen,
        campaigns.c.budget_fen,
        campaigns.c.spent_fen,
        campaigns.c.per_account_limit,
        campaigns.c.streak_days,
        campaigns.c.streak_miss,
        campaigns.c.time_zone,
        case(
            (
                and_(
                    campaigns.c.starts_at <= _AT,
                    campaigns.c.ends_at > _AT,
                    campaigns.c.ended_at.is_(None),
                ),
                _ONE,
            ),
            else_=_ZERO,
        ),
    ).where(campaigns.c.id == bindparam("p_campaign"))
)


def campaign_terms(conn: Connection, campaign_id: int, at: datetime) -> tuple[Any, ...] | None:
    """(task, reward_fen, budget_fen, spent_fen, per_account_limit, streak_days, streak_miss,
    time_zone, running at `at` as 1 or 0): what an incentivised like is checked against, in
    one prepared statement (no datetimes come back: the driver would hand SQLite's as text)."""
    return _TERMS.first(conn, {"p_campaign": campaign_id, "p_at": at})


def count_completions(conn: Connection, campaign_id: int, account_id: int) -> tuple[int, int]:
    """(every completion of the account, those not voided): ordinals and the limit use them."""
    row = _COUNT_COMPLETIONS.first(conn, {"p_campaign": campaign_id, "p_account": account_id})
    assert row is not None
    total, voided_n = int(row[0]), int(row[1])
    return total, total - voided_n


def has_video(conn: Connection, campaign_id: int, video_id: int) -> bool:
    return _HAS_VIDEO.scalar(conn, {"p_campaign": campaign_id, "p_video": video_id}) is not None


def opted_in(conn: Connection, campaign_id: int, account_id: int) -> bool:
    return _OPTED_IN.scalar(conn, {"p_campaign": campaign_id, "p_account": account_id}) is not None


_INSERT_COMPLETION = Prepared(
    insert(completions)
    .values(
        campaign_id=bindparam("campaign_id"),
        account_id=bindparam("account_id"),
        ordinal=bindparam("ordinal"),
        status=literal_column("'pending'"),
        amount_fen=bindparam("amount_fen"),
        created_at=bindparam("created_at", type_=UTCDateTime()),
    )
    .returning(completions.c.id)
)
_INSERT_CAMPAIGN_LIKE = Prepared(
    insert(campaign_likes).values(
        like_id=bindparam("like_id"),
        campaign_id=bindparam("campaign_id"),
        account_id=bindparam("account_id"),
        video_id=bindparam("video_id"),
        seq=bindparam("seq"),
        day=bindparam("day"),
        created_at=bindparam("created_at", type_=UTCDateTime()),
        completion_id=bindparam("completion_id"),
    )
)


def insert_pending_completion(
    conn: Connection, campaign_id: int, account_id: int, ordinal: int, amount_fen: int, at: datetime
) -> int:
    """A new pending completion; its id."""
    values = {
        "campaign_id": campaign_id,
        "account_id": account_id,
        "ordinal": ordinal,
        "amount_fen": amount_fen,
        "created_at": at,
    }
    return int(_INSERT_COMPLETION.scalar(conn, values))


def insert_campaign_like(conn: Connection, values: dict[str, Any]) -> None:
    """Record a like made through a campaign (`completion_id` None until a streak completes)."""
    _INSERT_CAMPAIGN_LIKE.run(conn, {"completion_id": None, **values}).close()


def streak_like_ids(conn: Connection, campaign_id: int, account_id: int, days: int) -> list[int]:
    """The latest `days` unassigned likes of the account: the streak that just completed."""
    cl = campaign_likes
    stmt = (
        select(cl.c.like_id)
        .where(
            and_(
                cl.c.campaign_id == campaign_id,
                cl.c.account_id == account_id,
                cl.c.completion_id.is_(None),
            )
        )
        .order_by(cl.c.like_id.desc())
        .limit(days)
    )
    return [int(v) for v in conn.execute(stmt).scalars()]


def assign_likes(conn: Connection, like_ids: Sequence[int], completion_id: int) -> None:
    cl = campaign_likes
    conn.execute(
        update(cl).where(cl.c.like_id.in_(list(like_ids))).values(completion_id=completion_id)
    )


def completions_of(conn: Connection, campaign_id: int, account_id: int) -> Sequence[Row[Any]]:
    c = completions
    stmt = (
        select(c)
        .where(and_(c.c.campaign_id == campaign_id, c.c.account_id == account_id))
        .order_by(c.c.id)
    )
    return conn.execute(stmt).all()


# --- settlement ---


def pending_completion_ids(conn: Connection) -> list[int]:
    c = completions
    stmt = select(c.c.id).where(c.c.status == "pending").order_by(c.c.id)
    return [int(v) for v in conn.execute(stmt).scalars()]


def get_completion(conn: Connection, completion_id: int) -> Row[Any] | None:
    """A completion with its campaign's `task` (which decides the kind of reward)."""
    stmt = (
        select(completions, campaigns.c.task)
        .join(campaigns, campaigns.c.id == completions.c.campaign_id)
        .where(completions.c.id == completion_id)
    )
    return conn.execute(stmt).first()


def completion_likes(conn: Connection, completion_id: int) -> Sequence[Row[Any]]:
    """Each like behind a completion with what the authenticity hold needs to judge it."""
    cl, r, h = campaign_likes, revocations, holds
    revoked = (
        select(r.c.verdict_id)
        .where(and_(r.c.like_id == cl.c.like_id, r.c.reinstated_at.is_(None)))
        .limit(1)
        .scalar_subquery()
    )
    stmt: Select[Any] = (
        select(
            cl.c.like_id,
            cl.c.seq,
            likes.c.removed_at,
            revoked.label("revoked_by"),
            h.c.like_id.label("held"),
            h.c.released_at.label("hold_released_at"),
            h.c.outcome.label("hold_outcome"),
        )
        .join(likes, likes.c.id == cl.c.like_id)
        .outerjoin(h, h.c.like_id == cl.c.like_id)
        .where(cl.c.completion_id == completion_id)
    )
    return conn.execute(stmt).all()


def scanned_through(conn: Connection) -> int | None:
    """The highest event seq a finished authenticity scan has covered (None: no scan yet)."""
    s = authenticity_scans
    stmt = select(func.max(s.c.through_seq)).where(s.c.finished_at.is_not(None))
    value = conn.execute(stmt).scalar()
    return None if value is None else int(value)


def mark_completion(
    conn: Connection,
    completion_id: int,
    status: str,
    at: datetime,
    reason: str | None = None,
    *,
    from_status: str = "pending",
) -> bool:
    """Move a completion from `from_status` to `status`; False when it was not in it."""
    c = completions
    stmt = (
        update(c)
        .where(and_(c.c.id == completion_id, c.c.status == from_status))
        .values(status=status, settled_at=at, reason=reason)
    )
    return conn.execute(stmt).rowcount == 1


def insert_reward(conn: Connection, values: dict[str, Any]) -> int:
    return inserted_id(conn.execute(insert(rewards).values(values)))


# --- rewards and coupons ---


def rewards_of(conn: Connection, account_id: int) -> Sequence[Row[Any]]:
    stmt = select(rewards).where(rewards.c.account_id == account_id).order_by(rewards.c.id)
    return conn.execute(stmt).all()


def claim_coupon(
    conn: Connection, reward_id: int, account_id: int, digest: bytes, at: datetime
) -> bool:
    """Store a coupon's hash once; False when the code was shown before."""
    w = rewards
    stmt = (
        update(w)
        .where(
            and_(
                w.c.id == reward_id,
                w.c.account_id == account_id,
                w.c.kind == "coupon",
                w.c.coupon_hash.is_(None),
            )
        )
        .values(coupon_hash=digest, code_shown_at=at)
    )
    return conn.execute(stmt).rowcount == 1


def reward_by_hash(conn: Connection, digest: bytes) -> Row[Any] | None:
    stmt = (
        select(rewards, campaigns.c.organisation_id)
        .join(campaigns, campaigns.c.id == rewards.c.campaign_id)
        .where(rewards.c.coupon_hash == digest)
    )
    return conn.execute(stmt).first()


def redeem_reward(conn: Connection, reward_id: int, by: int, at: datetime) -> bool:
    """Mark a coupon redeemed once; False when it was redeemed before (a replay)."""
    w = rewards
    stmt = (
        update(w)
        .where(and_(w.c.id == reward_id, w.c.redeemed_at.is_(None)))
        .values(redeemed_at=at, redeemed_by=by)
    )
    return conn.execute(stmt).rowcount == 1


# --- reads for reports and disclosure ---


def donation_totals(conn: Connection, campaign_id: int) -> tuple[int, int]:
    """(fen donated, rewards behind it) of a campaign's released donations."""
    w = rewards
    stmt = select(func.coalesce(func.sum(w.c.amount_fen), 0), func.count()).where(
        and_(w.c.campaign_id == campaign_id, w.c.kind == "donation")
    )
    total, n = conn.execute(stmt).one()
    return int(total), int(n)


def campaign_like_rows(conn: Connection, campaign_id: int) -> Sequence[Row[Any]]:
    """Each campaign like with whether it counts as authentic now (active, not revoked/held)."""
    cl, r, h = campaign_likes, revocations, holds
    revoked = (
        select(func.count())
        .where(and_(r.c.like_id == cl.c.like_id, r.c.reinstated_at.is_(None)))
        .scalar_subquery()
    )
    held = (
        select(func.count())
        .where(
            and_(
                h.c.like_id == cl.c.like_id,
                (h.c.released_at.is_(None)) | (h.c.outcome == "revoked"),
            )
        )
        .scalar_subquery()
    )
    stmt: Select[Any] = (
        select(cl.c.created_at, likes.c.removed_at, revoked.label("revoked"), held.label("held"))
        .join(likes, likes.c.id == cl.c.like_id)
        .where(cl.c.campaign_id == campaign_id)
    )
    return conn.execute(stmt).all()


def report_rows(conn: Connection, campaign_id: int) -> dict[str, Sequence[Row[Any]]]:
    """The rows a brand report aggregates (never shown individually)."""
    c, w, p = completions, rewards, participations
    return {
        "likes": campaign_like_rows(conn, campaign_id),
        "completions": conn.execute(
            select(c.c.status, c.c.created_at, c.c.settled_at).where(c.c.campaign_id == campaign_id)
        ).all(),
        "rewards": conn.execute(
            select(w.c.kind, w.c.amount_fen, w.c.released_at, w.c.redeemed_at).where(
                w.c.campaign_id == campaign_id
            )
        ).all(),
        "opted_in": conn.execute(
            select(p.c.opted_in_at).where(p.c.campaign_id == campaign_id)
        ).all(),
    }


def video_campaign_likes(conn: Connection, video_id: int) -> Sequence[Row[Any]]:
    """Per campaign: the active incentivised likes of a video that came through it."""
    cl = campaign_likes
    stmt = (
        select(
            campaigns.c.id,
            campaigns.c.name,
            campaigns.c.task,
            organisations.c.name.label("organisation"),
            func.count().label("likes"),
        )
        .select_from(cl)
        .join(likes, likes.c.id == cl.c.like_id)
        .join(campaigns, campaigns.c.id == cl.c.campaign_id)
        .join(organisations, organisations.c.id == campaigns.c.organisation_id)
        .where(and_(cl.c.video_id == video_id, likes.c.removed_at.is_(None)))
        .group_by(campaigns.c.id, campaigns.c.name, campaigns.c.task, organisations.c.name)
        .order_by(campaigns.c.id)
    )
    return conn.execute(stmt).all()


def organisations_of(conn: Connection, account_id: int) -> list[int]:
    """The organisations an account is a member of, by id."""
    m = organisation_members
    stmt = select(m.c.organisation_id).where(m.c.account_id == account_id)
    return sorted(int(v) for v in conn.execute(stmt.order_by(m.c.organisation_id)).scalars())


def count_running(conn: Connection, organisation_id: int, at: datetime) -> int:
    """The organisation's campaigns not ended (by date or early end) at `at`."""
    stmt = select(func.count()).where(
        campaigns.c.organisation_id == organisation_id,
        campaigns.c.ends_at > at,
        campaigns.c.ended_at.is_(None),
    )
    return int(conn.execute(stmt).scalar_one())
