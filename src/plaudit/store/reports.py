"""SQL of the transparency report: the operator's records behind the attested figures.

Every function takes the period as ``[start, end)`` and returns plain numbers; the rules
are those of docs/transparency.md. Read-only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from plaudit.store.tables import (
    account_secrets,
    appeals,
    campaign_likes,
    campaigns,
    completions,
    fund_payouts,
    fund_periods,
    holds,
    revocations,
    rewards,
    verdicts,
)

__all__ = [
    "appeal_rows",
    "campaign_tasks",
    "completion_totals",
    "fund_rows",
    "hold_counts",
    "recorded_campaign_likes",
    "revocation_rows",
    "reward_totals",
    "shredded_accounts",
    "verdict_rows",
]


def _within(column: Any, start: datetime, end: datetime) -> Any:
    return and_(column >= start, column < end)


def hold_counts(conn: Connection, start: datetime, end: datetime) -> dict[str, int]:
    """Likes held by a real-time rule in the period, by their outcome so far."""
    rows = conn.execute(
        select(holds.c.outcome, func.count())
        .where(_within(holds.c.held_at, start, end))
        .group_by(holds.c.outcome)
    ).all()
    return {str(outcome or "open"): int(count) for outcome, count in rows}


def revocation_rows(
    conn: Connection, start: datetime, end: datetime
) -> Sequence[tuple[int, int, bool, datetime | None]]:
    """(verdict id, like id, the like was held first, reinstated at) per revocation."""
    held = select(holds.c.like_id).where(holds.c.like_id == revocations.c.like_id).exists()
    return [
        (int(v), int(like), bool(was_held), reinstated)
        for v, like, was_held, reinstated in conn.execute(
            select(
                revocations.c.verdict_id,
                revocations.c.like_id,
                held,
                revocations.c.reinstated_at,
            ).where(_within(revocations.c.revoked_at, start, end))
        ).all()
    ]


def verdict_rows(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[str, str, str, bool]]:
    """(detector, status, evidence, from a scan) of the given verdicts."""
    found: dict[int, tuple[str, str, str, bool]] = {}
    for first in range(0, len(ids), 500):
        chunk = list(ids[first : first + 500])
        for vid, detector, status, evidence, scan in conn.execute(
            select(
                verdicts.c.id,
                verdicts.c.detector,
                verdicts.c.status,
                verdicts.c.evidence,
                verdicts.c.scan_id,
            ).where(verdicts.c.id.in_(chunk))
        ).all():
            found[int(vid)] = (str(detector), str(status), str(evidence), scan is not None)
    return found


def verdicts_created(conn: Connection, start: datetime, end: datetime) -> list[int]:
    return [
        int(v)
        for (v,) in conn.execute(
            select(verdicts.c.id).where(_within(verdicts.c.created_at, start, end))
        ).all()
    ]


def appeal_rows(
    conn: Connection, start: datetime, end: datetime
) -> list[tuple[str, datetime, datetime | None]]:
    """(status, filed at, decided at) of appeals filed or decided in the period."""
    filed = _within(appeals.c.created_at, start, end)
    decided = _within(appeals.c.decided_at, start, end)
    return [
        (str(status), created, decided_at)
        for status, created, decided_at in conn.execute(
            select(appeals.c.status, appeals.c.created_at, appeals.c.decided_at).where(
                filed | decided
            )
        ).all()
    ]


def recorded_campaign_likes(conn: Connection, start: datetime, end: datetime) -> dict[str, int]:
    """Likes the campaigns recorded as made for a campaign in the period, by campaign id."""
    rows = conn.execute(
        select(campaign_likes.c.campaign_id, func.count())
        .where(_within(campaign_likes.c.created_at, start, end))
        .group_by(campaign_likes.c.campaign_id)
    ).all()
    return {str(c): int(n) for c, n in rows}


def campaign_tasks(conn: Connection) -> dict[str, str]:
    """Every campaign's task (coupon, donation, ...), by campaign id."""
    return {str(c): str(t) for c, t in conn.execute(select(campaigns.c.id, campaigns.c.task))}


def completion_totals(
    conn: Connection, start: datetime, end: datetime
) -> dict[str, tuple[int, int]]:
    """(count, sum of amount_fen) of completions settled in the period, by status."""
    rows = conn.execute(
        select(
            completions.c.status, func.count(), func.coalesce(func.sum(completions.c.amount_fen), 0)
        )
        .where(_within(completions.c.settled_at, start, end))
        .group_by(completions.c.status)
    ).all()
    return {str(s): (int(n), int(total)) for s, n, total in rows}


def reward_totals(conn: Connection, start: datetime, end: datetime) -> dict[str, tuple[int, int]]:
    """(count, sum of amount_fen) of rewards released in the period, by kind."""
    rows = conn.execute(
        select(rewards.c.kind, func.count(), func.coalesce(func.sum(rewards.c.amount_fen), 0))
        .where(_within(rewards.c.released_at, start, end))
        .group_by(rewards.c.kind)
    ).all()
    return {str(k): (int(n), int(total)) for k, n, total in rows}


def fund_rows(
    conn: Connection, start: datetime, end: datetime
) -> list[tuple[str, int, bool, int, int]]:
    """(name, pool_fen, closed, creators paid, sum of payout_fen) of fund periods that end
    within the report period."""
    paid = select(func.count(), func.coalesce(func.sum(fund_payouts.c.payout_fen), 0)).where(
        and_(fund_payouts.c.period_id == fund_periods.c.id, fund_payouts.c.payout_fen > 0)
    )
    rows = conn.execute(
        select(
            fund_periods.c.name,
            fund_periods.c.pool_fen,
            fund_periods.c.closed_at,
            paid.with_only_columns(func.count()).scalar_subquery(),
            paid.with_only_columns(
                func.coalesce(func.sum(fund_payouts.c.payout_fen), 0)
            ).scalar_subquery(),
        )
        .where(and_(fund_periods.c.ends_at > start, fund_periods.c.ends_at <= end))
        .order_by(fund_periods.c.ends_at, fund_periods.c.name)
    ).all()
    return [
        (str(name), int(pool), closed is not None, int(count), int(total))
        for name, pool, closed, count, total in rows
    ]


def shredded_accounts(conn: Connection, start: datetime, end: datetime) -> int:
    """Accounts whose ledger secret was deleted (crypto-shredded) in the period."""
    return int(
        conn.execute(
            select(func.count()).where(_within(account_secrets.c.shredded_at, start, end))
        ).scalar_one()
    )
