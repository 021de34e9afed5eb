"""The interaction data transparency report (互动数据白皮书), recomputable from the log.

* :func:`build_report`: figures at a signed checkpoint; log-determined ones from the
  entries, operator-attested ones from the database, each with its rule (figures.py);
* :func:`write_report`: report.json, zh/en HTML and PDF, the checkpoint, into a folder;
* :func:`verify_report`: recompute the log-determined figures from a public tile API.
"""

from __future__ import annotations

from plaudit.reports.build import build_report
from plaudit.reports.figures import DEFINITIONS, Definition, Figure
from plaudit.reports.period import Period, parse_period
from plaudit.reports.publish import list_reports, write_report
from plaudit.reports.verify import ReportCheck, verify_report

__all__ = [
    "DEFINITIONS",
    "Definition",
    "Figure",
    "Period",
    "ReportCheck",
    "build_report",
    "list_reports",
    "parse_period",
    "verify_report",
    "write_report",
]
