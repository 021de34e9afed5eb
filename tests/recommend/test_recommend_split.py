"""Splits: every pair in exactly one part, the documented proportions, no leakage, seen
videos excluded from what is measured, and precise errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from plaudit.errors import InvalidInput
from plaudit.recommend import Feedback, split
from plaudit.recommend.evaluate import measure
from plaudit.recommend.models import TrainingData

from .conftest import planted_tastes


def _pairs(data_rows: np.ndarray, users: np.ndarray, items: np.ndarray) -> set[tuple[int, int]]:
    return {(int(users[r]), int(items[r])) for r in data_rows}


def test_random_split_partitions_each_account_80_10_10() -> None:
    data = planted_tastes()[0].index()
    parts = split(data, "random", seed=1)
    everything = np.concatenate([parts.train, parts.valid, parts.test])
    assert sorted(everything.tolist()) == list(range(len(data.users)))  # each pair once
    per_user = np.bincount(data.users)
    assert (np.bincount(data.users[parts.test], minlength=data.n_users) == per_user // 10).all()
    assert (np.bincount(data.users[parts.valid], minlength=data.n_users) == per_user // 10).all()
    train, test = (_pairs(p, data.users, data.items) for p in (parts.train, parts.test))
    assert not train & test


def test_random_split_is_fixed_by_the_seed() -> None:
    data = planted_tastes()[0].index()
    assert split(data, "random", 4).test.tolist() == split(data, "random", 4).test.tolist()
    assert split(data, "random", 4).test.tolist() != split(data, "random", 5).test.tolist()


def test_small_accounts_keep_one_pair_per_holdout_or_stay_in_training() -> None:
    feedback = Feedback(np.array([1, 1, 1, 2, 2]), np.array([10, 11, 12, 10, 11]))
    data = feedback.index()
    parts = split(data, "random", 0)
    assert np.bincount(data.users[parts.test], minlength=2).tolist() == [1, 0]
    assert np.bincount(data.users[parts.valid], minlength=2).tolist() == [1, 0]


def test_time_split_leaves_the_latest_pair_out() -> None:
    feedback = Feedback(
        np.array([1, 1, 1, 1, 2, 2, 2]),
        np.array([10, 11, 12, 13, 10, 11, 12]),
        np.array([5.0, 9.0, 1.0, 7.0, 3.0, 2.0, 1.0]),
    )
    data = feedback.index()
    parts = split(data, "time", 0)
    test = sorted(zip(data.account_ids[data.users[parts.test]].tolist(),
                      data.video_ids[data.items[parts.test]].tolist(), strict=True))  # fmt: skip
    valid = sorted(zip(data.account_ids[data.users[parts.valid]].tolist(),
                       data.video_ids[data.items[parts.valid]].tolist(), strict=True))  # fmt: skip
    assert test == [(1, 11), (2, 10)]
    assert valid == [(1, 13), (2, 11)]


def test_time_split_without_ts_says_so() -> None:
    data = Feedback(np.array([1, 1, 1]), np.array([1, 2, 3])).index()
    with pytest.raises(InvalidInput, match="needs a ts column"):
        split(data, "time", 0)


def test_unknown_split_is_rejected() -> None:
    data = Feedback(np.array([1]), np.array([1])).index()
    with pytest.raises(InvalidInput, match="not one of random, time"):
        split(data, "by-day", 0)


def test_duplicate_pairs_count_once_with_their_first_time() -> None:
    feedback = Feedback(np.array([1, 1, 1]), np.array([5, 5, 6]), np.array([9.0, 2.0, 4.0]))
    data = feedback.index()
    assert len(data.users) == 2
    assert sorted(data.ts.tolist()) == [2.0, 4.0]  # type: ignore[union-attr]


class _SeenFirst:
    """A cheating model that ranks the account's training videos highest."""

    def fit(self, data: TrainingData) -> None: ...

    def scores(self, users: np.ndarray, seen: sp.csr_matrix) -> np.ndarray:
        return np.asarray(seen.todense(), dtype=np.float32) * 100.0


def test_seen_videos_are_excluded_from_the_ranking() -> None:
    # account 0 liked video 0 in training; test holds video 0 again (a leak) and video 1
    train = sp.csr_matrix(np.array([[1, 0, 0, 0]], dtype=np.float32))
    truth = sp.csr_matrix(np.array([[1, 1, 0, 0]], dtype=np.float32))
    from plaudit.recommend.evaluate import _Stage

    recall, _ = measure(_SeenFirst(), _Stage(TrainingData(train), truth))
    # video 0 can never be recommended, so at most video 1 is found within the top 10
    assert recall == pytest.approx(0.5)
