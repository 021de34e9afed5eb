"""The analysis of an experiment: difference in means with a Welch confidence interval, and the
same after CUPED, which removes the part of the metric the pre-period already explains.

CUPED (Deng, Xu, Kohavi, Walker: "Improving the Sensitivity of Online Controlled Experiments by
Utilizing Pre-Experiment Data", WSDM 2013): with X the unit's metric in the pre-period and Y in
the experiment window, theta = cov(X, Y) / var(X) over all units pooled, and each unit's
Y - theta * (X - mean(X)) has the same expected difference between arms as Y, with variance
var(Y) * (1 - corr(X, Y)^2). Welch's t interval (Welch 1947) does not assume equal variances.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from plaudit.errors import InvalidInput

__all__ = ["Comparison", "Interval", "Report", "analyse", "cuped_theta", "welch"]

Floats = NDArray[np.float64]
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A difference in means (treatment - control) with its two-sided Welch interval."""

    difference: float
    low: float
    high: float
    std_error: float
    df: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "difference": self.difference,
            "ci95": [self.low, self.high],
            "std_error": self.std_error,
            "df": self.df,
        }


@dataclass(frozen=True)
class Comparison:
    arm: str
    control: str
    plain: Interval
    cuped: Interval
    relative: float | None  # difference / control mean; None when the control mean is 0


@dataclass(frozen=True)
class Report:
    """Per-arm statistics, CUPED's theta and variance reduction, and each arm vs control."""

    arms: list[dict[str, float | int | str]]
    theta: float
    variance_reduction: float
    comparisons: list[Comparison]


def welch(treatment: Floats, control: Floats, level: float = LEVEL) -> Interval:
    """Difference in means and its Welch-Satterthwaite t interval; each arm needs 2 units."""
    nt, nc = len(treatment), len(control)
    if nt < 2 or nc < 2:
        raise InvalidInput(
            f"each arm needs at least 2 exposed units to analyse; have {nt} and {nc}",
            field="exposures",
        )
    vt, vc = float(np.var(treatment, ddof=1)) / nt, float(np.var(control, ddof=1)) / nc
    difference = float(np.mean(treatment) - np.mean(control))
    se = math.sqrt(vt + vc)
    if se == 0.0:
        return Interval(difference, difference, difference, 0.0, float(nt + nc - 2))
    df = (vt + vc) ** 2 / (vt**2 / (nt - 1) + vc**2 / (nc - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df)) * se
    return Interval(difference, difference - half, difference + half, se, df)


def cuped_theta(y: Floats, x: Floats) -> float:
    """cov(x, y) / var(x) over all units; 0 when the pre-period does not vary."""
    var_x = float(np.var(x, ddof=1))
    if var_x == 0.0:
        return 0.0
    return float(np.cov(x, y, ddof=1)[0, 1]) / var_x


def analyse(
    metric: Mapping[str, Sequence[float]], pre: Mapping[str, Sequence[float]], control: str
) -> Report:
    """Compare every arm to `control`; `metric[arm][i]` and `pre[arm][i]` are one unit's."""
    ys = {arm: np.asarray(values, dtype=np.float64) for arm, values in metric.items()}
    xs = {arm: np.asarray(pre[arm], dtype=np.float64) for arm in metric}
    all_y, all_x = np.concatenate(list(ys.values())), np.concatenate(list(xs.values()))
    theta = cuped_theta(all_y, all_x) if len(all_y) >= 2 else 0.0
    mean_x = float(np.mean(all_x)) if len(all_x) else 0.0
    adjusted = {arm: ys[arm] - theta * (xs[arm] - mean_x) for arm in ys}
    var_y = float(np.var(all_y, ddof=1)) if len(all_y) >= 2 else 0.0
    var_adj = float(np.var(np.concatenate(list(adjusted.values())), ddof=1)) if var_y else 0.0
    reduction = 1.0 - var_adj / var_y if var_y else 0.0
    comparisons = [_compare(arm, control, ys, adjusted) for arm in metric if arm != control]
    return Report([_arm_stats(a, ys[a], xs[a]) for a in metric], theta, reduction, comparisons)


def _compare(arm: str, control: str, ys: dict[str, Floats], adj: dict[str, Floats]) -> Comparison:
    plain = welch(ys[arm], ys[control])
    control_mean = float(np.mean(ys[control]))
    relative = plain.difference / control_mean if control_mean else None
    return Comparison(arm, control, plain, welch(adj[arm], adj[control]), relative)


def _arm_stats(arm: str, y: Floats, x: Floats) -> dict[str, float | int | str]:
    n = len(y)
    return {
        "arm": arm,
        "units": n,
        "mean": float(np.mean(y)) if n else 0.0,
        "std": float(np.std(y, ddof=1)) if n >= 2 else 0.0,
        "pre_mean": float(np.mean(x)) if n else 0.0,
    }
