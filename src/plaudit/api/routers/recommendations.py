"""Recommendations for the account itself: videos it may like, creators it may follow."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from plaudit.api.deps import CurrentAccount, PlatformDep
from plaudit.errors import Forbidden
from plaudit.recommend.results import MAX_LIMIT

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["recommendations"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="How many to return.")]

_BASIS = (
    "`personalised` is false when the list is not fitted to the account; `reason` says why: "
    "`no_consent` (the account withdrew consent for personalised recommendations), "
    "`cold_start` (no likes of the account in the model yet) or `no_model` (no model has been "
    "trained: `plaudit strategy train`); such lists are ranked by popularity."
)


class VideoRecommendationOut(BaseModel):
    video_id: int
    creator_id: int
    category: str | None
    score: float = Field(description="Orders this list; not comparable across lists.")


class CreatorRecommendationOut(BaseModel):
    creator_id: int
    video_id: int = Field(description="The creator's best-scoring video (0 without a model).")
    score: float


class _Basis(BaseModel):
    account_id: int
    personalised: bool
    basis: Literal["engine", "popularity"]
    reason: Literal["no_consent", "cold_start", "no_model"] | None
    model_id: str | None = Field(description="The trained model that answered, if any.")


class VideoRecommendationsOut(_Basis):
    items: list[VideoRecommendationOut]


class CreatorRecommendationsOut(_Basis):
    items: list[CreatorRecommendationOut]


def _only_self(caller: int, account_id: int) -> None:
    if caller != account_id:
        raise Forbidden(
            f"recommendations are private: account {caller} may read only its own "
            f"(/v1/accounts/{caller}/...)"
        )


@router.get(
    "/accounts/{account_id}/recommendations",
    response_model=VideoRecommendationsOut,
    summary="Videos this account is likely to like (its own token only)",
    description=_BASIS,
)
def recommended_videos(
    account_id: int, caller: CurrentAccount, platform: PlatformDep, limit: Limit = 20
) -> VideoRecommendationsOut:
    _only_self(caller, account_id)
    result = platform.recommender.videos_for(account_id, limit)
    return VideoRecommendationsOut.model_validate(result, from_attributes=True)


@router.get(
    "/accounts/{account_id}/recommended-creators",
    response_model=CreatorRecommendationsOut,
    summary="Creators this account may follow (its own token only)",
    description=_BASIS,
)
def recommended_creators(
    account_id: int, caller: CurrentAccount, platform: PlatformDep, limit: Limit = 20
) -> CreatorRecommendationsOut:
    _only_self(caller, account_id)
    result = platform.recommender.creators_for(account_id, limit)
    return CreatorRecommendationsOut.model_validate(result, from_attributes=True)
