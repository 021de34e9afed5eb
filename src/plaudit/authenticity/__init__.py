"""Authenticity: batch detectors that judge fake likes, an attack injector, an evaluation.

    table = read_interactions(Path("likes.csv"))
    result = scan(table)                  # lockstep, dense blocks, rings, device/IP farms
    write_results(table, result, Path("out"))

See docs/authenticity.md for the methods, the null models and the measured figures.
`count_refusals_by_rule(db, start, end)` counts the likes the real-time rules refused.

The batch stack (NumPy, SciPy, DuckDB) loads on first use of these names, so a server that
imports only `plaudit.authenticity.rules` starts without it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plaudit.authenticity.attacks import Attack, Likes, Truth, inject, inject_all
    from plaudit.authenticity.batch import DETECTORS, ScanResult, ScanSettings, scan, write_results
    from plaudit.authenticity.evaluation import GRID, Metrics, Row, evaluate, prf
    from plaudit.authenticity.refusals import REFUSING_RULES, count_refusals_by_rule
    from plaudit.authenticity.spec import parse_spec
    from plaudit.authenticity.table import Interactions, from_arrays, read_interactions
    from plaudit.authenticity.verdicts import Verdict

_HOME = {
    "Attack": "plaudit.authenticity.attacks",
    "Likes": "plaudit.authenticity.attacks",
    "Truth": "plaudit.authenticity.attacks",
    "inject": "plaudit.authenticity.attacks",
    "inject_all": "plaudit.authenticity.attacks",
    "GRID": "plaudit.authenticity.evaluation",
    "Metrics": "plaudit.authenticity.evaluation",
    "Row": "plaudit.authenticity.evaluation",
    "evaluate": "plaudit.authenticity.evaluation",
    "prf": "plaudit.authenticity.evaluation",
    "DETECTORS": "plaudit.authenticity.batch",
    "ScanResult": "plaudit.authenticity.batch",
    "ScanSettings": "plaudit.authenticity.batch",
    "scan": "plaudit.authenticity.batch",
    "write_results": "plaudit.authenticity.batch",
    "parse_spec": "plaudit.authenticity.spec",
    "Interactions": "plaudit.authenticity.table",
    "from_arrays": "plaudit.authenticity.table",
    "read_interactions": "plaudit.authenticity.table",
    "Verdict": "plaudit.authenticity.verdicts",
    "REFUSING_RULES": "plaudit.authenticity.refusals",
    "count_refusals_by_rule": "plaudit.authenticity.refusals",
}

__all__ = [
    "DETECTORS",
    "GRID",
    "REFUSING_RULES",
    "Attack",
    "Interactions",
    "Likes",
    "Metrics",
    "Row",
    "ScanResult",
    "ScanSettings",
    "Truth",
    "Verdict",
    "count_refusals_by_rule",
    "evaluate",
    "from_arrays",
    "inject",
    "inject_all",
    "parse_spec",
    "prf",
    "read_interactions",
    "scan",
    "write_results",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'plaudit.authenticity' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
