"""Assignment is a pure function of (experiment, unit) and splits units by the arms' weights."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.errors import InvalidInput
from plaudit.experiments import Arm, assign, parse_arms, unit_point

ids = st.integers(min_value=1, max_value=2**62)


@given(ids, ids)
def test_assignment_is_deterministic(experiment_id: int, unit_id: int) -> None:
    arms = (Arm("control", 1), Arm("treatment", 3))
    assert assign(experiment_id, unit_id, arms) == assign(experiment_id, unit_id, arms)
    assert 0.0 <= unit_point(experiment_id, unit_id) < 1.0


def test_unit_point_is_sha256_of_experiment_and_unit() -> None:
    digest = hashlib.sha256(b"12:345").digest()
    assert unit_point(12, 345) == int.from_bytes(digest[:8], "big") / 2**64


@given(
    st.integers(min_value=1, max_value=10**9),
    st.lists(st.integers(min_value=1, max_value=5), min_size=2, max_size=4),
)
def test_assignment_is_balanced_by_weight(experiment_id: int, weights: list[int]) -> None:
    arms = tuple(Arm(f"arm{i}", w) for i, w in enumerate(weights))
    n = 4000
    counts = Counter(assign(experiment_id, unit, arms) for unit in range(1, n + 1))
    total = sum(weights)
    for arm in arms:
        expected = n * arm.weight / total
        sd = (n * (arm.weight / total) * (1 - arm.weight / total)) ** 0.5
        assert abs(counts[arm.name] - expected) < 5 * sd  # a 5-sigma band: never flaky


def test_experiments_are_independent_of_each_other() -> None:
    arms = (Arm("a", 1), Arm("b", 1))
    pairs = Counter((assign(1, u, arms), assign(2, u, arms)) for u in range(1, 4001))
    assert all(900 < count < 1100 for count in pairs.values())


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        (["control"], "2 to 10 arms"),
        (["a", "a"], "different"),
        (["a:x", "b"], "whole number"),
        (["a:0", "b"], "weight must be 1 to 1000"),
        (["A B", "b"], "lowercase"),
    ],
)
def test_bad_arms_are_refused_with_the_reason(specs: list[str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_arms(specs)
