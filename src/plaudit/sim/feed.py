"""What the app shows on a given day: every published video, weighted for picking.

A video's weight is its appeal times a recency decay, (1 + age / 1 day) ** -1.5 at midday:
short videos get most of their engagement in their first days, then a long tail. A like at
time t may only pick videos published before the start of t's hour, so a like never precedes
its video, and a video becomes likeable in the hour after it is posted.

Picks are inverse-CDF searches on running totals. Within a category the videos are in
publishing order, so those out before an hour form a prefix of the category's segment: one
24 x categories table, made each day, gives every prefix.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from plaudit.catalog.categories import CATEGORIES
from plaudit.sim.rhythm import DAY, Clock
from plaudit.sim.sampling import locate
from plaudit.sim.videos import Catalogue

__all__ = ["Feed"]

_HOUR = 3_600
_RECENCY_DAYS = 1.0
_RECENCY_POWER = 1.5


class Feed:
    """One day's feed: weights and running totals in publishing and in category order."""

    def __init__(self, catalogue: Catalogue, clock: Clock, day: int) -> None:
        self._catalogue = catalogue
        self._day_start = clock.day_start(day)
        hours = self._day_start + _HOUR * np.arange(24, dtype=np.int64)
        self._live = np.searchsorted(catalogue.published, hours)  # (24,)
        categories = np.arange(len(CATEGORIES), dtype=np.int64)
        keys = (categories[None, :] << 32) | hours[:, None]
        self._category_live = np.searchsorted(catalogue.category_keys, keys)  # (24, C)
        self.weight = self._weights(int(self._live[-1]))
        self._by_time = np.r_[0.0, np.cumsum(self.weight)]
        self._by_category = np.r_[0.0, np.cumsum(self.weight[catalogue.by_category])]

    def _weights(self, live: int) -> NDArray[np.float64]:
        published = self._catalogue.published[:live]
        age = np.maximum(self._day_start + DAY // 2 - published, 0) / DAY
        weight = np.zeros(len(self._catalogue.published))
        recency = (1 + age / _RECENCY_DAYS) ** -_RECENCY_POWER
        weight[:live] = self._catalogue.appeal[:live] * recency
        return weight

    def pick(
        self,
        t: NDArray[np.int64],
        category: NDArray[np.intp],
        anywhere: NDArray[np.bool_],
        u: NDArray[np.float64],
    ) -> NDArray[np.intp]:
        """A video index for each like at time t (this day), from its category or, where
        `anywhere` (or the category has nothing out yet), from the whole feed; -1 where
        nothing at all is out yet. `u` are uniforms."""
        hour = (t - self._day_start) // _HOUR
        bounds = self._catalogue.bounds
        low = self._by_category[bounds[category]]
        high = self._by_category[self._category_live[hour, category]]
        anywhere = anywhere | (high <= low)
        video = np.empty(len(t), dtype=np.intp)
        whole = self._by_time[self._live[hour[anywhere]]]
        video[anywhere] = locate(self._by_time, u[anywhere] * whole)
        inside = ~anywhere
        spot = locate(self._by_category, low[inside] + u[inside] * (high[inside] - low[inside]))
        video[inside] = self._catalogue.by_category[spot]
        ok = (self.weight[video] > 0) & (self._catalogue.published[video] < t)
        return np.where(ok, video, -1)
