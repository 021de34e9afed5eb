"""The recommendation engine: implicit-feedback ALS blended with popularity, re-ranked by the
account's category affinity.

score(u, i) = z_u(x_u . y_i) + ease_weight * z_u(x_u B)_i
              + popularity_weight * z(log(1 + likes_i))
              + trend_weight * z(log(1 + recent_likes_i))
              + category_weight * log lift_u(category_i)

- x_u . y_i: alternating least squares for implicit feedback (Hu, Koren and Volinsky 2008)
  from the `implicit` library; z_u standardises it over all videos for that account, so the
  weights below mean the same for every account.
- x_u B: EASE, the closed-form item-item model (Steck 2019, `ease.py`), fitted on the
  `ease_max_items` most-liked videos (the candidate set: its dense inverse is cubic in the
  videos it covers; other videos score 0 there); z_u standardises it over all videos. Item-item
  models win where accounts have long histories over a small catalogue (MovieLens), ALS
  and popularity where histories are short and sparse (KuaiRec); validation chooses the
  blend per data set. Off (and not fitted) when `ease_weight` is 0.
- Popularity: standardised log like count. Popularity is a strong signal in short-video
  feeds (on KuaiRec it beats tuned ALS alone), so the engine keeps it as a feature rather
  than a separate fallback.
- Trend: the same with each like weighted by 2^(-age / half-life) at the newest like's time,
  where times are known. Short-video feeds push new videos, so what is liked now predicts
  the next like better than all-time counts (it decides the leave-last-out split).
- Category affinity (persona-aware re-ranking): lift_u(c) = P(c | u's likes) / P(c | all
  likes), smoothed with `category_prior` pseudo-likes drawn from the platform's mix, the
  same over-indexing (TGI) that persona interest tags are built from. Categories an account
  over-indexes on are boosted, those it ignores pushed down; with few likes the lift stays
  near 1.

The weights are tuned on a validation split by `plaudit strategy eval`; the defaults are
what that tuning chose on the small demo community with the leave-last-out split, the split
that mirrors serving (predict the next like from the past ones); see docs/recommender.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from plaudit.errors import InvalidInput
from plaudit.recommend.ease import EaseWeights, fit_ease

__all__ = ["Engine", "EngineParams", "decayed_counts", "fit_als"]

Scores = NDArray[np.float32]
IterationDone = Callable[[int], None]
_EPS = 1e-6


@dataclass(frozen=True)
class EngineParams:
    """Hyperparameters of the engine (see the module docstring for the formula)."""

    factors: int = 32
    regularization: float = 0.05
    alpha: float = 16.0
    iterations: int = 15
    popularity_weight: float = 0.0
    category_weight: float = 8.0
    category_prior: float = 10.0
    trend_weight: float = 8.0
    trend_half_life_days: float = 7.0
    seed: int = 7
    ease_weight: float = 0.0
    ease_l2: float = 200.0
    ease_max_items: int = 4000


def _standardise(values: NDArray[np.float32], axis: int | None = None) -> NDArray[np.float32]:
    mean = values.mean(axis=axis, keepdims=True)
    std = values.std(axis=axis, keepdims=True)
    result: NDArray[np.float32] = ((values - mean) / (std + _EPS)).astype(np.float32)
    return result


@dataclass(frozen=True)
class Engine:
    """A trained engine: factors, popularity feature and the category mix of all likes."""

    params: EngineParams
    user_factors: NDArray[np.float32]
    item_factors: NDArray[np.float32]
    popularity: NDArray[np.float32]
    item_category: NDArray[np.int16] | None
    category_share: NDArray[np.float64] | None
    trend: NDArray[np.float32] | None = None
    ease: EaseWeights | None = None

    @classmethod
    def train(
        cls,
        matrix: sp.csr_matrix,
        item_category: NDArray[np.int16] | None,
        params: EngineParams,
        on_iteration: IterationDone | None = None,
        recent_likes: NDArray[np.float64] | None = None,
        ease: EaseWeights | None = None,
    ) -> Engine:
        """Fit ALS on the account x video matrix and derive the blend's features
        (`recent_likes`: each video's decayed like count, see `decayed_counts`). EASE is
        fitted when `ease_weight` is not 0, unless `ease` gives it already fitted on the
        same matrix (tuning reuses one fit across ALS settings)."""
        user_factors, item_factors = fit_als(matrix, params, on_iteration)
        return cls.from_factors(
            matrix, item_category, params, (user_factors, item_factors), recent_likes, ease
        )

    @classmethod
    def from_factors(
        cls,
        matrix: sp.csr_matrix,
        item_category: NDArray[np.int16] | None,
        params: EngineParams,
        factors: tuple[NDArray[np.float32], NDArray[np.float32]],
        recent_likes: NDArray[np.float64] | None = None,
        ease: EaseWeights | None = None,
    ) -> Engine:
        """The engine around ALS factors fitted elsewhere (Spark ML on a cluster, say): rows
        of `factors` follow the rows and columns of `matrix`, from which the blend's other
        features are derived exactly as `train` derives them."""
        user_factors, item_factors = factors
        if user_factors.shape != (matrix.shape[0], params.factors) or item_factors.shape != (
            matrix.shape[1],
            params.factors,
        ):
            raise InvalidInput(
                f"ALS factors of shape {user_factors.shape} and {item_factors.shape} do not "
                f"fit a {matrix.shape[0]} x {matrix.shape[1]} matrix with {params.factors} factors"
            )
        counts = np.asarray(matrix.sum(axis=0), dtype=np.float32).ravel()
        return cls(
            params,
            np.ascontiguousarray(user_factors, dtype=np.float32),
            np.ascontiguousarray(item_factors, dtype=np.float32),
            _standardise(np.log1p(counts)),
            item_category,
            _category_share(matrix, item_category),
            _standardise(np.log1p(recent_likes).astype(np.float32))
            if recent_likes is not None
            else None,
            _ease_for(matrix, params, ease),
        )

    def reweighted(
        self,
        popularity_weight: float,
        category_weight: float,
        trend_weight: float = 0.0,
        ease_weight: float = 0.0,
    ) -> Engine:
        """The same factors with other blend weights (tuning needs no refit)."""
        params = replace(
            self.params,
            popularity_weight=popularity_weight,
            category_weight=category_weight,
            trend_weight=trend_weight,
            ease_weight=ease_weight,
        )
        return replace(self, params=params)

    def scores(self, users: NDArray[np.int64], seen: sp.csr_matrix) -> Scores:
        """Blend scores of every video for a batch of known accounts (`seen`: their likes)."""
        factors = np.asarray(self.user_factors[users], dtype=np.float32)
        scores = factors @ self.item_factors.T
        # z_u without two passes over every video: the mean and variance of x_u . y_i over
        # videos are x_u . mean(y) and x_u' cov(y) x_u, from the item factors' moments
        mean, cov = self._item_moments
        centre = factors.astype(np.float64) @ mean
        spread = np.sqrt(np.einsum("bf,fg,bg->b", factors, cov, factors).clip(min=0)) + _EPS
        scores -= centre.astype(np.float32)[:, None]
        scores /= spread.astype(np.float32)[:, None]
        scores += self._static_terms
        if self.params.ease_weight and self.ease is not None:
            item_item = self.ease.scores(seen, scores.shape[1])
            scores += self.params.ease_weight * _standardise(item_item, axis=1)
        if self.params.category_weight and self.item_category is not None:
            scores += self.params.category_weight * self.category_boost(seen)
        return scores

    @cached_property
    def _item_moments(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Mean and (population) covariance of the item factors."""
        items = self.item_factors.astype(np.float64)
        mean = items.mean(axis=0)
        centred = items - mean
        cov: NDArray[np.float64] = centred.T @ centred / max(len(items), 1)
        return mean, cov

    @cached_property
    def _static_terms(self) -> Scores:
        """The part of every account's score that does not depend on the account."""
        static = self.params.popularity_weight * self.popularity
        if self.params.trend_weight and self.trend is not None:
            static = static + self.params.trend_weight * self.trend
        result: Scores = np.asarray(static, dtype=np.float32)
        return result

    def category_boost(self, seen: sp.csr_matrix) -> Scores:
        """log lift of each video's category for each row of `seen` (0 for no category)."""
        assert self.item_category is not None
        assert self.category_share is not None
        per_category = np.asarray((seen @ self._category_onehot).todense(), dtype=np.float64)
        lift = self.log_lift(per_category)
        padded = np.concatenate([lift, np.zeros((lift.shape[0], 1))], axis=1)
        return padded[:, self._category_column].astype(np.float32)

    @cached_property
    def _category_onehot(self) -> sp.csr_matrix:
        """video x category indicator matrix (videos without a category have no entry)."""
        assert self.item_category is not None
        assert self.category_share is not None
        known = self.item_category >= 0
        return sp.csr_matrix(
            (
                np.ones(int(known.sum()), dtype=np.float64),
                (np.flatnonzero(known), self.item_category[known]),
            ),
            shape=(len(self.item_category), len(self.category_share)),
        )

    @cached_property
    def _category_column(self) -> NDArray[np.intp]:
        """Each video's category, or the extra all-zero column for videos without one."""
        assert self.item_category is not None
        assert self.category_share is not None
        known = self.item_category >= 0
        return np.where(known, self.item_category, len(self.category_share)).astype(np.intp)

    def log_lift(self, per_category: NDArray[np.float64]) -> NDArray[np.float64]:
        """Smoothed log lift of category counts (rows: accounts) over the platform's mix."""
        assert self.category_share is not None
        share = np.maximum(self.category_share, _EPS)
        prior = self.params.category_prior
        total = per_category.sum(axis=1, keepdims=True)
        own = (per_category + prior * share) / (total + prior)
        result: NDArray[np.float64] = np.log(own / share)
        return result


def fit_als(
    matrix: sp.csr_matrix, params: EngineParams, on_iteration: IterationDone | None = None
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Implicit-feedback ALS (Hu, Koren and Volinsky 2008) with the `implicit` library:
    (account factors, video factors), rows following `matrix`. implicit weighs a like with
    confidence `alpha` (its matrix times alpha), the paper with 1 + alpha."""
    callback = (lambda i, _s, _l: on_iteration(i + 1)) if on_iteration else None
    # implicit's solver parallelises itself; a BLAS thread pool inside it only slows it
    # down (implicit warns at construction), so BLAS runs single-threaded here.
    with threadpool_limits(1, "blas"):
        als = AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            alpha=params.alpha,
            iterations=params.iterations,
            random_state=params.seed,
            num_threads=0,
        )
        als.fit(matrix, show_progress=False, callback=callback)
    return (
        np.ascontiguousarray(als.user_factors, dtype=np.float32),
        np.ascontiguousarray(als.item_factors, dtype=np.float32),
    )


def _ease_for(
    matrix: sp.csr_matrix, params: EngineParams, fitted: EaseWeights | None
) -> EaseWeights | None:
    if not params.ease_weight:
        return None
    return fitted or fit_ease(matrix, params.ease_l2, params.ease_max_items)


def _category_share(
    matrix: sp.csr_matrix, item_category: NDArray[np.int16] | None
) -> NDArray[np.float64] | None:
    """Share of all likes that went to each category (None when categories are unknown)."""
    if item_category is None or not (item_category >= 0).any():
        return None
    counts = np.asarray(matrix.sum(axis=0), dtype=np.float64).ravel()
    known = item_category >= 0
    per_category = np.bincount(
        item_category[known], weights=counts[known], minlength=int(item_category.max()) + 1
    )
    share: NDArray[np.float64] = per_category / max(per_category.sum(), 1.0)
    return share


def decayed_counts(
    items: NDArray[np.int32], ts: NDArray[np.float64], n_items: int, half_life_days: float
) -> NDArray[np.float64]:
    """Each item's likes weighted by 2^(-age / half-life), ages taken at the newest like."""
    if len(ts) == 0:
        return np.zeros(n_items)
    age_days = (ts.max() - ts) / 86400.0
    weights = np.exp2(-age_days / half_life_days)
    counts: NDArray[np.float64] = np.bincount(items, weights=weights, minlength=n_items).astype(
        np.float64
    )
    return counts
