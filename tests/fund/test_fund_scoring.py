"""Scoring: weights, diminishing returns per fan per creator per day, and the exclusions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.errors import InvalidInput
from plaudit.fund import KINDS, Interaction, Rule, diminishing_units, parse_weights, score_creators

NOON = datetime(2026, 11, 3, 12, tzinfo=UTC)
RULE = Rule()  # like 1, comment 3, share 5, follow 4, daily cap 8


def likes(fan: int, creator: int, count: int, at: datetime = NOON) -> list[Interaction]:
    return [
        Interaction("like", fan, creator, at + timedelta(seconds=i), "app") for i in range(count)
    ]


def points(units: int, rule: Rule = RULE) -> Fraction:
    return Fraction(units, rule.units_per_point)


def harmonic(n: int) -> Fraction:
    return sum((Fraction(1, k) for k in range(1, n + 1)), Fraction(0))


def test_the_nth_interaction_of_a_fan_day_counts_weight_over_n() -> None:
    scores = score_creators(likes(fan=1, creator=9, count=3), RULE)
    assert points(scores[9].score_units) == 1 + Fraction(1, 2) + Fraction(1, 3)
    assert scores[9].likes == 3
    assert scores[9].fans == 1


def test_the_largest_weights_count_first_whatever_the_order() -> None:
    day = [
        Interaction("like", 1, 9, NOON, "app"),
        Interaction("share", 1, 9, NOON + timedelta(1 / 24), "app"),
    ]
    forward = score_creators(day, RULE)[9].score_units
    backward = score_creators(list(reversed(day)), RULE)[9].score_units
    assert forward == backward
    assert points(forward) == 5 + Fraction(1, 2)  # the share counts fully, the like half


@given(st.lists(st.sampled_from(KINDS), min_size=1, max_size=300))
def test_one_fan_cannot_add_more_than_the_cap_in_a_day(kinds: list[str]) -> None:
    farm = [Interaction(k, 1, 9, NOON + timedelta(seconds=i), "app") for i, k in enumerate(kinds)]
    bound = max(RULE.weight(k) for k in KINDS) * harmonic(RULE.daily_cap)
    assert points(score_creators(farm, RULE)[9].score_units) <= bound


def test_a_farm_of_one_account_loses_to_a_few_honest_fans() -> None:
    farm = likes(fan=1, creator=10, count=500)
    honest = [i for fan in (2, 3, 4) for i in likes(fan=fan, creator=20, count=1)]
    scores = score_creators(farm + honest, RULE)
    assert points(scores[10].score_units) == harmonic(8)  # ~2.72, not 500
    assert scores[20].score_units > scores[10].score_units


def test_the_cap_resets_each_utc_day() -> None:
    two_days = likes(1, 9, 10) + likes(1, 9, 10, at=NOON + timedelta(days=1))
    assert points(score_creators(two_days, RULE)[9].score_units) == 2 * harmonic(8)


def test_the_cap_is_per_creator() -> None:
    both = likes(1, 9, 1) + likes(1, 8, 1)
    scores = score_creators(both, RULE)
    assert points(scores[9].score_units) == points(scores[8].score_units) == 1


def test_revoked_pending_incentivised_and_self_interactions_do_not_count() -> None:
    items = [
        Interaction("like", 1, 9, NOON, "app", "revoked"),
        Interaction("like", 2, 9, NOON, "app", "pending"),
        Interaction("like", 3, 9, NOON, "campaign:4"),
        Interaction("comment", 9, 9, NOON, "app"),  # the creator on their own video
        Interaction("like", 5, 9, NOON, "web"),
    ]
    score = score_creators(items, RULE)[9]
    assert (score.excluded_revoked, score.excluded_pending, score.excluded_incentivised) == (
        1,
        1,
        1,
    )
    assert (score.likes, score.comments, score.fans) == (1, 0, 1)
    assert points(score.score_units) == 1


def test_weights_come_from_the_rule() -> None:
    rule = parse_weights("like=2,share=0", daily_cap=1)
    items = [Interaction("like", 1, 9, NOON, "app"), Interaction("share", 2, 9, NOON, "app")]
    assert points(score_creators(items, rule)[9].score_units, rule) == 2
    assert rule.units_per_point == 1


def test_units_are_exact_integers() -> None:
    assert Rule(daily_cap=8).units_per_point == 840
    assert diminishing_units([1] * 20, Rule()) == 840 + 420 + 280 + 210 + 168 + 140 + 120 + 105


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("like", "not KIND=INTEGER"),
        ("view=3", "not KIND=INTEGER"),
        ("like=x", "use a whole number"),
        ("like=-1", "from 0 to 100"),
        ("share=101", "from 0 to 100"),
    ],
)
def test_bad_weights_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_weights(text)


def test_a_daily_cap_outside_1_to_12_is_refused() -> None:
    with pytest.raises(InvalidInput, match="daily_cap is 0"):
        Rule(daily_cap=0)
    with pytest.raises(InvalidInput, match="daily_cap is 13"):
        Rule(daily_cap=13)
