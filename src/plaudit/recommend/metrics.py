"""Recall@k and NDCG@k of ranked lists against held-out relevant items (binary relevance).

Recall@k = hits in the top k / min(k, number relevant), so a perfect list scores 1 even
when more than k items are relevant. NDCG@k = DCG / ideal DCG with gains 1/log2(rank + 1)
(Jarvelin and Kekalainen 2002), the ideal placing min(k, relevant) hits first. Both are
averaged over accounts with at least one relevant item.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

__all__ = ["hits_matrix", "mean_metrics", "ndcg_at_k", "recall_at_k"]


def _discounts(k: int) -> NDArray[np.float64]:
    return 1.0 / np.log2(np.arange(2, k + 2))


def recall_at_k(ranked: list[int] | NDArray[np.int64], relevant: set[int], k: int) -> float:
    """Recall@k of one ranked list (0.0 when nothing is relevant)."""
    if not relevant:
        return 0.0
    hits = sum(1 for item in list(ranked)[:k] if item in relevant)
    return hits / min(k, len(relevant))


def ndcg_at_k(ranked: list[int] | NDArray[np.int64], relevant: set[int], k: int) -> float:
    """NDCG@k of one ranked list (0.0 when nothing is relevant)."""
    if not relevant:
        return 0.0
    discounts = _discounts(k)
    dcg = sum(discounts[i] for i, item in enumerate(list(ranked)[:k]) if item in relevant)
    ideal = discounts[: min(k, len(relevant))].sum()
    return float(dcg / ideal)


def hits_matrix(top: NDArray[np.int64], truth: sp.csr_matrix) -> NDArray[np.bool_]:
    """hits[u, r] = the item at rank r of row u is in row u of `truth` (vectorised)."""
    rows = np.repeat(np.arange(top.shape[0]), top.shape[1])
    return np.asarray(truth[rows, top.ravel()]).reshape(top.shape) > 0


def mean_metrics(
    hits: NDArray[np.bool_], relevant: NDArray[np.int64], k: int
) -> tuple[float, float]:
    """(mean Recall@k, mean NDCG@k) over rows with relevant > 0."""
    keep = relevant > 0
    hits, relevant = hits[keep, :k], relevant[keep]
    if len(relevant) == 0:
        return 0.0, 0.0
    cap = np.minimum(relevant, k)
    discounts = _discounts(k)[: hits.shape[1]]
    recall = hits.sum(axis=1) / cap
    ideal = np.cumsum(_discounts(k))[cap - 1]
    ndcg = (hits * discounts).sum(axis=1) / ideal
    return float(recall.mean()), float(ndcg.mean())
