"""The strategy engine (流光引擎) for creators: fan insights, daily engagement plans, the
engagement inbox with reply suggestions, and approved assistant actions. See docs/strategy.md.
The recommender lives in `plaudit.recommend`; experiments in `plaudit.experiments`."""

from plaudit.strategy.inbox import parse_action_id
from plaudit.strategy.replies import FanStanding, Suggestion, suggest, thank
from plaudit.strategy.service import MAX_APPROVALS, StrategyService

__all__ = [
    "MAX_APPROVALS",
    "FanStanding",
    "StrategyService",
    "Suggestion",
    "parse_action_id",
    "suggest",
    "thank",
]
