"""The source policy of incentivised likes: a like with source `campaign:<id>` is accepted only
when it really is a step of that campaign's task, and it records the progress in the same
transaction as the like.

Doing the bookkeeping inside the like's transaction (instead of consuming the `events` outbox
later) means a fan's progress is exact the moment the like is acknowledged and a rejected like
leaves nothing behind: the policy raises, the writer rolls back the like's savepoint. Unlikes,
holds and revocations are not tracked here; settlement re-reads each like when it decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from plaudit.campaigns.model import Campaign
from plaudit.campaigns.rows import campaign_from_row
from plaudit.campaigns.streak import StreakState, check_in, local_day
from plaudit.errors import (
    BudgetExhausted,
    CampaignNotActive,
    CampaignNotFound,
    InvalidInput,
    LikedBeforeCampaign,
    NotOptedIn,
    RewardLimitReached,
)
from plaudit.store import campaigns as sql

if TYPE_CHECKING:
    from plaudit.interactions import Like, LikeOutcome

__all__ = ["campaign_like_policy", "load_campaign", "require_active"]

PREFIX = "campaign:"


def load_campaign(conn: Connection, campaign_id: int) -> Campaign:
    row = sql.get_campaign(conn, campaign_id)
    if row is None:
        raise CampaignNotFound(f"campaign {campaign_id} does not exist", campaign_id=campaign_id)
    return campaign_from_row(row, sql.campaign_videos_of(conn, campaign_id))


def require_active(campaign: Campaign, at: datetime) -> None:
    if campaign.active_at(at):
        return
    spec = campaign.spec
    if at < spec.starts_at:
        why = f"starts at {spec.starts_at.isoformat()}"
    elif campaign.ended_at is not None and campaign.ended_at <= at:
        why = f"was ended at {campaign.ended_at.isoformat()}"
    else:
        why = f"ended at {spec.ends_at.isoformat()}"
    raise CampaignNotActive(
        f"campaign {campaign.id} is not running: it {why}",
        campaign_id=campaign.id,
        starts_at=spec.starts_at.isoformat(),
        ends_at=spec.ends_at.isoformat(),
    )


@dataclass(frozen=True)
class _Terms:
    """What an incentivised like is checked and recorded against (store.campaign_terms)."""

    id: int
    task: str
    reward_fen: int
    budget_fen: int
    spent_fen: int
    per_account_limit: int
    streak_days: int | None
    streak_miss: str | None
    zone: ZoneInfo


def campaign_like_policy(conn: Connection, source: str, outcome: LikeOutcome) -> None:
    """Check an incentivised like and record its progress; raise a precise problem otherwise.

    `source` is the `campaign:<id>` the client sent; `outcome` the like it produced (or the
    like that already existed).
    """
    like = outcome.like
    if not outcome.created:
        if like.source == source:
            return  # the same campaign like again: idempotent, counted once
        raise LikedBeforeCampaign(
            f"video {like.video_id} was already liked (source {like.source}); only a new like "
            "made through the campaign counts: unlike it first, then like it again",
            video_id=like.video_id,
        )
    terms = _terms(conn, int(like.source.removeprefix(PREFIX)), like.created_at)
    completions = _check_like(conn, terms, like.account_id, like.video_id)
    _record(conn, terms, outcome, completions)


def _terms(conn: Connection, campaign_id: int, at: datetime) -> _Terms:
    row = sql.campaign_terms(conn, campaign_id, at)
    if row is None:
        raise CampaignNotFound(f"campaign {campaign_id} does not exist", campaign_id=campaign_id)
    task, reward, budget, spent, limit, days, miss, zone, running = row
    if not running:
        require_active(load_campaign(conn, campaign_id), at)
    return _Terms(
        campaign_id,
        task,
        int(reward),
        int(budget),
        int(spent),
        int(limit),
        days,
        miss,
        ZoneInfo(zone),
    )


def _check_like(conn: Connection, terms: _Terms, account_id: int, video_id: int) -> int:
    """Raise the precise problem of a like that cannot count; else the account's completions
    so far (voided ones included: the next completion's ordinal)."""
    if not sql.has_video(conn, terms.id, video_id):
        videos = sql.campaign_videos_of(conn, terms.id)
        raise InvalidInput(
            f"video {video_id} is not part of campaign {terms.id}'s task; its videos are "
            f"{', '.join(map(str, videos))}",
            field="video_id",
        )
    if not sql.opted_in(conn, terms.id, account_id):
        raise NotOptedIn(
            f"opt in to campaign {terms.id} first: POST /v1/campaigns/{terms.id}/participants",
            campaign_id=terms.id,
        )
    total, counted = sql.count_completions(conn, terms.id, account_id)
    if counted >= terms.per_account_limit:
        raise RewardLimitReached(
            f"this account has {counted} completion(s) of campaign {terms.id}, its limit "
            f"per account is {terms.per_account_limit}",
            limit=terms.per_account_limit,
        )
    if terms.spent_fen + terms.reward_fen > terms.budget_fen:
        raise BudgetExhausted(
            f"campaign {terms.id} has spent {terms.spent_fen} of its {terms.budget_fen} fen "
            "budget and cannot pay another reward",
            campaign_id=terms.id,
        )
    return total


def _record(conn: Connection, terms: _Terms, outcome: LikeOutcome, completions: int) -> None:
    like = outcome.like
    day = local_day(like.created_at, terms.zone)
    assert outcome.seq is not None
    row = {
        "like_id": like.id,
        "campaign_id": terms.id,
        "account_id": like.account_id,
        "video_id": like.video_id,
        "seq": outcome.seq,
        "day": day.isoformat(),
        "created_at": like.created_at,
    }
    if terms.task != "streak":
        row["completion_id"] = _complete(conn, terms, like, completions)
        sql.insert_campaign_like(conn, row)
        return
    sql.insert_campaign_like(conn, row)
    if _advance_streak(conn, terms, like.account_id, day):
        completion_id = _complete(conn, terms, like, completions)
        assert terms.streak_days is not None
        like_ids = sql.streak_like_ids(conn, terms.id, like.account_id, terms.streak_days)
        sql.assign_likes(conn, like_ids, completion_id)


def _advance_streak(conn: Connection, terms: _Terms, account_id: int, day: date) -> bool:
    participation = sql.get_participation(conn, terms.id, account_id, lock=True)
    assert participation is not None
    assert terms.streak_days is not None
    assert terms.streak_miss is not None
    last = date.fromisoformat(participation.last_day) if participation.last_day else None
    state, done = check_in(
        StreakState(int(participation.streak), last), day, terms.streak_days, terms.streak_miss
    )
    sql.set_streak(conn, terms.id, account_id, state.streak, day.isoformat())
    return done


def _complete(conn: Connection, terms: _Terms, like: Like, completions: int) -> int:
    """A pending completion; its ordinal is unique per account, so two servers racing to
    complete the same account's task cannot both succeed."""
    return sql.insert_pending_completion(
        conn,
        terms.id,
        like.account_id,
        completions + 1,
        terms.reward_fen,
        like.created_at,
    )
