"""Precision, recall and F1 as the evaluation computes them, and a scored run."""

from __future__ import annotations

import numpy as np
import pytest

from plaudit.authenticity import Attack, Likes, ScanSettings, Truth, inject, prf
from plaudit.authenticity.evaluation import _count_errors, score_run


def ids(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def test_prf_counts_hits() -> None:
    metrics = prf(ids(1, 2, 3, 4), ids(3, 4, 5, 6, 7, 8))
    assert metrics.precision == pytest.approx(0.5)
    assert metrics.recall == pytest.approx(2 / 6)
    assert metrics.f1 == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))


def test_prf_edge_cases() -> None:
    assert prf(ids(), ids()).f1 == 1.0
    assert prf(ids(), ids(1)).f1 == 0.0
    assert prf(ids(1), ids()).precision == 0.0
    assert prf(ids(1, 2), ids(3)).f1 == 0.0


def test_score_run_on_a_known_outcome(clean: Likes) -> None:
    likes, truth = inject(clean, Attack("farm", 80, 40, 0.5, "random"), seed=3)
    row = score_run("test", "farm", likes, truth, ScanSettings(detectors=("lockstep",)))
    assert row.accounts["all"].f1 >= 0.95
    assert row.likes["lockstep"].recall >= 0.9
    assert row.false_positive_rate <= 0.001


def test_camouflage_is_left_out_of_the_likes_metrics(clean: Likes) -> None:
    likes, truth = inject(clean, Attack("farm", 80, 40, 0.5, "random"), seed=3)
    assert len(truth.camouflage) == len(truth.payload)
    pretend = Truth(truth.accounts, truth.payload, np.empty(0, dtype=np.int64))
    plain = score_run("t", "f", likes, pretend, ScanSettings(detectors=("lockstep",)))
    assert plain.likes["all"].precision >= 0.9


def test_the_injection_is_reproducible(clean: Likes) -> None:
    a, _ = inject(clean, Attack("slow_drip", 30, 20, 0.3, "popular"), seed=9)
    b, _ = inject(clean, Attack("slow_drip", 30, 20, 0.3, "popular"), seed=9)
    assert np.array_equal(a.ts, b.ts)
    assert np.array_equal(a.video, b.video)


def _likes(account: list[int], video: list[int]) -> Likes:
    n = len(account)
    none = np.full(n, -1, dtype=np.int64)
    return Likes(ids(*account), ids(*video), np.arange(n, dtype=np.int64), none, none)


# Ten organic accounts like the target video 0 and video 1. Fake account 100 likes video 0
# (payload, row 20), then its camouflage lands on video 0 again (row 21) and on video 2;
# fake account 101's camouflage lands on video 0 (row 23), which it never liked as payload.
ORGANIC = _likes([*range(10), *range(10)], [0] * 10 + [1] * 10)
ATTACKED = ORGANIC.append(_likes([100, 100, 100, 101], [0, 0, 2, 0]))
TRUTH = Truth(ids(100, 101), ids(20), ids(21, 22, 23))


def test_a_like_injected_twice_counts_once_as_the_platform_stores_it() -> None:
    """The platform keeps one like per account and video: revoking the payload like
    revokes the camouflage row that repeats it."""
    error, removed, parts = _count_errors(ATTACKED, TRUTH, ids(20))
    assert parts is not None
    # Video 0 shows 12 likes (10 organic, 100's, 101's); 101's stays: 11 against 10.
    assert error == pytest.approx(1 / 12)
    assert parts.payload_kept == 0.0
    assert parts.camouflage_kept == pytest.approx(1 / 12)
    assert parts.organic_revoked == 0.0
    assert removed == 0.0


def test_the_count_error_is_split_into_fake_likes_kept_and_real_likes_revoked() -> None:
    error, removed, parts = _count_errors(ATTACKED, TRUTH, ids(0, 10, 23))
    assert parts is not None
    # Video 0: 100's payload stands, organic account 0's like is revoked: 10 against 10.
    assert error == 0.0
    assert parts.payload_kept == pytest.approx(1 / 12)
    assert parts.camouflage_kept == 0.0
    assert parts.organic_revoked == pytest.approx(1 / 12)
    # Row 10 is organic account 0's like of video 1, one of the ten organic likes elsewhere.
    assert removed == pytest.approx(1 / 10)
