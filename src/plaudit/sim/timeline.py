"""Pacing the interaction stage day by day so the stream is time-ordered and exact in size.

Each day gets a share of the total by its rhythm weight, ramped up over the first week or two
while the catalogue fills (videos are published during the window, so on the first day there
is little to like). Not every like attempt becomes an interaction (repeats are dropped) and
each like brings follow-ons, so the planner measures the yield of each day and sizes the next
day's attempts to close the gap to the plan. On the last day it repeats until the total is
reached; the chunker then cuts the stream at exactly the planned total. Cutting the tail of a
time-ordered stream never removes a like while keeping its unlike.

Follow-ons that fall on later days wait in a pending queue (a few percent of a day's volume).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from plaudit.sim.engagement import DERIVED_PER_LIKE, Engagement
from plaudit.sim.events import Events
from plaudit.sim.rhythm import Clock

__all__ = ["Timeline"]

_RAMP_DAYS = 5.0
_LAST_DAY_ROUNDS = 20
_LAST_DAY_MARGIN = 1.02


def daily_plan(clock: Clock, total: int) -> NDArray[np.int64]:
    """Cumulative number of interactions due by the end of each day."""
    day = np.arange(clock.days)
    weights = clock.day_weights() * (1 - np.exp(-(day + 0.5) / _RAMP_DAYS))
    plan: NDArray[np.int64] = np.rint(total * np.cumsum(weights) / weights.sum()).astype(np.int64)
    return plan


class Timeline:
    """Yields each day's interactions in time order, about `total` in all (at least `total`
    unless the community runs out of new pairs to like)."""

    def __init__(self, engagement: Engagement, clock: Clock, total: int) -> None:
        self._engagement = engagement
        self._clock = clock
        self._plan = daily_plan(clock, total)
        self._made = 0
        self._yield = 0.95 * (1 + DERIVED_PER_LIKE)  # interactions per like attempt

    def days(self) -> Iterator[Events]:
        """Each day's due interactions; later follow-ons wait in `pending` for their day."""
        pending = Events.empty()
        for day in range(self._clock.days):
            pending = Events.concat([pending, *self._draw(day)])
            due = pending.t < self._clock.day_start(day + 1)
            yield pending.take(due).in_time_order()
            pending = pending.take(~due)

    def _draw(self, day: int) -> list[Events]:
        last = day == self._clock.days - 1
        drawn: list[Events] = []
        for _ in range(_LAST_DAY_ROUNDS if last else 1):
            gap = int(self._plan[day]) - self._made
            if gap <= 0:
                break
            events = self._attempt(day, gap * (_LAST_DAY_MARGIN if last else 1.0))
            drawn.append(events)
            if not len(events):
                break  # nothing new left to like
        return drawn

    def _attempt(self, day: int, gap: float) -> Events:
        attempts = int(np.ceil(gap / self._yield))
        events = self._engagement.day(day, attempts)
        self._made += len(events)
        if attempts >= 1_000:  # small samples would make the estimate jumpy
            self._yield = 0.5 * self._yield + 0.5 * max(len(events) / attempts, 0.05)
        return events
