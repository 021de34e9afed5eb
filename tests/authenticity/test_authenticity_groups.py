"""The farm detector's groups: each account judged in one device (or network) group."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from plaudit.authenticity.groups import _group_of


def _group_by_sorted_pairs(account: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    """The first definition: every distinct (account, code) pair sorted, each account taking
    the code of its last pair."""
    has = codes >= 0
    keys = np.unique(account[has].astype(np.int64) << 32 | codes[has].astype(np.int64))
    group_of = np.full(n, -1, dtype=np.int64)
    for key in keys.tolist():
        group_of[key >> 32] = key & 0xFFFFFFFF
    return group_of


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 20), st.integers(-1, 2**31 - 1) | st.integers(-1, 6)),
        max_size=120,
    )
)
def test_each_account_is_in_the_group_the_sorted_pairs_gave_it(
    likes: list[tuple[int, int]],
) -> None:
    """Accounts with no code stay out (-1); an account seen with several devices is in one
    group, the same as the sort of (account, code) pairs put it in."""
    account = np.array([a for a, _ in likes], dtype=np.int32)
    codes = np.array([c for _, c in likes], dtype=np.int32)
    assert np.array_equal(_group_of(account, codes, 21), _group_by_sorted_pairs(account, codes, 21))
