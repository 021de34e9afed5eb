"""Verdicts, revocations and appeals: what was revoked, why, and the way back."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from plaudit.api.deps import CurrentAccount, PlatformDep, require_kind
from plaudit.api.pagination import decode_cursor, encode_cursor
from plaudit.authenticity.appeals import MAX_TEXT, Appeal
from plaudit.authenticity.service import Revocation

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["authenticity"])


class RevocationOut(BaseModel):
    id: int
    like_id: int
    account_id: int = Field(..., description="The account whose like was revoked.")
    video_id: int
    verdict_id: int
    liked_at: datetime | None
    revoked_at: datetime
    reinstated_at: datetime | None


class VideoRevocationOut(RevocationOut):
    detector: str
    score: float
    summary: dict[str, Any] = Field(
        ..., description="Counts, window, density, observed vs expected; never member lists."
    )


class RevocationPage(BaseModel):
    items: list[VideoRevocationOut]
    next_cursor: str | None


class AppealOut(BaseModel):
    id: int
    verdict_id: int
    account_id: int
    reason: str
    status: Literal["open", "reinstated", "upheld"]
    created_at: datetime
    decided_at: datetime | None
    decision: str | None


class VerdictOut(BaseModel):
    id: int
    scan_id: int | None
    detector: str
    score: float = Field(..., description="-log10 p-value under the detector's null model.")
    status: Literal["in_force", "reinstated"]
    created_at: datetime
    summary: dict[str, Any]
    evidence: dict[str, Any] | None = Field(None, description="Operators only: the full list.")
    revocations: list[RevocationOut] = Field(
        ..., description="The caller's likes it revoked, or those on the caller's videos."
    )
    appeal: AppealOut | None = Field(None, description="The caller's appeal, if any.")


class AppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(..., min_length=1, max_length=MAX_TEXT)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["reinstate", "uphold"]
    note: str = Field("", max_length=MAX_TEXT)


class DecisionOut(BaseModel):
    appeal: AppealOut
    likes_reinstated: int


def _revocation(item: Revocation) -> dict[str, Any]:
    return {
        "id": item.id,
        "like_id": item.like_id,
        "account_id": item.account_id,
        "video_id": item.video_id,
        "verdict_id": item.verdict_id,
        "liked_at": item.liked_at,
        "revoked_at": item.revoked_at,
        "reinstated_at": item.reinstated_at,
    }


def _appeal(appeal: Appeal) -> AppealOut:
    return AppealOut.model_validate(appeal, from_attributes=True)


@router.get(
    "/verdicts/{verdict_id}",
    response_model=VerdictOut,
    summary="A verdict: its summary, and the caller's likes it revoked (operators: evidence)",
)
def get_verdict(verdict_id: int, caller: CurrentAccount, platform: PlatformDep) -> VerdictOut:
    view = platform.authenticity.verdict(verdict_id, caller)
    return VerdictOut(
        id=view.id,
        scan_id=view.scan_id,
        detector=view.detector,
        score=view.score,
        status=view.status,  # type: ignore[arg-type]
        created_at=view.created_at,
        summary=view.summary,
        evidence=view.evidence,
        revocations=[RevocationOut(**_revocation(r)) for r in view.revocations],
        appeal=None if view.appeal is None else _appeal(view.appeal),
    )


@router.get(
    "/videos/{video_id}/revocations",
    response_model=RevocationPage,
    summary="The video's revoked likes and why, newest first (the video's creator only)",
)
def video_revocations(
    video_id: int,
    caller: CurrentAccount,
    platform: PlatformDep,
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = None,
) -> RevocationPage:
    rows = platform.authenticity.revocations_of_video(
        video_id, caller, decode_cursor(cursor), limit
    )
    items = [
        VideoRevocationOut(**_revocation(r), detector=d, score=s, summary=summary)
        for r, d, s, summary in rows
    ]
    next_cursor = encode_cursor(items[-1].id) if len(items) == limit else None
    return RevocationPage(items=items, next_cursor=next_cursor)


@router.post(
    "/verdicts/{verdict_id}/appeal",
    response_model=AppealOut,
    status_code=status.HTTP_201_CREATED,
    summary="Appeal a verdict (an account whose like it revoked, or the video's creator)",
)
def appeal_verdict(
    verdict_id: int, body: AppealIn, caller: CurrentAccount, platform: PlatformDep
) -> AppealOut:
    return _appeal(platform.authenticity.appeal(verdict_id, caller, body.reason))


@router.get(
    "/appeals",
    response_model=list[AppealOut],
    summary="Appeals, oldest first (operators)",
)
def list_appeals(
    caller: CurrentAccount,
    platform: PlatformDep,
    status_filter: Literal["open", "reinstated", "upheld"] | None = Query(None, alias="status"),
    limit: int = Query(100, ge=1, le=1000),
) -> list[AppealOut]:
    require_kind(platform, caller, "operator")
    return [_appeal(a) for a in platform.authenticity.appeals(status_filter, limit)]


@router.post(
    "/appeals/{appeal_id}/decision",
    response_model=DecisionOut,
    summary="Decide an appeal: reinstate the likes or uphold the verdict (operators)",
)
def decide_appeal(
    appeal_id: int, body: DecisionIn, caller: CurrentAccount, platform: PlatformDep
) -> DecisionOut:
    require_kind(platform, caller, "operator")
    decided = platform.authenticity.decide(appeal_id, body.decision, body.note, caller)
    return DecisionOut(appeal=_appeal(decided.appeal), likes_reinstated=decided.likes_reinstated)
