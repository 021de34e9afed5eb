"""Authenticity: batch detectors that judge fake likes, an attack injector, an evaluation.

    table = read_interactions(Path("likes.csv"))
    result = scan(table)                  # lockstep, dense blocks, rings, device/IP farms
    write_results(table, result, Path("out"))

See docs/authenticity.md for the methods, the null models and the measured figures.
"""

from plaudit.authenticity.attacks import Attack, Likes, Truth, inject
from plaudit.authenticity.evaluate import GRID, Metrics, Row, evaluate, prf
from plaudit.authenticity.scan import DETECTORS, ScanResult, ScanSettings, scan, write_results
from plaudit.authenticity.table import Interactions, from_arrays, read_interactions
from plaudit.authenticity.verdicts import Verdict

__all__ = [
    "DETECTORS",
    "GRID",
    "Attack",
    "Interactions",
    "Likes",
    "Metrics",
    "Row",
    "ScanResult",
    "ScanSettings",
    "Truth",
    "Verdict",
    "evaluate",
    "from_arrays",
    "inject",
    "prf",
    "read_interactions",
    "scan",
    "write_results",
]
