"""Top-k selection over full score rows, with already-seen items excluded."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

__all__ = ["exclude_seen", "top_k"]


def exclude_seen(scores: NDArray[np.float32], seen: sp.csr_matrix) -> None:
    """Set the scores of seen items (nonzeros of `seen`, one row per score row) to -inf."""
    rows = np.repeat(np.arange(seen.shape[0]), np.diff(seen.indptr))
    scores[rows, seen.indices] = -np.inf


def top_k(scores: NDArray[np.float32], k: int) -> NDArray[np.int64]:
    """Column numbers of the k best scores of each row, best first (-inf never chosen unless a
    row has fewer than k finite scores, in which case those columns come last)."""
    k = min(k, scores.shape[1])
    if k == 0:
        return np.empty((scores.shape[0], 0), dtype=np.int64)
    n = scores.shape[1]
    part = np.argpartition(scores, n - k, axis=1)[:, n - k :]
    picked = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-picked, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1).astype(np.int64)
