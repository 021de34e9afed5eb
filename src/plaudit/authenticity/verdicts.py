"""Verdicts: what a detector judges fake, with the evidence behind the judgement."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Verdict"]


@dataclass(frozen=True)
class Verdict:
    """One finding: a group of accounts and the likes (row indexes) judged fake.

    `score` is the significance of the group, -log10 of its p-value under the detector's
    null model of organic behaviour (capped at 300); `account_scores` the same per account.
    `observed` and `expected` are the counts the test compared (likes inside the block, or
    co-likes inside a device group, or reciprocal likes inside a ring).
    """

    detector: str
    accounts: NDArray[np.int32]
    account_scores: NDArray[np.float64]
    likes: NDArray[np.int64]
    videos: NDArray[np.int32]
    observed: float
    expected: float
    score: float
    density: float
    window: tuple[int, int]
    notes: dict[str, Any] = field(default_factory=dict)
