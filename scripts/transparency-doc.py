"""Write the figures' section of docs/transparency.md from plaudit.reports.figures.

Run after changing a definition: `.venv/bin/python scripts/transparency-doc.py`. The
section runs from its heading to the next `## ` heading; tests/reports/test_period.py fails
while the page and the definitions differ.
"""

from __future__ import annotations

from pathlib import Path

from plaudit.reports.figures import definitions_markdown

HEADING = "## The figures, with their exact rules\n\n"
PAGE = Path(__file__).resolve().parents[1] / "docs" / "transparency.md"


def main() -> None:
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(HEADING) + len(HEADING)
    end = text.index("\n## ", start) + 1
    PAGE.write_text(text[:start] + definitions_markdown() + "\n" + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()
