"""Answer one request from a loaded model: score, exclude, pick the top (no database here).

Kept apart from the service so the benchmark can time exactly the work a request does on
precomputed factors.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import ThreadpoolController

from plaudit.catalog.categories import CATEGORIES
from plaudit.recommend.artifacts import TrainedModel
from plaudit.recommend.ranking import top_k
from plaudit.recommend.results import CreatorRecommendation, Recommendation

__all__ = ["Ranker"]

Scores = NDArray[np.float32]


class Ranker:
    """A trained model plus the lookups requests need, built once per loaded model."""

    def __init__(self, model: TrainedModel) -> None:
        self.model = model
        item_category = model.engine.item_category
        names = [c.id for c in CATEGORIES]
        self._category_names: list[str | None] = (
            [names[c] if 0 <= c < len(names) else None for c in item_category.tolist()]
            if item_category is not None
            else [None] * len(model.video_ids)
        )
        self._by_creator = np.argsort(model.creators, kind="stable")
        grouped = model.creators[self._by_creator]
        self._starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
        self._creator_ids = grouped[self._starts]
        self._blas = ThreadpoolController()

    def personal(self, account_id: int) -> Scores | None:
        """Engine scores of every video for the account, None when it has no likes in the
        model (cold start)."""
        row = self.model.user_of(account_id)
        if row is None:
            return None
        seen = self.model.seen[row]
        if seen.nnz == 0:
            return None
        # One account's scores are a matrix-vector product: BLAS threads only add hand-off
        # cost, and on a busy server 10x latency (measured, benchmarks/strategy.py).
        with self._blas.limit(limits=1, user_api="blas"):
            scores: Scores = self.model.engine.scores(np.array([row]), seen)[0]
        return scores

    def popular(self) -> Scores:
        """Like counts as scores: the non-personalised ranking."""
        return np.array(self.model.like_counts, dtype=np.float32)

    def videos(
        self, scores: Scores, account_id: int, liked: NDArray[np.int64], limit: int
    ) -> list[Recommendation]:
        """The best `limit` videos the account has not liked and did not make (`scores` is
        overwritten)."""
        row = self.model.user_of(account_id)
        if row is not None:
            scores[self.model.seen[row].indices] = -np.inf
        scores[self.model.columns_of(liked)] = -np.inf
        scores[self.model.creators == account_id] = -np.inf
        picked = top_k(scores[None, :], limit)[0]
        return [
            Recommendation(
                int(self.model.video_ids[i]),
                int(self.model.creators[i]),
                self._category_names[i],
                float(scores[i]),
            )
            for i in picked
            if np.isfinite(scores[i])
        ]

    def creators(
        self,
        scores: Scores,
        account_id: int,
        followed: NDArray[np.int64],
        limit: int,
        total: bool = False,
    ) -> list[CreatorRecommendation]:
        """The best `limit` creators the account does not follow: a creator scores its best
        video (or, with `total`, the sum over its videos: total likes for popularity)."""
        ordered = scores[self._by_creator]
        reduce = np.add if total else np.maximum
        per_creator = reduce.reduceat(ordered, self._starts).astype(np.float32)
        per_creator[np.isin(self._creator_ids, followed)] = -np.inf
        per_creator[self._creator_ids == account_id] = -np.inf
        picked = top_k(per_creator[None, :], limit)[0]
        return [
            self._creator(int(c), scores, float(per_creator[c]))
            for c in picked
            if np.isfinite(per_creator[c])
        ]

    def _creator(self, group: int, scores: Scores, score: float) -> CreatorRecommendation:
        start = self._starts[group]
        end = self._starts[group + 1] if group + 1 < len(self._starts) else len(self._by_creator)
        columns = self._by_creator[start:end]
        best = columns[int(np.argmax(scores[columns]))]
        return CreatorRecommendation(
            int(self._creator_ids[group]), int(self.model.video_ids[best]), score
        )
