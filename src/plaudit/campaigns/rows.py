"""Database rows to campaign values (one place, so every read builds them the same way)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row

from plaudit.campaigns.model import Campaign, CampaignSpec, Completion, Reward

__all__ = ["campaign_from_row", "completion_from_row", "reward_from_row"]


def campaign_from_row(row: Row[Any], video_ids: list[int]) -> Campaign:
    spec = CampaignSpec(
        name=row.name,
        task=row.task,
        segment=row.segment,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        budget_fen=int(row.budget_fen),
        reward_fen=int(row.reward_fen),
        video_ids=tuple(video_ids),
        per_account_limit=int(row.per_account_limit),
        charity=row.charity,
        streak_days=row.streak_days,
        streak_miss=row.streak_miss,
        time_zone=row.time_zone,
    )
    return Campaign(
        row.id, row.organisation_id, spec, int(row.spent_fen), row.created_at, row.ended_at
    )


def completion_from_row(row: Row[Any]) -> Completion:
    return Completion(
        row.id,
        row.campaign_id,
        row.ordinal,
        row.status,
        int(row.amount_fen),
        row.created_at,
        row.settled_at,
        row.reason,
    )


def reward_from_row(row: Row[Any]) -> Reward:
    return Reward(
        row.id,
        row.completion_id,
        row.campaign_id,
        row.kind,
        int(row.amount_fen),
        row.released_at,
        row.coupon_hash is not None,
        row.redeemed_at,
    )
