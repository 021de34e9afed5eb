"""A period's payouts computed from the store (the preview, and what closing freezes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from plaudit.fund.model import Period, Statement
from plaudit.fund.money import largest_remainder
from plaudit.fund.scoring import (
    AUTHENTIC,
    PENDING,
    REVOKED,
    CreatorScore,
    Interaction,
    score_creators,
)
from plaudit.store import fund as sql

__all__ = ["Computation", "compute_from_store", "statements_of"]


@dataclass(frozen=True)
class Computation:
    """Payouts as of `through_seq` (events below it were read), with what closing checks."""

    period: Period
    through_seq: int
    statements: list[Statement]
    total_units: int
    pending_likes: int
    last_like_seq: int | None
    cleared_through: int | None
    notes: list[str] = field(default_factory=list)

    @property
    def scan_covers_period(self) -> bool:
        """Every like in the period has been through a finished authenticity scan."""
        if self.last_like_seq is None:
            return True
        return self.cleared_through is not None and self.cleared_through >= self.last_like_seq


def _like_status(revoked: bool, pending: bool) -> str:
    return REVOKED if revoked else PENDING if pending else AUTHENTIC


def read_interactions(conn: Connection, period: Period) -> tuple[list[Interaction], int | None]:
    """The period's standing interactions and the largest seq among its likes."""
    start, end = period.starts_at, period.ends_at
    items: list[Interaction] = []
    last_seq: int | None = None
    for row in sql.like_rows(conn, start, end):
        status = _like_status(bool(row.revoked), bool(row.pending))
        items.append(Interaction("like", row.fan_id, row.creator_id, row.at, row.source, status))
        last_seq = max(last_seq or 0, int(row.seq))
    for kind, rows in (
        ("comment", sql.comment_rows(conn, start, end)),
        ("share", sql.share_rows(conn, start, end)),
        ("follow", sql.follow_rows(conn, start, end)),
    ):
        items.extend(Interaction(kind, r.fan_id, r.creator_id, r.at, r.source) for r in rows)
    return items, last_seq


def statements_of(period: Period, scores: dict[int, CreatorScore]) -> tuple[list[Statement], int]:
    """Statements (by creator id) with largest-remainder payouts, and the total units."""
    units = {creator: score.score_units for creator, score in scores.items()}
    payouts = largest_remainder(period.pool_fen, units)
    total = sum(units.values())
    per_point = period.rule.units_per_point
    statements = [
        Statement(
            period_id=period.id,
            creator_id=creator,
            likes=s.likes,
            comments=s.comments,
            shares=s.shares,
            follows=s.follows,
            fans=s.fans,
            excluded_revoked=s.excluded_revoked,
            excluded_incentivised=s.excluded_incentivised,
            excluded_pending=s.excluded_pending,
            score_units=s.score_units,
            units_per_point=per_point,
            total_units=total,
            payout_fen=payouts.get(creator, 0),
        )
        for creator, s in sorted(scores.items())
    ]
    return statements, total


def compute_from_store(conn: Connection, period: Period) -> Computation:
    """Compute every creator's statement; run `sql.snapshot(conn)` first on the connection."""
    horizon = sql.event_horizon(conn)
    interactions, last_like_seq = read_interactions(conn, period)
    scores = score_creators(interactions, period.rule)
    statements, total = statements_of(period, scores)
    pending = sum(s.excluded_pending for s in scores.values())
    return Computation(
        period, horizon, statements, total, pending, last_like_seq, sql.cleared_through(conn)
    )
