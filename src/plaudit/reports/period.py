"""Report periods: a quarter (``2026-Q4``), a month (``2026-11``) or a date range.

A period is a half-open UTC interval ``[start, end)``: an interaction at exactly midnight
at the end belongs to the next period, so consecutive periods never count one twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from plaudit.errors import InvalidInput

__all__ = ["Period", "parse_period", "period_of"]

_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True, slots=True)
class Period:
    """A named UTC interval ``[start, end)``."""

    label: str
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidInput(f"period {self.label!r} ends before it starts", field="period")

    @property
    def start_us(self) -> int:
        """The start as UTC microseconds since 1970 (the ledger's entry time unit)."""
        return _micros(self.start)

    @property
    def end_us(self) -> int:
        return _micros(self.end)

    def contains_us(self, time_us: int) -> bool:
        return self.start_us <= time_us < self.end_us


def _micros(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _month_start(year: int, month: int) -> datetime:
    return datetime(year + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=UTC)


def _day(text: str, flag: str) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{flag} {text!r} is not a date YYYY-MM-DD", field=flag) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def parse_period(
    period: str | None = None, start: str | None = None, end: str | None = None
) -> Period:
    """``2026-Q4``, ``2026-11``, or ``start``/``end`` dates (end exclusive)."""
    if period is not None and (start is not None or end is not None):
        raise InvalidInput("give either --period or --from/--to, not both", field="period")
    if period is None:
        if start is None or end is None:
            raise InvalidInput(
                "give --period 2026-Q4 (or 2026-11), or both --from and --to", field="period"
            )
        return Period(f"{start}..{end}", _day(start, "--from"), _day(end, "--to"))
    if match := _QUARTER.fullmatch(period):
        year, quarter = int(match[1]), int(match[2])
        first = 3 * (quarter - 1) + 1
        return Period(period, _month_start(year, first), _month_start(year, first + 3))
    if match := _MONTH.fullmatch(period):
        year, month = int(match[1]), int(match[2])
        return Period(period, _month_start(year, month), _month_start(year, month + 1))
    raise InvalidInput(
        f"period {period!r} is neither a quarter like 2026-Q4 nor a month like 2026-11",
        field="period",
    )


def period_of(report: Mapping[str, Any]) -> Period:
    """The period a report.json was built for."""
    period = report["period"]
    return Period(
        period["label"],
        datetime.fromisoformat(period["start"]),
        datetime.fromisoformat(period["end"]),
    )
