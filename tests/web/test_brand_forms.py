"""The brand pages' own parsing: yuan typed in the wizard to integer fen, and the segment
builder's "apply the fix" expression."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.errors import InvalidInput
from plaudit.web.pages.brand import _fixed, _yuan


@given(st.integers(min_value=1, max_value=10**12))
def test_yuan_typed_with_two_decimals_is_the_same_fen(fen: int) -> None:
    assert _yuan(f"{fen // 100}.{fen % 100:02d}", "budget") == fen


@given(st.integers(min_value=1, max_value=10**9))
def test_whole_yuan_are_a_hundred_fen(yuan: int) -> None:
    assert _yuan(f" {yuan} ", "reward") == yuan * 100


@pytest.mark.parametrize("text", ["", "abc", "0", "-5", "12.345", "NaN", "Infinity", "1e-3"])
def test_amounts_that_are_not_money_name_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        _yuan(text, "budget")
    assert raised.value.detail.startswith("budget:")


def test_the_fix_replaces_the_word_at_the_column() -> None:
    detail = "unknown tag 'gendre' at column 28; did you mean 'gender'?"
    expression = "city_tier in (1, new1) and gendre = female"
    assert _fixed(expression, 28, detail) == "city_tier in (1, new1) and gender = female"
    detail = "unknown city_tier 'tier1' at column 15; did you mean '1'?"
    assert _fixed("city_tier in (tier1)", 15, detail) == "city_tier in (1)"


def test_no_suggestion_no_fix() -> None:
    assert _fixed("age in 35..25", 8, "empty range 35..25 at column 8") is None
