"""When people use the app: a daily and weekly rhythm on China Standard Time (UTC+8).

The hourly curve is shaped after the hour-by-hour usage charts QuestMobile publishes for
short-video apps (a lunch peak at 12-13h, the main peak from 19h to 23h, the trough from 2h
to 7h); the numbers are ours, chosen to reproduce that shape. Weekend days carry about a
tenth more activity than weekdays, as in the same reports.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from plaudit.sim.sampling import pick

__all__ = ["DAY", "HOUR_WEIGHTS", "WEEKDAY_WEIGHTS", "Clock"]

DAY = 86_400
_HOUR = 3_600
_CST = 8 * _HOUR  # China Standard Time has no daylight saving
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday; Monday is 0

HOUR_WEIGHTS: tuple[float, ...] = (
    4.0, 2.5, 1.4, 0.9, 0.7, 0.8, 1.5, 2.8, 3.6, 3.8, 4.0, 4.6,
    6.2, 5.8, 4.3, 4.1, 4.2, 4.8, 5.6, 6.6, 7.4, 7.8, 7.2, 5.6,
)  # fmt: skip
"""Relative activity in each hour of the day, local time 0h..23h."""

WEEKDAY_WEIGHTS: tuple[float, ...] = (0.95, 0.95, 0.96, 0.97, 1.02, 1.12, 1.10)
"""Relative activity Monday..Sunday."""


class Clock:
    """Hourly bins over the `days` days before `end_ts`, weighted by the rhythm.

    Days are counted back from `end_ts`, so a "day" here is the 24 hours ending at the same
    time of day as `end`, not a calendar day; the weights follow each bin's local hour.
    """

    def __init__(self, end_ts: int, days: int) -> None:
        self.end_ts = end_ts
        self.days = days
        self.start_ts = end_ts - days * DAY
        starts = self.start_ts + _HOUR * np.arange(days * 24, dtype=np.int64)
        local = starts + _CST
        hour = (local % DAY) // _HOUR
        weekday = (local // DAY + _EPOCH_WEEKDAY) % 7
        self.weights = np.asarray(HOUR_WEIGHTS)[hour] * np.asarray(WEEKDAY_WEIGHTS)[weekday]
        self._bin_starts = starts

    def day_start(self, day: int) -> int:
        return self.start_ts + day * DAY

    def day_weights(self) -> NDArray[np.float64]:
        """Total rhythm weight of each day, for sharing a volume out over the days."""
        per_day: NDArray[np.float64] = self.weights.reshape(self.days, 24).sum(axis=1)
        return per_day

    def sample(
        self, rng: np.random.Generator, n: int, first_day: int = 0, days: int | None = None
    ) -> NDArray[np.int64]:
        """`n` unsorted epoch seconds in the given days, following the rhythm."""
        lo = first_day * 24
        hi = self.days * 24 if days is None else (first_day + days) * 24
        picked = pick(np.cumsum(self.weights[lo:hi]), rng.random(n))
        offsets = rng.integers(0, _HOUR, n, dtype=np.int64)
        return self._bin_starts[lo + picked] + offsets
