"""Writing a built report into its folder, and finding the reports a server publishes.

A report folder holds exactly: report.json, report.zh.html, report.en.html,
report.zh.pdf, report.en.pdf and checkpoint.txt (the signed checkpoint the figures are
computed at). Files are written to a temporary name and renamed, so a reader never sees
half a report.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from plaudit.reports.render import LANGUAGES, render_html, write_pdf

__all__ = [
    "REPORT_FILES",
    "list_reports",
    "published_reports",
    "report_folder_name",
    "write_report",
]

REPORT_FILES = (
    "report.json",
    "report.zh.html",
    "report.en.html",
    "report.zh.pdf",
    "report.en.pdf",
    "checkpoint.txt",
)
_SAFE = re.compile(r"[^0-9A-Za-z._-]+")


def report_folder_name(label: str) -> str:
    """A folder name for a period label (``2026-Q4``, ``2026-10-01..2026-11-01``)."""
    return _SAFE.sub("_", label)


def _write(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def write_report(report: Mapping[str, Any], folder: Path, *, pdf: bool = True) -> list[Path]:
    """Write every file of the report into ``folder``; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    text = json.dumps(report, ensure_ascii=False, indent=1) + "\n"
    _write(folder / "report.json", text.encode())
    _write(folder / "checkpoint.txt", report["log"]["checkpoint"].encode())
    written += [folder / "report.json", folder / "checkpoint.txt"]
    for lang in LANGUAGES:
        page = render_html(report, lang)
        _write(folder / f"report.{lang}.html", page.encode())
        written.append(folder / f"report.{lang}.html")
        if pdf:
            partial = folder / f"report.{lang}.pdf.partial"
            write_pdf(page, partial)
            os.replace(partial, folder / f"report.{lang}.pdf")
            written.append(folder / f"report.{lang}.pdf")
    return written


def published_reports(root: Path) -> list[dict[str, Any]]:
    """Every report.json under ``root`` (one folder each), oldest period first; folders
    without a readable report of ours are left out, as ``list_reports`` leaves them."""
    loaded = []
    for item in reversed(list_reports(root)):
        path = root / item["folder"] / "report.json"
        loaded.append(json.loads(path.read_text(encoding="utf-8")))
    return loaded


def list_reports(root: Path) -> list[dict[str, Any]]:
    """The reports under ``root`` (one folder each, with a report.json), newest period first."""
    found: list[dict[str, Any]] = []
    if not root.is_dir():
        return found
    for folder in sorted(root.iterdir()):
        meta = folder / "report.json"
        if not folder.is_dir() or not meta.is_file():
            continue
        try:
            report = json.loads(meta.read_text(encoding="utf-8"))
            found.append(
                {
                    "folder": folder.name,
                    "period": report["period"],
                    "generated_at": report["generated_at"],
                    "checkpoint_size": report["log"]["size"],
                    "files": [name for name in REPORT_FILES if (folder / name).is_file()],
                }
            )
        except (ValueError, KeyError, TypeError, OSError):
            continue  # not a report of ours: not listed
    found.sort(key=lambda item: item["period"]["start"], reverse=True)
    return found
