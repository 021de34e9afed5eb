"""The public surface of `plaudit.strategy` is pinned (see tests/test_public_surface.py)."""

from __future__ import annotations

import plaudit.strategy

PUBLIC = [
    "MAX_APPROVALS",
    "FanStanding",
    "StrategyService",
    "Suggestion",
    "parse_action_id",
    "suggest",
    "thank",
]


def test_public_surface_is_pinned() -> None:
    assert sorted(plaudit.strategy.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(plaudit.strategy, name) is not None
