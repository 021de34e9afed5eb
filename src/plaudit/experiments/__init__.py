"""Experiments: deterministic assignment by hashing, exposure logging, and an analysis with
Welch intervals and CUPED variance reduction. Every uplift Plaudit shows comes from here."""

from plaudit.experiments.analysis import Comparison, Interval, Report, analyse, cuped_theta, welch
from plaudit.experiments.assignment import assign, unit_point
from plaudit.experiments.model import METRICS, UNITS, Arm, Experiment, Metric, parse_arms
from plaudit.experiments.service import ExperimentService

__all__ = [
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
