"""Lookalike expansion: the requested size, outside the seed, more like the seed than chance."""

from __future__ import annotations

import pytest

from plaudit.errors import InvalidInput
from plaudit.persona import Audience, Privacy
from plaudit.persona.lookalike import METHOD
from tests.persona.conftest import Community


def test_a_lookalike_grows_the_seed_with_similar_accounts(community: Community) -> None:
    index = community.index
    audience = Audience(index, Privacy(k=20))
    seed = audience.select("gender = female and age in 18..30")
    expanded, about = audience.lookalike(seed, 60, "young women")
    assert len(expanded) == 60
    assert expanded.isdisjoint(seed)
    assert expanded <= index.universe
    assert about["method"] == METHOD
    assert about["seed"] == len(seed)
    assert about["top_tags"][0]["weight"] > 0
    # more like the seed than the platform: women are over-represented
    women = index.tag("gender.female")
    outside = index.universe - seed
    assert len(expanded & women) / 60 > len(outside & women) / len(outside)


def test_lookalike_limits(community: Community) -> None:
    audience = Audience(community.index, Privacy(k=100))
    with pytest.raises(InvalidInput, match="seed has fewer than 100"):
        audience.lookalike(audience.select("gender = other"), 200, "tiny")
    seed = audience.select("role.fan")
    with pytest.raises(InvalidInput, match="size must be between"):
        audience.lookalike(seed, 10, "fans")
