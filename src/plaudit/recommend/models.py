"""The models the evaluation compares: popularity, item-kNN, EASE and the engine.

Every model learns from a binary account x video matrix (plus, where known, each video's
category) and scores every video for a batch of accounts; ranking and exclusion of seen
videos happen outside (`ranking.py`), the same way for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from plaudit.recommend.ease import EaseWeights, fit_ease
from plaudit.recommend.engine import Engine, EngineParams

__all__ = ["Ease", "ItemKNN", "Model", "Popularity", "TrainingData", "engine_model"]

Scores = NDArray[np.float32]


@dataclass(frozen=True)
class TrainingData:
    """What a model learns from: the account x video matrix, each video's category number
    (-1 unknown; None when no video has one) and decayed like count (None without times)."""

    matrix: sp.csr_matrix
    item_category: NDArray[np.int16] | None = None
    recent_likes: NDArray[np.float64] | None = None


class Model(Protocol):
    """A recommender under evaluation."""

    def fit(self, data: TrainingData) -> None: ...

    def scores(self, users: NDArray[np.int64], seen: sp.csr_matrix) -> Scores:
        """Scores of every video (columns) for `users`; `seen` holds their training rows."""
        ...


class Popularity:
    """Most-liked first: the non-personalised baseline and the cold-start fallback."""

    def __init__(self) -> None:
        self.counts = np.zeros(0, dtype=np.float32)

    def fit(self, data: TrainingData) -> None:
        self.counts = np.asarray(data.matrix.sum(axis=0), dtype=np.float32).ravel()

    def scores(self, users: NDArray[np.int64], seen: sp.csr_matrix) -> Scores:
        return np.broadcast_to(self.counts, (len(users), len(self.counts))).copy()


class ItemKNN:
    """Item-based k-nearest neighbours on cosine similarity (Sarwar et al. 2001): a video
    scores the summed similarity to the videos the account liked. `neighbours` keeps each
    video's most similar videos only; 0 keeps them all."""

    def __init__(self, neighbours: int = 100) -> None:
        self.neighbours = neighbours
        self.similarity = sp.csr_matrix((0, 0), dtype=np.float32)

    def fit(self, data: TrainingData) -> None:
        matrix = data.matrix.astype(np.float32)
        norms = np.sqrt(np.asarray(matrix.sum(axis=0), dtype=np.float32).ravel())
        scaled = matrix @ sp.diags(1.0 / np.maximum(norms, 1e-6)).astype(np.float32)
        similarity = (scaled.T @ scaled).tocsr()
        similarity.setdiag(0.0)
        similarity.eliminate_zeros()
        self.similarity = _keep_top(similarity, self.neighbours) if self.neighbours else similarity

    def scores(self, users: NDArray[np.int64], seen: sp.csr_matrix) -> Scores:
        product = seen.astype(np.float32) @ self.similarity
        return np.asarray(product.todense(), dtype=np.float32)


def _keep_top(similarity: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Each row's k largest entries (ties broken arbitrarily)."""
    keep = np.ones(similarity.nnz, dtype=bool)
    for row in np.flatnonzero(np.diff(similarity.indptr) > k):
        start, end = similarity.indptr[row], similarity.indptr[row + 1]
        drop = np.argpartition(-similarity.data[start:end], k)[k:]
        keep[start + drop] = False
    rows = np.repeat(np.arange(similarity.shape[0]), np.diff(similarity.indptr))
    return sp.csr_matrix(
        (similarity.data[keep], (rows[keep], similarity.indices[keep])), shape=similarity.shape
    )


class Ease:
    """EASE on the whole catalogue (`max_items` 0) or its most-liked videos (`ease.py`)."""

    def __init__(self, l2: float, max_items: int = 0, fitted: EaseWeights | None = None) -> None:
        self.l2 = l2
        self.max_items = max_items
        self.weights = fitted

    def fit(self, data: TrainingData) -> None:
        self.weights = fit_ease(data.matrix, self.l2, self.max_items)

    def scores(self, users: NDArray[np.int64], seen: sp.csr_matrix) -> Scores:
        assert self.weights is not None, "fit first"
        return self.weights.scores(seen, seen.shape[1])


class EngineModel:
    """The engine (ALS + popularity + category affinity) under the Model protocol."""

    def __init__(self, params: EngineParams) -> None:
        self.params = params
        self.engine: Engine | None = None

    def fit(self, data: TrainingData) -> None:
        self.engine = Engine.train(
            data.matrix, data.item_category, self.params, recent_likes=data.recent_likes
        )

    def scores(self, users: NDArray[np.int64], seen: sp.csr_matrix) -> Scores:
        assert self.engine is not None, "fit first"
        return self.engine.scores(users, seen)


def engine_model(params: EngineParams) -> EngineModel:
    return EngineModel(params)
