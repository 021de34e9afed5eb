"""The analysis against hand-computed figures, SciPy's Welch test, and simulations whose true
effect is known."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from plaudit.errors import InvalidInput
from plaudit.experiments import analyse, cuped_theta, welch


def test_welch_matches_the_hand_computed_case() -> None:
    # control 1..4 and treatment 3..6: difference 2, each variance 5/3, so se^2 = 2 * 5/12,
    # df = (5/6)^2 / (2 * (5/12)^2 / 3) = 6, t(0.975, 6) = 2.446912;
    # half-width 2.446912 * sqrt(5/6) = 2.446912 * 0.912871 = 2.233715
    interval = welch(np.array([3.0, 4, 5, 6]), np.array([1.0, 2, 3, 4]))
    assert interval.difference == pytest.approx(2.0)
    assert interval.std_error == pytest.approx((5 / 6) ** 0.5)
    assert interval.df == pytest.approx(6.0)
    assert interval.low == pytest.approx(2 - 2.233715, abs=1e-5)
    assert interval.high == pytest.approx(2 + 2.233715, abs=1e-5)


def test_welch_agrees_with_scipy_on_unequal_variances() -> None:
    rng = np.random.default_rng(3)
    treatment, control = rng.normal(1.0, 3.0, 40), rng.normal(0.0, 1.0, 90)
    ours = welch(treatment, control)
    ci = stats.ttest_ind(treatment, control, equal_var=False).confidence_interval(0.95)
    assert (ours.low, ours.high) == pytest.approx((ci.low, ci.high))


def test_welch_needs_two_units_per_arm() -> None:
    with pytest.raises(InvalidInput, match="at least 2 exposed units"):
        welch(np.array([1.0]), np.array([1.0, 2.0]))


def test_cuped_theta_is_the_regression_slope() -> None:
    x = np.array([1.0, 2, 3, 4, 5])
    assert cuped_theta(2 * x + 1, x) == pytest.approx(2.0)
    assert cuped_theta(x, np.ones(5)) == 0.0


def _simulate(seed: int, effect: float, n: int = 400) -> tuple[dict[str, list[float]], ...]:
    """Units whose metric is mostly their pre-period level plus noise, and the effect."""
    rng = np.random.default_rng(seed)
    pre = {arm: rng.gamma(4.0, 2.5, n) for arm in ("control", "treatment")}
    metric = {
        arm: x + rng.normal(0.0, 1.5, n) + (effect if arm == "treatment" else 0.0)
        for arm, x in pre.items()
    }
    return (
        {a: list(v) for a, v in metric.items()},
        {a: list(v) for a, v in pre.items()},
    )


def test_cuped_narrows_the_interval_and_covers_the_true_effect() -> None:
    metric, pre = _simulate(seed=7, effect=0.8)
    report = analyse(metric, pre, "control")
    (comparison,) = report.comparisons
    plain, cuped = comparison.plain, comparison.cuped
    # one draw: the chance imbalance of the pre-period moves the plain estimate (coverage over
    # many draws is tested below); CUPED removes that imbalance, so it lands close
    assert cuped.low <= 0.8 <= cuped.high
    assert abs(cuped.difference - 0.8) < abs(plain.difference - 0.8)
    assert cuped.high - cuped.low < 0.5 * (plain.high - plain.low)
    assert report.theta == pytest.approx(1.0, abs=0.1)  # the metric moves one for one with pre
    assert 0.8 < report.variance_reduction < 1.0


def test_intervals_cover_the_true_effect_at_their_nominal_rate() -> None:
    covered_plain = covered_cuped = 0
    runs = 200
    for seed in range(runs):
        metric, pre = _simulate(seed=1000 + seed, effect=0.5, n=150)
        (c,) = analyse(metric, pre, "control").comparisons
        covered_plain += c.plain.low <= 0.5 <= c.plain.high
        covered_cuped += c.cuped.low <= 0.5 <= c.cuped.high
    # 95% intervals: 200 runs cover between 180 and 197 times with probability > 0.99
    assert 180 <= covered_plain <= 197
    assert 180 <= covered_cuped <= 197


def test_relative_uplift_and_arm_statistics() -> None:
    report = analyse(
        {"control": [2.0, 4.0], "b": [3.0, 5.0]}, {"control": [1.0, 1.0], "b": [1.0, 1.0]},
        "control",
    )  # fmt: skip
    assert report.arms[0] == {
        "arm": "control",
        "units": 2,
        "mean": 3.0,
        "std": pytest.approx(2**0.5),
        "pre_mean": 1.0,
    }
    (c,) = report.comparisons
    assert c.relative == pytest.approx(1 / 3)
    assert report.theta == 0.0
    assert report.variance_reduction == 0.0
