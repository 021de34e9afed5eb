"""What the recommender answers: videos or creators for one account, and on what basis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "MAX_LIMIT",
    "Basis",
    "CreatorRecommendation",
    "CreatorRecommendations",
    "Reason",
    "Recommendation",
    "VideoRecommendations",
]

MAX_LIMIT = 100
"""The longest list a request may ask for."""

Basis = Literal["engine", "popularity"]
Reason = Literal["no_consent", "cold_start", "no_model"]
"""Why a list is not personalised: the account withdrew consent for personalised
recommendations; the model has no likes of this account yet; no model is trained yet."""


@dataclass(frozen=True)
class Recommendation:
    """A video the account is likely to like; `score` orders the list (higher first) and
    means nothing across lists."""

    video_id: int
    creator_id: int
    category: str | None
    score: float


@dataclass(frozen=True)
class CreatorRecommendation:
    """A creator the account may follow, with the video of theirs that scored best."""

    creator_id: int
    video_id: int
    score: float


@dataclass(frozen=True)
class VideoRecommendations:
    account_id: int
    personalised: bool
    basis: Basis
    reason: Reason | None
    model_id: str | None
    items: list[Recommendation]


@dataclass(frozen=True)
class CreatorRecommendations:
    account_id: int
    personalised: bool
    basis: Basis
    reason: Reason | None
    model_id: str | None
    items: list[CreatorRecommendation]
