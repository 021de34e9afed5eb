"""Validating a new period and turning stored rows into Period values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from plaudit.errors import InvalidInput
from plaudit.fund.model import Period, Statement
from plaudit.fund.rules import Rule

__all__ = [
    "MAX_NAME_CHARS",
    "MAX_POOL_FEN",
    "period_from_row",
    "rule_values",
    "statement_from_row",
    "validate_period",
]

MAX_NAME_CHARS = 64
MAX_POOL_FEN = 10**15  # ten trillion CNY: far above any pool, far below BIGINT


def validate_period(name: str, starts_at: datetime, ends_at: datetime, pool_fen: int) -> str:
    """The cleaned name; InvalidInput naming the field when anything is off."""
    text = name.strip()
    if not text or len(text) > MAX_NAME_CHARS:
        raise InvalidInput(f"name must have 1 to {MAX_NAME_CHARS} characters", field="name")
    if text.isdigit():
        raise InvalidInput(
            "name must not be all digits (a number names a period by its id)", field="name"
        )
    for field, value in (("start", starts_at), ("end", ends_at)):
        if value.tzinfo is None:
            raise InvalidInput(
                f"{field} {value.isoformat()} has no time zone; give UTC, e.g. "
                "2026-11-01T00:00:00Z",
                field=field,
            )
    if ends_at <= starts_at:
        raise InvalidInput(
            f"end ({ends_at.isoformat()}) must be after start ({starts_at.isoformat()})",
            field="end",
        )
    if (
        isinstance(pool_fen, bool)
        or not isinstance(pool_fen, int)
        or not 0 < pool_fen <= MAX_POOL_FEN
    ):
        raise InvalidInput(
            f"pool_fen is {pool_fen!r}; give a positive whole number of fen (1 CNY = 100 fen) "
            f"up to {MAX_POOL_FEN}",
            field="pool_fen",
        )
    return text


def rule_values(rule: Rule) -> dict[str, int]:
    return {
        "weight_like": rule.like,
        "weight_comment": rule.comment,
        "weight_share": rule.share,
        "weight_follow": rule.follow,
        "daily_cap": rule.daily_cap,
    }


def period_from_row(row: Any) -> Period:
    rule = Rule(
        like=row.weight_like,
        comment=row.weight_comment,
        share=row.weight_share,
        follow=row.weight_follow,
        daily_cap=row.daily_cap,
    )
    return Period(
        id=int(row.id),
        name=row.name,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        pool_fen=int(row.pool_fen),
        rule=rule,
        created_at=row.created_at,
        closed_at=row.closed_at,
        through_seq=None if row.through_seq is None else int(row.through_seq),
        total_units=None if row.total_units is None else int(row.total_units),
    )


def statement_from_row(row: Any, period: Period) -> Statement:
    """A stored payout row as the creator's frozen statement."""
    return Statement(
        period_id=period.id,
        creator_id=int(row.creator_id),
        likes=int(row.likes),
        comments=int(row.comments),
        shares=int(row.shares),
        follows=int(row.follows),
        fans=int(row.fans),
        excluded_revoked=int(row.excluded_revoked),
        excluded_incentivised=int(row.excluded_incentivised),
        excluded_pending=0,
        score_units=int(row.score_units),
        units_per_point=period.rule.units_per_point,
        total_units=period.total_units or 0,
        payout_fen=int(row.payout_fen),
    )
