"""Campaign values and the rules for their inputs: roles, tasks, schedules, money, zones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from plaudit.errors import InvalidInput

__all__ = [
    "MISS_MODES",
    "ROLES",
    "TASKS",
    "Campaign",
    "CampaignSpec",
    "Completion",
    "Member",
    "Organisation",
    "Participation",
    "Reward",
    "validate_role",
    "validate_spec",
]

ROLES = ("owner", "manager", "analyst")
TASKS = ("coupon", "streak", "donate")
MISS_MODES = ("reset", "end")
MAX_FEN = 10**12  # 100 billion CNY: far above any budget, far below 2**63
MAX_VIDEOS = 100


@dataclass(frozen=True)
class Organisation:
    id: int
    name: str
    created_at: datetime


@dataclass(frozen=True)
class Member:
    organisation_id: int
    account_id: int
    role: str
    added_at: datetime


@dataclass(frozen=True)
class CampaignSpec:
    """What a brand asks for; `validate_spec` checks it before anything is stored.

    `reward_fen` is the coupon's value (coupon, streak) or the donation per authentic like
    (donate, where `budget_fen` is the donation cap). `per_account_limit` caps the rewards one
    account can earn.
    """

    name: str
    task: str
    segment: str
    starts_at: datetime
    ends_at: datetime
    budget_fen: int
    reward_fen: int
    video_ids: tuple[int, ...]
    per_account_limit: int = 1
    charity: str | None = None
    streak_days: int | None = None
    streak_miss: str | None = None
    time_zone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class Campaign:
    id: int
    organisation_id: int
    spec: CampaignSpec
    spent_fen: int
    created_at: datetime
    ended_at: datetime | None

    def active_at(self, at: datetime) -> bool:
        """Running: started, not past its end, not ended early by the brand."""
        ended = self.ended_at is not None and self.ended_at <= at
        return self.spec.starts_at <= at < self.spec.ends_at and not ended

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.spec.time_zone)


@dataclass(frozen=True)
class Participation:
    campaign_id: int
    account_id: int
    opted_in_at: datetime
    streak: int
    last_day: str | None


@dataclass(frozen=True)
class Completion:
    id: int
    campaign_id: int
    ordinal: int
    status: str  # pending | released | voided | unfunded
    amount_fen: int
    created_at: datetime
    settled_at: datetime | None
    reason: str | None


@dataclass(frozen=True)
class Reward:
    id: int
    completion_id: int
    campaign_id: int
    kind: str  # coupon | donation
    amount_fen: int
    released_at: datetime
    code_shown: bool
    redeemed_at: datetime | None


def validate_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"role {role!r} is not one of {', '.join(ROLES)}", field="role")
    return role


def _fen(value: int, field: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be an integer number of fen", field=field)
    if not minimum <= value <= MAX_FEN:
        raise InvalidInput(f"{field} must be from {minimum} to {MAX_FEN} fen", field=field)


def _check_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"time zone {name!r} is unknown; use an IANA name such as Asia/Shanghai",
            field="time_zone",
        ) from None


def _check_schedule(spec: CampaignSpec) -> None:
    for name, value in (("starts_at", spec.starts_at), ("ends_at", spec.ends_at)):
        if value.tzinfo is None:
            raise InvalidInput(f"{name} needs a time zone, e.g. 2026-12-01T00:00:00Z", field=name)
    if spec.ends_at <= spec.starts_at:
        raise InvalidInput("ends_at must be after starts_at", field="ends_at")


def _check_task(spec: CampaignSpec) -> None:
    if spec.task not in TASKS:
        raise InvalidInput(f"task {spec.task!r} is not one of {', '.join(TASKS)}", field="task")
    if spec.task == "donate" and not (spec.charity and spec.charity.strip()):
        raise InvalidInput("a donate campaign names its charity", field="charity")
    if spec.task == "streak":
        if spec.streak_days is None or not 2 <= spec.streak_days <= 366:
            raise InvalidInput(
                "a streak campaign needs streak_days from 2 to 366", field="streak_days"
            )
        if spec.streak_miss not in MISS_MODES:
            raise InvalidInput(
                "a streak campaign needs streak_miss: reset (a missed day starts over) or end "
                "(a missed day ends the streak)",
                field="streak_miss",
            )


def _check_videos(spec: CampaignSpec) -> None:
    if not 1 <= len(spec.video_ids) <= MAX_VIDEOS:
        raise InvalidInput(f"a task names 1 to {MAX_VIDEOS} videos", field="video_ids")
    if len(set(spec.video_ids)) != len(spec.video_ids):
        raise InvalidInput("video_ids lists a video twice", field="video_ids")


def validate_spec(spec: CampaignSpec) -> CampaignSpec:
    """The spec when every field is usable; InvalidInput naming the first bad field otherwise."""
    if not spec.name.strip() or len(spec.name) > 128:
        raise InvalidInput("name must have 1 to 128 characters", field="name")
    _check_task(spec)
    _check_schedule(spec)
    _check_zone(spec.time_zone)
    _check_videos(spec)
    _fen(spec.reward_fen, "reward_fen", 1)
    _fen(spec.budget_fen, "budget_fen", spec.reward_fen)
    if not 1 <= spec.per_account_limit <= 10_000:
        raise InvalidInput("per_account_limit must be from 1 to 10000", field="per_account_limit")
    return spec
