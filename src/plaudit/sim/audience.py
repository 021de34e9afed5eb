"""The per-account state the interaction stage needs, kept compact in NumPy arrays.

19 bytes an account: activity (8, later its running total for inverse-CDF picks), three
interest categories (3) and two Dirichlet cut points (8). Ten million accounts fit in 190 MB.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from plaudit.sim.interests import INTEREST_SLOTS, Interests

__all__ = ["Audience", "draw_activity"]

_ACTIVITY_SIGMA = 1.3
_LURKERS = 0.3  # share of accounts that mostly watch
_LURKER_FACTOR = 0.1


def draw_activity(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    """How much each account interacts, relative to others: lognormal, with a lurking third.

    Participation on social platforms is famously unequal (the "90-9-1" rule of thumb); a
    lognormal with sigma 1.3 puts about half of all likes on the most active 10% of accounts.
    """
    activity = rng.lognormal(0.0, _ACTIVITY_SIGMA, n)
    return np.where(rng.random(n) < _LURKERS, activity * _LURKER_FACTOR, activity)


class Audience:
    """Activity and interests of accounts 1..n, filled chunk by chunk as accounts are made."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._activity = np.zeros(n, dtype=np.float64)
        self.categories = np.zeros((n, INTEREST_SLOTS), dtype=np.uint8)
        self.cuts = np.ones((n, INTEREST_SLOTS - 1), dtype=np.float32)
        self._cdf: NDArray[np.float64] | None = None

    def fill(self, first_id: int, activity: NDArray[np.float64], interests: Interests) -> None:
        """Record accounts first_id.. (consecutive) as their chunk is generated."""
        lo = first_id - 1
        hi = lo + len(activity)
        self._activity[lo:hi] = activity
        self.categories[lo:hi] = interests.categories
        self.cuts[lo:hi] = interests.cuts

    def activity_cdf(self) -> NDArray[np.float64]:
        """Running total of activity, computed in place once all accounts are in."""
        if self._cdf is None:
            self._cdf = np.cumsum(self._activity, out=self._activity)
        return self._cdf

    def interest_of(self, account: NDArray[np.int64], u: NDArray[np.float64]) -> NDArray[np.intp]:
        """The category each account is in the mood for, given uniforms `u`."""
        cuts = self.cuts[account - 1]
        slot = (u > cuts[:, 0]).astype(np.intp) + (u > cuts[:, 1])
        return self.categories[account - 1, slot].astype(np.intp)
