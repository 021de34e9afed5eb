"""Deterministic assignment: the arm of a unit is a pure function of (experiment, unit).

The first 8 bytes of sha256("<experiment id>:<unit id>") read as a big-endian integer and
divided by 2^64 give a point in [0, 1) that is, for practical purposes, uniform and independent
of every other experiment; the arm is the one whose slice of cumulative weights holds it. No
state is needed to answer again, and a unit never changes arm.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from plaudit.experiments.model import Arm

__all__ = ["assign", "unit_point"]


def unit_point(experiment_id: int, unit_id: int) -> float:
    digest = hashlib.sha256(f"{experiment_id}:{unit_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def assign(experiment_id: int, unit_id: int, arms: Sequence[Arm]) -> str:
    """The name of the arm of `unit_id` in `experiment_id`, by the arms' weights."""
    point = unit_point(experiment_id, unit_id) * sum(arm.weight for arm in arms)
    edge = 0.0
    for arm in arms:
        edge += arm.weight
        if point < edge:
            return arm.name
    return arms[-1].name  # only reachable through float rounding at the very top
