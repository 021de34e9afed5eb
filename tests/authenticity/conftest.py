"""A small clean community shared by the authenticity tests (built once per session)."""

from __future__ import annotations

import pytest

from plaudit.authenticity import Likes
from plaudit.authenticity.sources import synthetic_likes
from plaudit.sim import CommunitySize

SMALL = CommunitySize(
    "authenticity-test", accounts=3000, creators=60, videos=600, interactions=50_000, days=30
)


@pytest.fixture(scope="session")
def clean() -> Likes:
    return synthetic_likes(SMALL, seed=5)
