"""Check-in streaks (学习打卡): one check-in per local day, N days in a row complete the task.

Days are calendar days in the campaign's time zone (e.g. Asia/Shanghai), not 24-hour
windows: a check-in at 23:50 and the next at 00:10 are two days in a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from plaudit.errors import AlreadyCheckedIn, StreakEnded

__all__ = ["StreakState", "check_in", "current_streak", "local_day"]


@dataclass(frozen=True)
class StreakState:
    """Consecutive days checked in so far (0 after a completion) and the last day checked in."""

    streak: int
    last_day: date | None


def local_day(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date()


def check_in(
    state: StreakState, day: date, days_needed: int, miss: str
) -> tuple[StreakState, bool]:
    """The state after a check-in on `day`, and whether it completed the streak.

    A second check-in on the same day is refused (AlreadyCheckedIn). After a missed day a
    running streak starts over at 1 (`miss = reset`) or is over (`miss = end`, StreakEnded).
    """
    if state.last_day is not None and day <= state.last_day:
        raise AlreadyCheckedIn(
            f"already checked in on {state.last_day.isoformat()}; check in again tomorrow",
            day=state.last_day.isoformat(),
        )
    missed = state.last_day is not None and (day - state.last_day).days > 1
    if missed and state.streak > 0 and miss == "end":
        raise StreakEnded(
            f"the streak ended: no check-in between {state.last_day} and {day}",
            last_day=str(state.last_day),
        )
    streak = 1 if missed else state.streak + 1
    if streak >= days_needed:
        return StreakState(0, day), True
    return StreakState(streak, day), False


def current_streak(state: StreakState, today: date, miss: str) -> tuple[int, bool]:
    """What a fan sees today: the running streak, and whether it has ended (missed a day)."""
    if state.last_day is None or state.streak == 0:
        return state.streak, False
    if (today - state.last_day).days > 1:
        return 0, miss == "end"
    return state.streak, False
