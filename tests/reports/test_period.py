"""Report periods: quarters, months and ranges are half-open UTC intervals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.errors import InvalidInput
from plaudit.reports.logfigures import nearest_rank
from plaudit.reports.period import parse_period


def test_a_quarter_and_a_month() -> None:
    q4 = parse_period("2026-Q4")
    assert (q4.start, q4.end) == (
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    november = parse_period("2026-11")
    assert november.end == datetime(2026, 12, 1, tzinfo=UTC)
    assert november.contains_us(november.start_us)
    assert not november.contains_us(november.end_us)
    span = parse_period(None, "2026-11-03", "2026-11-10")
    assert span.label == "2026-11-03..2026-11-10"


@pytest.mark.parametrize(
    ("period", "start", "end", "message"),
    [
        ("2026-Q5", None, None, "neither a quarter"),
        ("2026-13", None, None, "neither a quarter"),
        (None, "2026-11-03", None, "both --from and --to"),
        ("2026-11", "2026-11-03", "2026-11-04", "not both"),
        (None, "2026-11-31", "2026-12-01", "not a date"),
        (None, "2026-11-10", "2026-11-03", "ends before it starts"),
    ],
)
def test_bad_periods_say_what_to_give(
    period: str | None, start: str | None, end: str | None, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_period(period, start, end)


@given(st.integers(min_value=1971, max_value=2200), st.integers(min_value=1, max_value=12))
def test_consecutive_months_tile_the_quarter(year: int, month: int) -> None:
    this = parse_period(f"{year}-{month:02d}")
    quarter = parse_period(f"{year}-Q{(month - 1) // 3 + 1}")
    assert quarter.start <= this.start < this.end <= quarter.end
    following = parse_period(f"{year + month // 12}-{month % 12 + 1:02d}")
    assert this.end == following.start


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=200))
def test_nearest_rank_has_the_share_at_or_below(values: list[int]) -> None:
    for percent in (50, 90):
        chosen = nearest_rank(values, percent)
        assert chosen in values
        at_or_below = sum(1 for v in values if v <= chosen)
        assert at_or_below * 100 >= percent * len(values)
        below = sum(1 for v in values if v < chosen)
        assert below * 100 < percent * len(values)
    assert nearest_rank([], 50) is None


def test_every_figure_and_its_rule_is_in_the_docs() -> None:
    """docs/transparency.md holds exactly the generated section (scripts/transparency-doc.py)."""
    from pathlib import Path

    from plaudit.reports.figures import DEFINITIONS, definitions_markdown

    text = (Path(__file__).parents[2] / "docs" / "transparency.md").read_text(encoding="utf-8")
    heading = "## The figures, with their exact rules\n\n"
    start = text.index(heading) + len(heading)
    section = text[start : text.index("\n## ", start) + 1]
    assert section == definitions_markdown() + "\n", "run scripts/transparency-doc.py"
    for key, definition in DEFINITIONS.items():
        assert f"### `{key}`" in section, key
        assert definition.rule_en in section, key
        assert definition.rule_zh in section, key
