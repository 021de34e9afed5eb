"""Shared data for the recommender tests: a planted-taste feedback set (no database) and a
tiny generated community on SQLite with a trained model, built once per session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from plaudit.config import Settings, load_settings
from plaudit.platform import Platform
from plaudit.recommend import EngineParams, Feedback, ItemCategories
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community

TINY = CommunitySize("tiny", accounts=800, creators=20, videos=200, interactions=12000, days=60)
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
FAST = EngineParams(factors=16, iterations=8)


def planted_tastes(
    users: int = 300, items: int = 120, groups: int = 4, per_user: int = 15, seed: int = 3
) -> tuple[Feedback, ItemCategories]:
    """Accounts in `groups` taste groups, each liking (mostly) videos of its own category,
    popular ones more often: collaborative and category signal a recommender must find."""
    rng = np.random.default_rng(seed)
    category = np.arange(items) % groups
    appeal = rng.pareto(1.5, items) + 1.0
    accounts, videos, times = [], [], []
    for user in range(users):
        own = np.flatnonzero(category == user % groups)
        weights = appeal[own] / appeal[own].sum()
        picked = rng.choice(own, size=per_user, replace=False, p=weights)
        stray = rng.choice(items, size=2, replace=False)
        for t, video in enumerate([*picked.tolist(), *stray.tolist()]):
            accounts.append(user + 1)
            videos.append(video + 1)
            times.append(1_700_000_000 + 60 * t + user)
    feedback = Feedback(
        np.array(accounts, dtype=np.int64),
        np.array(videos, dtype=np.int64),
        np.array(times, dtype=np.float64),
    )
    ids = np.arange(1, items + 1, dtype=np.int64)
    return feedback, ItemCategories(ids, category.astype(np.int16))


@dataclass(repr=False)
class Community:
    settings: Settings
    platform: Platform


@pytest.fixture(scope="session")
def community(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Community]:
    """A tiny generated community with a trained model (do not change its consent flags)."""
    data: Path = tmp_path_factory.mktemp("recommend") / "data"
    settings = load_settings(flags={"data_dir": str(data)}, env={})
    platform = Platform(settings).open()
    load_community(platform.db, TINY, seed=5, end=AS_OF, show_progress=False)
    platform.recommender.train(FAST)
    yield Community(settings, platform)
    platform.close()
