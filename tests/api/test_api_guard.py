"""Property tests of the request guard's body check: the fast path for plain bodies never
lets through what the full walk of the parsed body refuses (issue 17)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaudit.api.guard import _parse_checked, _walk, check_text
from plaudit.errors import InvalidInput
from plaudit.store.types import MAX_ID

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**65), 2**65),
    st.sampled_from([MAX_ID, MAX_ID + 1, -(2**63), -(2**63) - 1, 10**18]),
    st.text(max_size=12),
    st.sampled_from(
        ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-01-01T00:00:00Z"]
    ),
    st.sampled_from(["a\u202eb", "\u0000", "x\u200by", "👨\u200d👩"]),
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=30,
)


def _walk_refuses(value: Any) -> bool:
    """The reference: walk everything (as the guard does when a body is not plain)."""
    try:
        for item, where in _walk(value, "body"):
            if isinstance(item, bool):
                continue
            if isinstance(item, int) and not -(2**63) <= item <= MAX_ID:
                return True
            if isinstance(item, str):
                check_text(item, where)
                if item[:4] in ("0001", "9999") and item[4:5] == "-":
                    return True
    except InvalidInput:
        return True
    return False


@settings(max_examples=400)
@given(_JSON, st.booleans())
def test_the_fast_path_agrees_with_the_full_walk(value: Any, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode()
    expected = _walk_refuses(value)
    if expected:
        with pytest.raises(InvalidInput):
            _parse_checked(body, True)
    else:
        _parse_checked(body, True)
