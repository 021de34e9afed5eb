"""The recommender (part of the strategy engine, 流光引擎): videos an account is likely to like
and creators it may follow, learned from like histories, and their offline evaluation.
See docs/recommender.md."""

from plaudit.recommend.csvfile import read_categories_csv, read_feedback_csv
from plaudit.recommend.engine import Engine, EngineParams
from plaudit.recommend.evaluate import EvalReport, ModelResult, TuningGrid, evaluate
from plaudit.recommend.feedback import Feedback, ItemCategories
from plaudit.recommend.metrics import ndcg_at_k, recall_at_k
from plaudit.recommend.results import (
    CreatorRecommendation,
    CreatorRecommendations,
    Recommendation,
    VideoRecommendations,
)
from plaudit.recommend.service import MAX_LIMIT, RecommenderService
from plaudit.recommend.split import SPLITS, Split, split

__all__ = [
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
