"""The public surface of `plaudit.experiments` is pinned (see tests/test_public_surface.py)."""

from __future__ import annotations

import plaudit.experiments

PUBLIC = [
    "METRICS",
    "UNITS",
    "Arm",
    "Comparison",
    "Experiment",
    "ExperimentService",
    "Interval",
    "Metric",
    "Report",
    "analyse",
    "assign",
    "cuped_theta",
    "parse_arms",
    "unit_point",
    "welch",
]


def test_public_surface_is_pinned() -> None:
    assert sorted(plaudit.experiments.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(plaudit.experiments, name) is not None
