"""The generator's building blocks: the pair set, the samplers, the hash and the clock."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from plaudit.sim.hashing import derive, mix64
from plaudit.sim.pairs import PairSet, pair_keys
from plaudit.sim.rhythm import DAY, Clock
from plaudit.sim.sampling import cdf_of, locate, pick, sorted_uniforms

_pairs = st.lists(st.tuples(st.integers(1, 60), st.integers(1, 40)), max_size=80)


@settings(max_examples=60, deadline=None)
@given(batches=st.lists(_pairs, max_size=6))
def test_pair_set_accepts_each_pair_once(batches: list[list[tuple[int, int]]]) -> None:
    pairs = PairSet(max_account=60, expected=1 << 20)  # several buckets even when small
    seen: set[tuple[int, int]] = set()
    for batch in batches:
        account = np.array([a for a, _ in batch], dtype=np.int64)
        target = np.array([t for _, t in batch], dtype=np.int64)
        accepted = pairs.add_new(pair_keys(account, target))
        expected = []
        for pair in batch:
            expected.append(pair not in seen)
            seen.add(pair)
        assert accepted.tolist() == expected
    assert len(pairs) == len(seen)


def test_sorted_uniforms_are_sorted_and_uniform() -> None:
    u = sorted_uniforms(np.random.default_rng(1), 100_000)
    assert np.all(np.diff(u) >= 0)
    assert u[0] >= 0
    assert u[-1] < 1
    assert abs(u.mean() - 0.5) < 0.01
    assert np.max(np.abs(u - np.linspace(0, 1, len(u)))) < 0.01  # close to its quantiles


def test_locate_finds_the_entry_of_each_target() -> None:
    rng = np.random.default_rng(2)
    weights = rng.random(50) * (rng.random(50) < 0.7)  # some entries weigh nothing
    running = np.r_[0.0, np.cumsum(weights)]
    targets = rng.random(1_000) * running[-1]
    found = locate(running, targets)
    assert np.all(running[found] <= targets)
    assert np.all(targets < running[found + 1])
    assert np.all(weights[found] > 0)


def test_pick_skips_zero_weights() -> None:
    cdf = cdf_of([0.0, 1.0, 0.0, 3.0, 0.0])
    picked = pick(cdf, np.random.default_rng(3).random(10_000))
    counts = np.bincount(picked, minlength=5)
    assert counts[[0, 2, 4]].sum() == 0
    assert 2.7 < counts[3] / counts[1] < 3.3


def test_hash_streams_are_distinct_and_stable() -> None:
    ids = np.arange(1, 10_001, dtype=np.int64)
    a = derive(7, 1, ids)
    assert len(np.unique(a)) == len(ids)
    assert np.array_equal(a, derive(7, 1, ids))
    assert not np.any(a == derive(7, 2, ids))
    assert not np.any(a == derive(8, 1, ids))
    assert len(np.unique(mix64(ids.astype(np.uint64)))) == len(ids)


def test_clock_samples_inside_the_asked_days() -> None:
    clock = Clock(end_ts=1_717_200_000, days=10)
    assert np.isclose(clock.day_weights().sum(), clock.weights.sum())
    t = clock.sample(np.random.default_rng(4), 5_000, first_day=3, days=2)
    assert t.min() >= clock.day_start(3)
    assert t.max() < clock.day_start(5)
    assert clock.day_start(10) == clock.end_ts
    assert clock.end_ts - clock.start_ts == 10 * DAY
