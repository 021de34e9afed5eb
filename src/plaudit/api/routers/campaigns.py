"""Campaigns (互动任务): brands read and end campaigns and their reports; fans list their
tasks, opt in, follow progress and reveal coupons; anyone reads donation totals and which
campaigns a video's incentivised likes came through; operators settle after a scan."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Response, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from plaudit.api.deps import CurrentAccount, PlatformDep, require_kind
from plaudit.campaigns import Campaign, CampaignSpec, Progress, Report, Reward

__all__ = [
    "CampaignIn",
    "CampaignOut",
    "campaign_out",
    "router",
]

router = APIRouter(prefix="/v1", tags=["campaigns"])


class CampaignIn(BaseModel):
    """A campaign a manager or owner starts; money in integer fen (1/100 CNY)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., max_length=128)
    task: Literal["coupon", "streak", "donate"]
    segment: str = Field(..., description="Persona segment expression (docs/segments.md).")
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    budget_fen: int = Field(..., description="Budget; for donate, the donation cap.")
    reward_fen: int = Field(..., description="Coupon value, or donation per authentic like.")
    video_ids: list[int] = Field(..., description="The task's videos (a streak's daily videos).")
    per_account_limit: int = 1
    charity: str | None = None
    streak_days: int | None = None
    streak_miss: Literal["reset", "end"] | None = None
    time_zone: str = "Asia/Shanghai"

    def spec(self) -> CampaignSpec:
        return CampaignSpec(**{**self.model_dump(), "video_ids": tuple(self.video_ids)})


class CampaignOut(BaseModel):
    id: int
    organisation_id: int
    name: str
    task: str
    segment: str
    starts_at: datetime
    ends_at: datetime
    ended_at: datetime | None
    budget_fen: int
    spent_fen: int
    reward_fen: int
    video_ids: list[int]
    per_account_limit: int
    charity: str | None
    streak_days: int | None
    streak_miss: str | None
    time_zone: str
    source: str = Field(..., description="The like source that makes a like count for it.")


class TaskOut(BaseModel):
    """What a fan sees of a campaign: never its segment or budget."""

    campaign_id: int
    name: str
    task: str
    reward_fen: int
    charity: str | None
    streak_days: int | None
    streak_miss: str | None
    time_zone: str
    starts_at: datetime
    ends_at: datetime
    video_ids: list[int]
    opted_in: bool
    source: str


class CompletionOut(BaseModel):
    id: int
    ordinal: int
    status: str = Field(..., description="pending | released | voided | unfunded")
    amount_fen: int
    created_at: datetime
    settled_at: datetime | None
    reason: str | None


class RewardOut(BaseModel):
    id: int
    campaign_id: int
    completion_id: int
    kind: str = Field(..., description="coupon | donation")
    amount_fen: int
    released_at: datetime
    code_shown: bool
    redeemed_at: datetime | None


class ProgressOut(BaseModel):
    campaign_id: int
    opted_in_at: datetime
    streak: int
    streak_ended: bool
    completions: list[CompletionOut]
    rewards: list[RewardOut]


class CouponCodeOut(BaseModel):
    reward_id: int
    code: str = Field(..., description="Shown once: only its SHA-256 is kept.")


class DayOut(BaseModel):
    day: str
    opted_in: int
    likes: int
    authentic_likes: int
    completions: int
    rewards: int
    spent_fen: int
    redemptions: int


class ReportOut(BaseModel):
    campaign_id: int
    name: str
    task: str
    budget_fen: int
    spent_fen: int
    rewards_left: int = Field(..., description="Rewards the unspent budget still pays for.")
    eligible: int | str | None = Field(
        ...,
        description="Segment size, differentially private (noisy, rounded; '<k' below "
        "privacy_k); null before a persona refresh or when the segment cannot be evaluated.",
    )
    opted_in: int
    likes: int
    authentic_likes: int
    authentic_rate_bp: int | None
    completions: dict[str, int]
    cost_per_authentic_fen: int | None = Field(
        ..., description="spent_fen / authentic_likes, rounded half up to the fen."
    )
    coupons_issued: int
    coupons_redeemed: int
    redemption_rate_bp: int | None
    donated_fen: int
    days: list[DayOut]
    segment_problem: str | None = Field(
        None,
        description="Why the segment cannot be evaluated now (the campaign is then shown "
        "to no fan); null when it can.",
    )


class DonationsOut(BaseModel):
    campaign_id: int
    name: str
    charity: str | None
    fen_per_like: int
    cap_fen: int
    donated_fen: int
    likes: int


class VideoCampaignOut(BaseModel):
    campaign_id: int
    name: str
    task: str
    organisation: str
    likes: int = Field(..., description="Active likes of this video made through the campaign.")


class SettleOut(BaseModel):
    counts: dict[str, int]


def _spec_fields(campaign: Campaign) -> dict[str, Any]:
    """The spec's fields and the like source: both the brand's and the fan's view start here
    (each model keeps only the fields it declares, so a fan's never gets segment or budget)."""
    return {**asdict(campaign.spec), "source": f"campaign:{campaign.id}"}


def campaign_out(campaign: Campaign) -> CampaignOut:
    return CampaignOut.model_validate(
        _spec_fields(campaign)
        | {
            "id": campaign.id,
            "organisation_id": campaign.organisation_id,
            "ended_at": campaign.ended_at,
            "spent_fen": campaign.spent_fen,
        }
    )


def _task_out(campaign: Campaign, opted_in: bool) -> TaskOut:
    return TaskOut.model_validate(
        _spec_fields(campaign) | {"campaign_id": campaign.id, "opted_in": opted_in}
    )


def _progress_out(p: Progress) -> ProgressOut:
    return ProgressOut.model_validate(p, from_attributes=True)


def _reward_out(r: Reward) -> RewardOut:
    return RewardOut.model_validate(r, from_attributes=True)


def _report_out(report: Report) -> ReportOut:
    return ReportOut.model_validate(report.as_dict())


# --- brands ---


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut, summary="A campaign (members)")
def get_campaign(
    campaign_id: int, account_id: CurrentAccount, platform: PlatformDep
) -> CampaignOut:
    return campaign_out(platform.campaigns.campaign(account_id, campaign_id))


@router.post(
    "/campaigns/{campaign_id}/end",
    response_model=CampaignOut,
    summary="End a campaign early (owner, manager); pending completions still settle",
)
def end_campaign(
    campaign_id: int, account_id: CurrentAccount, platform: PlatformDep
) -> CampaignOut:
    return campaign_out(platform.campaigns.end_campaign(account_id, campaign_id))


@router.get(
    "/campaigns/{campaign_id}/report",
    response_model=ReportOut,
    summary="Reach, completions, authentic rate, cost, conversion, donations, per day",
)
def report(campaign_id: int, account_id: CurrentAccount, platform: PlatformDep) -> ReportOut:
    return _report_out(platform.campaigns.report(account_id, campaign_id))


@router.get(
    "/campaigns/{campaign_id}/report.csv",
    summary="The report's per-day figures as CSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def report_csv(campaign_id: int, account_id: CurrentAccount, platform: PlatformDep) -> Response:
    body = platform.campaigns.report_csv(account_id, campaign_id)
    headers = {"Content-Disposition": f'attachment; filename="campaign-{campaign_id}.csv"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


# --- fans ---


@router.get("/me/tasks", response_model=list[TaskOut], summary="Running tasks you are eligible for")
def my_tasks(account_id: CurrentAccount, platform: PlatformDep) -> list[TaskOut]:
    return [_task_out(c, joined) for c, joined in platform.campaigns.tasks_for(account_id)]


@router.post(
    "/campaigns/{campaign_id}/participants",
    response_model=ProgressOut,
    status_code=status.HTTP_201_CREATED,
    summary="Opt in to a campaign (you must be in its audience and consent to targeting)",
)
def opt_in(campaign_id: int, account_id: CurrentAccount, platform: PlatformDep) -> ProgressOut:
    return _progress_out(platform.campaigns.opt_in(account_id, campaign_id))


@router.get(
    "/campaigns/{campaign_id}/progress",
    response_model=ProgressOut,
    summary="Your streak, completions and rewards in a campaign",
)
def progress(campaign_id: int, account_id: CurrentAccount, platform: PlatformDep) -> ProgressOut:
    return _progress_out(platform.campaigns.progress(account_id, campaign_id))


@router.get("/me/rewards", response_model=list[RewardOut], summary="Your released rewards")
def my_rewards(account_id: CurrentAccount, platform: PlatformDep) -> list[RewardOut]:
    return [_reward_out(r) for r in platform.campaigns.rewards_of(account_id)]


@router.post(
    "/rewards/{reward_id}/coupon",
    response_model=CouponCodeOut,
    status_code=status.HTTP_201_CREATED,
    summary="Reveal a coupon's code: shown exactly once (409 afterwards)",
)
def reveal_coupon(
    reward_id: int, account_id: CurrentAccount, platform: PlatformDep
) -> CouponCodeOut:
    return CouponCodeOut(
        reward_id=reward_id, code=platform.campaigns.reveal_coupon(account_id, reward_id)
    )


# --- public ---


@router.get(
    "/campaigns/{campaign_id}/donations",
    response_model=DonationsOut,
    summary="A like-to-donate campaign's public totals (no authentication)",
)
def donations(campaign_id: int, platform: PlatformDep) -> DonationsOut:
    return DonationsOut.model_validate(platform.campaigns.donations(campaign_id))


@router.get(
    "/videos/{video_id}/campaigns",
    response_model=list[VideoCampaignOut],
    summary="Disclosure: the campaigns this video's incentivised likes came through",
)
def video_campaigns(video_id: int, platform: PlatformDep) -> list[VideoCampaignOut]:
    rows = platform.campaigns.video_campaigns(video_id)
    return [VideoCampaignOut.model_validate(r) for r in rows]


# --- operators ---


@router.post(
    "/campaigns/settle",
    response_model=SettleOut,
    summary="Settle pending completions (operators; run after each authenticity scan)",
)
def settle(account_id: CurrentAccount, platform: PlatformDep) -> SettleOut:
    require_kind(platform, account_id, "operator")
    return SettleOut(counts=platform.campaigns.settle().counts)
