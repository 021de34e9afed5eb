"""Counts, insights, overlap and fan bases: aggregates only, suppressed below k."""

from __future__ import annotations

import re

import pytest

from plaudit.errors import InvalidInput
from plaudit.persona import Audience, Privacy
from tests.persona.conftest import Community, top_creator


def test_counts_are_exact_above_k_and_suppressed_below(community: Community) -> None:
    audience = Audience(community.index, Privacy(k=100))
    women = len(community.index.tag("gender.female"))
    assert women >= 100
    assert audience.count("gender = female") == {"expression": "gender = female", "count": women}
    assert audience.count("gender = other") == {
        "expression": "gender = other",
        "count": "<100",
        "suppressed": True,
    }


def test_insights_give_shares_and_tgi_and_suppress_small_cells(community: Community) -> None:
    index = community.index
    result = Audience(index, Privacy(k=20)).insights("gender = female")
    assert result["count"] == len(index.tag("gender.female"))
    gender = {row["tag"]: row for row in result["families"]["gender"]}
    assert gender["gender.female"]["share"] == 1.0
    expected_tgi = 100 * len(index.universe) / len(index.tag("gender.female"))
    assert gender["gender.female"]["tgi"] == pytest.approx(expected_tgi, abs=0.1)
    assert gender["gender.male"] == {
        "tag": "gender.male",
        "en": "Men",
        "zh": "男性",
        "count": "<20",
        "suppressed": True,
    }
    assert set(result["families"]) >= {"age", "city_tier", "interest", "device", "campaign"}
    for rows in result["families"].values():
        for row in rows:
            assert row.get("suppressed") or row["count"] >= 20


def test_a_small_segment_reveals_nothing(community: Community) -> None:
    result = Audience(community.index, Privacy(k=100_000)).insights("role.fan")
    assert result == {
        "expression": "role.fan",
        "count": "<100000",
        "suppressed": True,
        "families": {},
    }


def test_differential_privacy_noise_is_applied_to_insights(community: Community) -> None:
    index = community.index
    exact = Audience(index, Privacy(k=1)).insights("role.fan")
    noisy = Audience(index, Privacy(k=1, epsilon_insights=20.0)).insights("role.fan")
    counts = [r["count"] for r in exact["families"]["age"]]
    noisy_counts = [r["count"] for r in noisy["families"]["age"]]
    assert counts != noisy_counts
    # 20 / 218 per cell: a standard deviation of about 15; far from exact would be a bug
    assert all(abs(a - b) < 400 for a, b in zip(counts, noisy_counts, strict=True))
    again = Audience(index, Privacy(k=1, epsilon_insights=20.0)).insights("role.fan")
    assert again == noisy  # the same question gets the same noise: nothing to average


def test_overlap_of_segments(community: Community) -> None:
    audience = Audience(community.index, Privacy(k=10))
    result = audience.overlap(["gender = female", "age < 30", "role.fan"])
    women = community.index.tag("gender.female")
    young = audience.select("age < 30")
    assert result["segments"][0] == {"expression": "gender = female", "count": len(women)}
    assert result["pairs"][0] == {"a": 0, "b": 1, "count": len(women & young)}
    assert len(result["pairs"]) == 3
    with pytest.raises(InvalidInput, match="2 to 5"):
        audience.overlap(["role.fan"] * 6)


def test_fan_base_composition_in_two_languages(community: Community) -> None:
    creator, _fans = top_creator(community)
    result = Audience(community.index, Privacy(k=5)).fan_base(community.platform.db, creator)
    assert result["creator_id"] == creator
    assert isinstance(result["count"], int)
    assert result["count"] >= 5
    en, zh = result["sentence"]["en"], result["sentence"]["zh"]
    match = re.fullmatch(r"(\d+)% of your fans are (women|men) aged (\d+)-(\d+)", en)
    assert match, en
    pct, who, lo, hi = match.groups()
    assert zh == f"你的粉丝中{pct}%是{lo}-{hi}岁的{'女性' if who == 'women' else '男性'}"
    assert 0 < int(pct) <= 100


def test_fan_base_of_a_small_creator_is_suppressed(community: Community) -> None:
    creator, fans = top_creator(community)
    result = Audience(community.index, Privacy(k=fans + 1)).fan_base(community.platform.db, creator)
    assert result["suppressed"] is True
    assert result["families"] == {}
    assert "Fewer than" in result["sentence"]["en"]
