"""The public surface of `plaudit.recommend` is pinned (see tests/test_public_surface.py)."""

from __future__ import annotations

import plaudit.recommend

PUBLIC = [
    "MAX_LIMIT",
    "SPLITS",
    "CreatorRecommendation",
    "CreatorRecommendations",
    "Engine",
    "EngineParams",
    "EvalReport",
    "Feedback",
    "ItemCategories",
    "ModelResult",
    "Recommendation",
    "RecommenderService",
    "Split",
    "TuningGrid",
    "VideoRecommendations",
    "evaluate",
    "ndcg_at_k",
    "read_categories_csv",
    "read_feedback_csv",
    "recall_at_k",
    "split",
]


def test_public_surface_is_pinned() -> None:
    assert sorted(plaudit.recommend.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert hasattr(plaudit.recommend, name), name
