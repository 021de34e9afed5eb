"""Train / validation / test splits of indexed feedback, per account.

Random (the default): each account's pairs are shuffled with a fixed seed and split 80/10/10;
an account with n >= 3 pairs gets floor(n/10) but at least one pair in validation and in test
(as RecBole's ratio split does), smaller accounts stay wholly in training. Time:
leave-last-out, each account's latest pair is the test pair and the one before it the
validation pair (accounts with fewer than 3 pairs stay in training). Every pair lands in
exactly one part, so nothing leaks from test into training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from plaudit.errors import InvalidInput
from plaudit.recommend.feedback import Indexed

__all__ = ["SPLITS", "Split", "random_split", "split", "time_split"]

SPLITS = ("random", "time")
Rows = NDArray[np.int64]


@dataclass(frozen=True)
class Split:
    """Row numbers (into the Indexed pairs) of each part."""

    train: Rows
    valid: Rows
    test: Rows


def split(data: Indexed, how: str, seed: int) -> Split:
    """The named split of `data` (see the module docstring)."""
    if how == "random":
        return random_split(data, seed)
    if how == "time":
        return time_split(data)
    raise InvalidInput(f"split {how!r} is not one of {', '.join(SPLITS)}", field="split")


def _rank_within_user(users: NDArray[np.int32], order: Rows) -> tuple[Rows, Rows]:
    """For rows visited in `order` (grouped by user), each row's position within its user
    and its user's pair count."""
    grouped = users[order]
    counts = np.bincount(users, minlength=int(users.max()) + 1)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    position = np.arange(len(order)) - starts[grouped]
    return position.astype(np.int64), counts[grouped].astype(np.int64)


def _parts(order: Rows, position: Rows, n_holdout: Rows) -> Split:
    test = position < n_holdout
    valid = (position >= n_holdout) & (position < 2 * n_holdout)
    train = ~(test | valid)
    return Split(np.sort(order[train]), np.sort(order[valid]), np.sort(order[test]))


def random_split(data: Indexed, seed: int) -> Split:
    """Per-account random 80/10/10 with a fixed seed."""
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(len(data.users))
    order = shuffled[np.argsort(data.users[shuffled], kind="stable")].astype(np.int64)
    position, count = _rank_within_user(data.users, order)
    n_holdout = np.where(count >= 3, np.maximum(count // 10, 1), 0)
    return _parts(order, position, n_holdout)


def time_split(data: Indexed) -> Split:
    """Leave-last-out by time: latest pair to test, the one before to validation."""
    if data.ts is None:
        raise InvalidInput(
            "--split time needs a ts column (account_id,video_id,ts); this input has none, "
            "so use --split random",
            field="split",
        )
    newest_first = np.lexsort((-data.ts, data.users)).astype(np.int64)
    position, count = _rank_within_user(data.users, newest_first)
    n_holdout = np.where(count >= 3, 1, 0)
    return _parts(newest_first, position, n_holdout)
