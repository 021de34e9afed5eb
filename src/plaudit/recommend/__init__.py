"""The recommender (part of the strategy engine, 流光引擎): videos an account is likely to like
and creators it may follow, learned from like histories, and their offline evaluation.
See docs/recommender.md.

NumPy, SciPy and implicit load on first use of these names, so the server starts without
them and a recommendation request brings them in.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plaudit.recommend.csvfile import read_categories_csv, read_feedback_csv
    from plaudit.recommend.engine import Engine, EngineParams
    from plaudit.recommend.evaluate import EvalReport, ModelResult, TuningGrid, evaluate
    from plaudit.recommend.feedback import Feedback, ItemCategories
    from plaudit.recommend.metrics import ndcg_at_k, recall_at_k
    from plaudit.recommend.results import (
        MAX_LIMIT,
        CreatorRecommendation,
        CreatorRecommendations,
        Recommendation,
        VideoRecommendations,
    )
    from plaudit.recommend.service import RecommenderService
    from plaudit.recommend.split import SPLITS, Split, split

_HOME = {
    "read_categories_csv": "plaudit.recommend.csvfile",
    "read_feedback_csv": "plaudit.recommend.csvfile",
    "Engine": "plaudit.recommend.engine",
    "EngineParams": "plaudit.recommend.engine",
    "EvalReport": "plaudit.recommend.evaluate",
    "ModelResult": "plaudit.recommend.evaluate",
    "TuningGrid": "plaudit.recommend.evaluate",
    "evaluate": "plaudit.recommend.evaluate",
    "Feedback": "plaudit.recommend.feedback",
    "ItemCategories": "plaudit.recommend.feedback",
    "ndcg_at_k": "plaudit.recommend.metrics",
    "recall_at_k": "plaudit.recommend.metrics",
    "CreatorRecommendation": "plaudit.recommend.results",
    "CreatorRecommendations": "plaudit.recommend.results",
    "Recommendation": "plaudit.recommend.results",
    "VideoRecommendations": "plaudit.recommend.results",
    "MAX_LIMIT": "plaudit.recommend.results",
    "RecommenderService": "plaudit.recommend.service",
    "SPLITS": "plaudit.recommend.split",
    "Split": "plaudit.recommend.split",
    "split": "plaudit.recommend.split",
}

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


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'plaudit.recommend' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


class _Package(types.ModuleType):
    """`evaluate` and `split` name both a function and its submodule. Importing a submodule
    sets it as an attribute of the package; the public name must stay the function, as it
    was when the package imported everything eagerly."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _HOME and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
