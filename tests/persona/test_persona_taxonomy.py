"""The taxonomy: 200+ documented tags with stable ids that the segment language can type."""

from __future__ import annotations

import re

from plaudit.catalog.categories import CATEGORIES
from plaudit.persona.taxonomy import CITY_NAMES, FAMILIES, TAGS, TAGS_BY_ID, family_tags
from plaudit.sim.geography import CITIES, PROVINCES


def test_at_least_200_unique_documented_tags() -> None:
    assert len(TAGS) >= 200
    assert len(TAGS_BY_ID) == len(TAGS)
    for tag in TAGS:
        assert re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+", tag.id), tag.id
        assert tag.id.split(".", 1)[0] == tag.family
        assert all((tag.en, tag.zh, tag.definition)), tag.id


def test_every_family_is_described_and_used() -> None:
    ids = [f.id for f in FAMILIES]
    assert len(ids) == len(set(ids))
    assert {t.family for t in TAGS} == set(ids)
    for family in FAMILIES:
        assert family.en
        assert family.zh
        assert family.description


def test_family_sizes() -> None:
    assert len(family_tags("province")) == 34
    assert len(family_tags("city")) == 50
    assert len(family_tags("city_tier")) == 6
    assert len(family_tags("spend")) == 5
    interests = {t.id for t in family_tags("interest")}
    assert len(CATEGORIES) >= 30
    for cat in CATEGORIES:
        assert {f"interest.{cat.id}", f"interest.{cat.id}.strong"} <= interests


def test_places_match_the_profiles_vocabulary() -> None:
    assert {t.id.split(".")[1] for t in family_tags("province")} == {
        p.code.lower() for p in PROVINCES
    }
    assert set(CITY_NAMES.values()) <= {c.name for c in CITIES}
    largest = sorted(CITIES, key=lambda c: -c.population)[:50]
    assert set(CITY_NAMES.values()) == {c.name for c in largest}
