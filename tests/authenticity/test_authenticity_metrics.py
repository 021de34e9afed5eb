"""Precision, recall and F1 as the evaluation computes them, and a scored run."""

from __future__ import annotations

import numpy as np
import pytest

from plaudit.authenticity import Attack, Likes, ScanSettings, Truth, inject, prf
from plaudit.authenticity.evaluation import score_run


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
