"""A tiny generated community and its tag index, built once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from plaudit.config import Settings, load_settings
from plaudit.persona import TagIndex, compute_index
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community
from plaudit.store import tables

TINY = CommunitySize("tiny", accounts=800, creators=20, videos=200, interactions=12000, days=60)
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass(repr=False)
class Community:
    settings: Settings
    platform: Platform
    index: TagIndex


@pytest.fixture(scope="session")
def community(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Community]:
    data: Path = tmp_path_factory.mktemp("persona") / "data"
    settings = load_settings(flags={"data_dir": str(data)}, env={})
    platform = Platform(settings).open()
    load_community(platform.db, TINY, seed=11, end=AS_OF, show_progress=False)
    index = compute_index(platform.db, AS_OF)
    index.save(settings.data_path)
    yield Community(settings, platform, index)
    platform.close()


def top_creator(community: Community) -> tuple[int, int]:
    """The creator with the most current followers, and how many."""
    f = tables.follows
    stmt = (
        select(f.c.creator_id, func.count())
        .where(f.c.removed_at.is_(None))
        .group_by(f.c.creator_id)
        .order_by(func.count().desc())
        .limit(1)
    )
    with community.platform.db.read() as conn:
        creator, fans = conn.execute(stmt).one()
    return int(creator), int(fans)


def within_noise(
    shown: object, exact: int, epsilon: float, sensitivity: int = 1, rounding: int = 10
) -> bool:
    """Whether a shown count is the exact one plus noise of that epsilon, rounded: within 12
    standard deviations (a two-sided geometric tail beyond that has probability < 1e-7)."""
    from plaudit.persona.privacy import Mechanism

    assert isinstance(shown, int), shown
    return abs(shown - exact) <= 12 * Mechanism.scale(epsilon, sensitivity) + rounding
