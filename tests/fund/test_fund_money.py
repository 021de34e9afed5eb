"""Largest-remainder division of the pool: exact sums, no negatives, within a fen of exact."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.errors import InvalidInput
from plaudit.fund import largest_remainder

pools = st.integers(min_value=0, max_value=10**13)
scores = st.dictionaries(
    st.integers(min_value=1, max_value=10**6),
    st.integers(min_value=0, max_value=10**12),
    max_size=60,
)


@given(pools, scores)
def test_payouts_sum_exactly_to_the_pool_whenever_anyone_scored(
    pool: int, by_creator: dict[int, int]
) -> None:
    payouts = largest_remainder(pool, by_creator)
    if any(by_creator.values()):
        assert sum(payouts.values()) == pool
    else:
        assert payouts == {}


@given(pools, scores)
def test_no_payout_is_negative_and_zero_scores_get_nothing(
    pool: int, by_creator: dict[int, int]
) -> None:
    payouts = largest_remainder(pool, by_creator)
    assert all(value >= 0 for value in payouts.values())
    assert all(by_creator[key] > 0 for key in payouts)


@given(pools, scores)
def test_each_payout_is_within_one_fen_of_its_exact_share(
    pool: int, by_creator: dict[int, int]
) -> None:
    total = sum(by_creator.values())
    for key, paid in largest_remainder(pool, by_creator).items():
        assert abs(paid - Fraction(pool * by_creator[key], total)) < 1


@given(pools, scores)
def test_a_larger_score_never_gets_less(pool: int, by_creator: dict[int, int]) -> None:
    payouts = largest_remainder(pool, by_creator)
    for high, high_score in by_creator.items():
        for low, low_score in by_creator.items():
            if high_score > low_score:
                assert payouts.get(high, 0) >= payouts.get(low, 0)


def test_ties_go_to_the_smaller_creator_id() -> None:
    assert largest_remainder(2, {30: 1, 10: 1, 20: 1}) == {10: 1, 20: 1, 30: 0}
    assert largest_remainder(100, {7: 1, 3: 1, 5: 1}) == {3: 34, 5: 33, 7: 33}


def test_the_largest_remainders_get_the_leftover_fen() -> None:
    # exact shares 777.78 and 222.22: the leftover fen goes to the .78
    assert largest_remainder(1000, {1: 2940, 2: 840}) == {1: 778, 2: 222}


def test_a_negative_pool_or_score_is_refused() -> None:
    with pytest.raises(InvalidInput, match="cannot be negative"):
        largest_remainder(-1, {1: 1})
    with pytest.raises(InvalidInput, match="must not be negative"):
        largest_remainder(10, {1: -1})
