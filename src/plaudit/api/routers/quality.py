"""Interaction quality scores: `GET /v1/videos/{id}/quality` (public, organic interactions)
and `GET /v1/campaigns/{id}/quality` (the campaign's brand, or an operator)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from plaudit.api.deps import CurrentAccount, PlatformDep
from plaudit.quality import QualityScore

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["quality"])

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]


class QualityOut(BaseModel):
    subject: str = Field(description="video or campaign")
    subject_id: int
    score: float | None = Field(
        description="100 x authentic weighted points per engaged account x (1 - revoked share)"
    )
    reach: int | None = Field(description="Distinct accounts that interacted (no views exist)")
    weighted_points: float | None
    likes: int | None = Field(description="Authentic likes")
    comments: int | None
    shares: int | None
    revoked: int | None
    pending: int | None
    revoked_share: float | None
    suppressed: bool = Field(description="True when reach is below privacy_k: figures hidden")


def quality_out(score: QualityScore) -> QualityOut:
    return QualityOut.model_validate(score, from_attributes=True)


@router.get(
    "/videos/{video_id}/quality",
    response_model=QualityOut,
    summary="A video's interaction quality (organic interactions)",
)
def video_quality(video_id: Id, platform: PlatformDep) -> QualityOut:
    return quality_out(platform.quality.video(video_id))


@router.get(
    "/campaigns/{campaign_id}/quality",
    response_model=QualityOut,
    summary="A campaign's interaction quality (its organisation's members or an operator)",
)
def campaign_quality(
    campaign_id: Id, account_id: CurrentAccount, platform: PlatformDep
) -> QualityOut:
    kind = platform.accounts.get(account_id).kind
    viewer = None if kind == "operator" else account_id
    return quality_out(platform.quality.campaign(campaign_id, viewer))
