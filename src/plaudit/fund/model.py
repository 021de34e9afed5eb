"""The values the creator fund hands out: periods and statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from plaudit.fund.rules import Rule

__all__ = ["PUBLISHED", "STORED_FIGURES", "Period", "PeriodTotals", "Statement"]


@dataclass(frozen=True)
class Period:
    """A fund period [starts_at, ends_at) with its pool and rule; closed once frozen."""

    id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    pool_fen: int
    rule: Rule
    created_at: datetime
    closed_at: datetime | None = None
    through_seq: int | None = None
    total_units: int | None = None

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


@dataclass(frozen=True)
class Statement:
    """A creator's figures in a period: what counted, the weighted score, share and payout.

    `STORED_FIGURES` and `PUBLISHED` name its fields once for every layer that writes them
    out (the payouts table, `fund verify`, the CLI's JSON; the API reads the attributes).
    """

    period_id: int
    creator_id: int
    likes: int
    comments: int
    shares: int
    follows: int
    fans: int
    excluded_revoked: int
    excluded_incentivised: int
    excluded_pending: int
    score_units: int
    units_per_point: int
    total_units: int
    payout_fen: int

    @property
    def share(self) -> Fraction:
        """The exact fraction of the pool's score this creator earned."""
        return Fraction(self.score_units, self.total_units) if self.total_units else Fraction(0)

    @property
    def score_points(self) -> str:
        """The weighted score in points, to 4 decimals (exact value: score_units/units)."""
        return _decimal(Fraction(self.score_units, self.units_per_point), 4)

    @property
    def share_percent(self) -> str:
        return _decimal(self.share * 100, 4)


# The figures a closed period stores per creator, which `fund verify` recomputes.
STORED_FIGURES = (
    "likes",
    "comments",
    "shares",
    "follows",
    "fans",
    "excluded_revoked",
    "excluded_incentivised",
    "score_units",
    "payout_fen",
)
# A statement as written out, in this order (fields and the derived properties).
PUBLISHED = (
    "creator_id",
    *STORED_FIGURES[:7],
    "excluded_pending",
    "score_points",
    "score_units",
    "units_per_point",
    "share_percent",
    "payout_fen",
)


@dataclass(frozen=True)
class PeriodTotals:
    """The public figures of a period: no individual fan appears in them."""

    period: Period
    creators: int
    payout_fen: int
    likes: int
    comments: int
    shares: int
    follows: int


def _decimal(value: Fraction, places: int) -> str:
    """A fraction rounded half-up to `places` decimals, as text (never through a float)."""
    scaled = (value * 10**places + Fraction(1, 2)).__floor__()
    whole, part = divmod(scaled, 10**places)
    return f"{whole}.{part:0{places}d}"
