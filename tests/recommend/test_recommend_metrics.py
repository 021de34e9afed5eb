"""Recall@k and NDCG@k: hand-computed cases, properties, and the vectorised form used by the
evaluation agreeing with the one-list form."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from plaudit.recommend.metrics import hits_matrix, mean_metrics, ndcg_at_k, recall_at_k
from plaudit.recommend.ranking import exclude_seen, top_k


def test_recall_counts_hits_over_the_smaller_of_k_and_relevant() -> None:
    assert recall_at_k([5, 1, 9, 3], {1, 3, 7}, 4) == pytest.approx(2 / 3)
    assert recall_at_k([5, 1], {1, 3, 7}, 2) == pytest.approx(1 / 2)  # min(k=2, 3) = 2
    assert recall_at_k([5, 6], {1}, 2) == 0.0
    assert recall_at_k([1, 2], set(), 2) == 0.0


def test_ndcg_by_hand() -> None:
    # one relevant item at rank 2: DCG = 1/log2(3); ideal = 1/log2(2) = 1
    assert ndcg_at_k([4, 7, 9], {7}, 3) == pytest.approx(1 / math.log2(3))
    # hits at ranks 1 and 3 of two relevant: (1 + 1/2) / (1 + 1/log2(3))
    expected = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k([1, 5, 2], {1, 2}, 3) == pytest.approx(expected)
    # a hit below k does not count
    assert ndcg_at_k([5, 6, 1], {1}, 2) == 0.0


lists = st.lists(st.integers(0, 30), min_size=0, max_size=20, unique=True)
relevant_sets = st.sets(st.integers(0, 30), min_size=1, max_size=10)


@given(ranked=lists, relevant=relevant_sets, k=st.integers(1, 15))
def test_metrics_lie_in_unit_interval(ranked: list[int], relevant: set[int], k: int) -> None:
    assert 0.0 <= recall_at_k(ranked, relevant, k) <= 1.0
    assert 0.0 <= ndcg_at_k(ranked, relevant, k) <= 1.0 + 1e-12


@given(relevant=relevant_sets, k=st.integers(1, 15), extra=lists)
def test_a_perfect_ranking_scores_one(relevant: set[int], k: int, extra: list[int]) -> None:
    ranked = sorted(relevant) + [i for i in extra if i not in relevant]
    assert recall_at_k(ranked, relevant, k) == pytest.approx(1.0)
    assert ndcg_at_k(ranked, relevant, k) == pytest.approx(1.0)


@given(
    rows=st.lists(st.tuples(st.permutations(list(range(12))), relevant_sets), min_size=1,
                  max_size=6),
    k=st.integers(1, 12),
)  # fmt: skip
def test_vectorised_means_equal_the_mean_of_single_lists(
    rows: list[tuple[list[int], set[int]]], k: int
) -> None:
    relevant_rows = [{i for i in rel if i < 12} or {0} for _, rel in rows]
    top = np.array([ranked[:k] for ranked, _ in rows], dtype=np.int64)
    truth = sp.lil_matrix((len(rows), 12))
    for r, rel in enumerate(relevant_rows):
        for item in rel:
            truth[r, item] = 1
    truth = truth.tocsr()
    recall, ndcg = mean_metrics(hits_matrix(top, truth), np.diff(truth.indptr), k)
    singles = [(ranked, rel) for (ranked, _), rel in zip(rows, relevant_rows, strict=True)]
    assert recall == pytest.approx(np.mean([recall_at_k(r, s, k) for r, s in singles]))
    assert ndcg == pytest.approx(np.mean([ndcg_at_k(r, s, k) for r, s in singles]))


def test_top_k_is_best_first_and_never_picks_excluded_items() -> None:
    scores = np.array([[0.1, 0.9, 0.5, 0.7], [3.0, 2.0, 1.0, 0.0]], dtype=np.float32)
    seen = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 0, 0]], dtype=np.float32))
    exclude_seen(scores, seen)
    assert top_k(scores, 2).tolist() == [[3, 2], [1, 2]]
