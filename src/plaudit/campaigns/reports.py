"""Brand reports: reach, completions, authenticity, cost, conversion and donations, per day.

Only aggregates leave this module; the eligible audience is suppressed below `privacy_k`.
Money and rates are integers: cost per authentic interaction is rounded half up to the fen,
rates are basis points rounded down (money.py).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Row

from plaudit.campaigns.model import Campaign
from plaudit.campaigns.money import per_unit_fen, rate_bp, rewards_affordable

__all__ = ["CSV_COLUMNS", "DayFigures", "Report", "build_report", "report_csv"]

CSV_COLUMNS = (
    "day",
    "opted_in",
    "likes",
    "authentic_likes",
    "completions",
    "rewards",
    "spent_fen",
    "redemptions",
)


@dataclass
class DayFigures:
    """One local day (the campaign's time zone) of a campaign."""

    day: str
    opted_in: int = 0
    likes: int = 0
    authentic_likes: int = 0
    completions: int = 0
    rewards: int = 0
    spent_fen: int = 0
    redemptions: int = 0


@dataclass(frozen=True)
class Report:
    campaign_id: int
    name: str
    task: str
    budget_fen: int
    spent_fen: int
    rewards_left: int
    eligible: int | str | None
    opted_in: int
    likes: int
    authentic_likes: int
    authentic_rate_bp: int | None
    completions: Mapping[str, int]
    cost_per_authentic_fen: int | None
    coupons_issued: int
    coupons_redeemed: int
    redemption_rate_bp: int | None
    donated_fen: int
    days: Sequence[DayFigures] = field(default_factory=list)
    segment_problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _authentic(row: Row[Any]) -> bool:
    return row.removed_at is None and not row.revoked and not row.held


class _Days:
    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self.days: dict[str, DayFigures] = {}

    def at(self, when: datetime) -> DayFigures:
        key = when.astimezone(self._zone).date().isoformat()
        return self.days.setdefault(key, DayFigures(key))

    def ordered(self) -> list[DayFigures]:
        return [self.days[k] for k in sorted(self.days)]


def _daily(campaign: Campaign, rows: Mapping[str, Sequence[Row[Any]]]) -> list[DayFigures]:
    days = _Days(campaign.zone)
    for row in rows["opted_in"]:
        days.at(row.opted_in_at).opted_in += 1
    for row in rows["likes"]:
        figures = days.at(row.created_at)
        figures.likes += 1
        figures.authentic_likes += int(_authentic(row))
    for row in rows["completions"]:
        days.at(row.created_at).completions += 1
    for row in rows["rewards"]:
        released = days.at(row.released_at)
        released.rewards += 1
        released.spent_fen += int(row.amount_fen)
        if row.redeemed_at is not None:
            days.at(row.redeemed_at).redemptions += 1
    return days.ordered()


def build_report(
    campaign: Campaign,
    rows: Mapping[str, Sequence[Row[Any]]],
    eligible: int | str | None,
    segment_problem: str | None = None,
) -> Report:
    """The report of one campaign from its rows (store.campaigns.report_rows)."""
    likes = len(rows["likes"])
    authentic = sum(1 for row in rows["likes"] if _authentic(row))
    coupons = [row for row in rows["rewards"] if row.kind == "coupon"]
    redeemed = sum(1 for row in coupons if row.redeemed_at is not None)
    donated = sum(int(row.amount_fen) for row in rows["rewards"] if row.kind == "donation")
    statuses = Counter(str(row.status) for row in rows["completions"])
    return Report(
        campaign_id=campaign.id,
        name=campaign.spec.name,
        task=campaign.spec.task,
        budget_fen=campaign.spec.budget_fen,
        spent_fen=campaign.spent_fen,
        rewards_left=rewards_affordable(
            campaign.spent_fen, campaign.spec.reward_fen, campaign.spec.budget_fen
        ),
        eligible=eligible,
        opted_in=len(rows["opted_in"]),
        likes=likes,
        authentic_likes=authentic,
        authentic_rate_bp=rate_bp(authentic, likes),
        completions={s: statuses.get(s, 0) for s in ("pending", "released", "voided", "unfunded")},
        cost_per_authentic_fen=per_unit_fen(campaign.spent_fen, authentic),
        coupons_issued=len(coupons),
        coupons_redeemed=redeemed,
        redemption_rate_bp=rate_bp(redeemed, len(coupons)),
        donated_fen=donated,
        days=_daily(campaign, rows),
        segment_problem=segment_problem,
    )


def report_csv(report: Report) -> str:
    """The per-day figures as CSV (one header row, one row per local day)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for day in report.days:
        writer.writerow([getattr(day, column) for column in CSV_COLUMNS])
    return out.getvalue()
