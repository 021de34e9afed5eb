"""Experiments as values: arms, metrics, windows, and the checks that keep them meaningful."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from plaudit.errors import InvalidInput

__all__ = [
    "MAX_ARMS",
    "METRICS",
    "UNITS",
    "Arm",
    "Experiment",
    "Metric",
    "check_metric",
    "check_windows",
    "parse_arms",
]

UNITS = ("creator", "fan")
MAX_ARMS = 10
_ARM_NAME = re.compile(r"^[a-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Metric:
    """A per-unit count over a time window, reported per day."""

    name: str
    unit: str  # the unit kind it is defined for
    en: str
    zh: str


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("likes_received", "creator", "likes received per day", "每日获赞数"),
        Metric(
            "authentic_likes_received",
            "creator",
            "authentic likes received per day (not revoked, not held)",
            "每日真实获赞数",
        ),
        Metric("comments_received", "creator", "comments received per day", "每日评论数"),
        Metric("followers_gained", "creator", "new followers per day", "每日新增粉丝"),
        Metric("likes_given", "fan", "likes given per day", "每日点赞数"),
        Metric("comments_given", "fan", "comments given per day", "每日评论数"),
    )
}


@dataclass(frozen=True)
class Arm:
    name: str
    weight: int

    def as_dict(self) -> dict[str, str | int]:
        return {"name": self.name, "weight": self.weight}


@dataclass(frozen=True)
class Experiment:
    """An experiment; the first arm is the control, units are accounts of kind `unit`."""

    id: int
    name: str
    owner_id: int
    unit: str
    metric: str
    arms: tuple[Arm, ...]
    pre_starts_at: datetime
    starts_at: datetime
    ends_at: datetime
    created_at: datetime

    @property
    def control(self) -> str:
        return self.arms[0].name

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "owner_id": self.owner_id,
            "unit": self.unit,
            "metric": self.metric,
            "arms": [arm.as_dict() for arm in self.arms],
            "control": self.control,
            "pre_starts_at": self.pre_starts_at.isoformat(),
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "created_at": self.created_at.isoformat(),
        }


def parse_arms(specs: list[str] | list[tuple[str, int]]) -> tuple[Arm, ...]:
    """Arms from `name:weight` strings or (name, weight) pairs; 2 to MAX_ARMS, unique names."""
    arms = tuple(_arm(spec) for spec in specs)
    if not 2 <= len(arms) <= MAX_ARMS:
        raise InvalidInput(
            f"an experiment has 2 to {MAX_ARMS} arms (the first is the control); got {len(arms)}",
            field="arms",
        )
    if len({arm.name for arm in arms}) != len(arms):
        raise InvalidInput("arm names must be different from each other", field="arms")
    return arms


def _arm(spec: str | tuple[str, int]) -> Arm:
    if isinstance(spec, str):
        name, _, weight_text = spec.partition(":")
        try:
            weight = int(weight_text) if weight_text else 1
        except ValueError:
            raise InvalidInput(
                f"arm {spec!r}: the weight after ':' must be a whole number, e.g. treatment:1",
                field="arms",
            ) from None
    else:
        name, weight = spec
    if not _ARM_NAME.match(name):
        raise InvalidInput(
            f"arm name {name!r}: use 1-64 lowercase letters, digits, '_' or '-'", field="arms"
        )
    if not 1 <= weight <= 1000:
        raise InvalidInput(f"arm {name!r}: weight must be 1 to 1000, got {weight}", field="arms")
    return Arm(name, weight)


def check_windows(pre_starts_at: datetime, starts_at: datetime, ends_at: datetime) -> None:
    """The pre-period ends where the experiment starts; both windows last at least a day."""
    for label, value in (("pre_starts_at", pre_starts_at), ("starts_at", starts_at),
                         ("ends_at", ends_at)):  # fmt: skip
        if value.tzinfo is None:
            raise InvalidInput(f"{label} needs a time zone, e.g. 2026-11-01T00:00:00Z", field=label)
    if starts_at - pre_starts_at < timedelta(days=1):
        raise InvalidInput(
            "the pre-period (pre_starts_at to starts_at) must last at least one day",
            field="pre_starts_at",
        )
    if ends_at - starts_at < timedelta(days=1):
        raise InvalidInput(
            "the experiment window (starts_at to ends_at) must last at least one day",
            field="ends_at",
        )


def check_metric(metric: str, unit: str) -> Metric:
    if unit not in UNITS:
        raise InvalidInput(
            f"unit {unit!r} is not known; use one of {', '.join(UNITS)}", field="unit"
        )
    found = METRICS.get(metric)
    if found is None:
        raise InvalidInput(
            f"metric {metric!r} is not known; use one of {', '.join(METRICS)}", field="metric"
        )
    if found.unit == "creator" and unit != "creator":
        raise InvalidInput(
            f"metric {metric!r} is measured on creators; use unit creator", field="metric"
        )
    return found
