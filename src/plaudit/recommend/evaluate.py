"""Offline evaluation: split, tune on validation, report Recall@10 and NDCG@10 on test.

Protocol (docs/recommender.md): full ranking over every video in the data, videos the
account liked in training excluded. Each model's hyperparameters are chosen on the
validation part with the model fitted on the training part; the chosen model is then refitted
on training + validation and measured on test, its training time being that final fit.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from plaudit.recommend.ease import EaseWeights, fit_ease, fit_ease_path
from plaudit.recommend.engine import Engine, EngineParams, decayed_counts
from plaudit.recommend.feedback import Feedback, Indexed, ItemCategories
from plaudit.recommend.metrics import hits_matrix, mean_metrics
from plaudit.recommend.models import (
    Ease,
    ItemKNN,
    Model,
    Popularity,
    TrainingData,
    engine_model,
)
from plaudit.recommend.ranking import exclude_seen, top_k
from plaudit.recommend.split import Split, split
from plaudit.recommend.training import FitFactors

__all__ = [
    "EvalReport",
    "K",
    "ModelResult",
    "TuningGrid",
    "evaluate",
    "evaluate_training",
    "measure",
]

K = 10


@dataclass(frozen=True)
class TuningGrid:
    """The hyperparameters validation chooses from."""

    als: tuple[tuple[int, float, float], ...] = (
        (64, 1.0, 1.0),
        (64, 0.05, 4.0),
        (32, 0.05, 16.0),
    )
    """(factors, regularization, alpha) tried for the engine's ALS."""
    popularity_weights: tuple[float, ...] = (0.0, 1.0, 4.0, 8.0, 16.0)
    category_weights: tuple[float, ...] = (0.0, 2.0, 4.0, 8.0, 16.0)
    trend_weights: tuple[float, ...] = (0.0, 2.0, 8.0)
    """Tried only when the data has times."""
    neighbours: tuple[int, ...] = (50, 200, 0)
    """item-kNN neighbours per video (0: all)."""
    ease_l2s: tuple[float, ...] = (20.0, 100.0, 500.0, 2500.0)
    """EASE's L2 weight; the engine's EASE term uses the one the baseline chose."""
    ease_weights: tuple[float, ...] = (0.0, 1.0, 4.0, 16.0)
    """The engine's EASE term (16 is nearly EASE alone, the other terms breaking ties)."""


_SCORES_PER_BATCH = 4_000_000

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ModelResult:
    """Test-set figures of one model and the hyperparameters validation chose."""

    recall: float
    ndcg: float
    train_seconds: float
    valid_recall: float | None
    """None when nothing was chosen on validation (fixed parameters)."""
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            f"recall@{K}": round(self.recall, 6),
            f"ndcg@{K}": round(self.ndcg, 6),
            "train_seconds": round(self.train_seconds, 3),
            f"valid_recall@{K}": None if self.valid_recall is None else round(self.valid_recall, 6),
            "params": self.params,
        }


@dataclass(frozen=True)
class EvalReport:
    """What `plaudit strategy eval` prints."""

    split: str
    seed: int
    accounts: int
    videos: int
    pairs: int
    test_accounts: int
    models: dict[str, ModelResult]

    def as_json(self) -> dict[str, Any]:
        return {
            "models": {name: result.as_json() for name, result in self.models.items()},
            "split": self.split,
            "seed": self.seed,
            "k": K,
            "accounts": self.accounts,
            "videos": self.videos,
            "pairs": self.pairs,
            "test_accounts": self.test_accounts,
        }


@dataclass(frozen=True)
class _Stage:
    """One fit/measure stage: learn from `train`, measure on `truth`."""

    train: TrainingData
    truth: sp.csr_matrix


def _batches(users: NDArray[np.int64], n_items: int) -> Iterator[NDArray[np.int64]]:
    size = max(1, _SCORES_PER_BATCH // max(n_items, 1))
    for start in range(0, len(users), size):
        yield users[start : start + size]


def measure(model: Model, stage: _Stage) -> tuple[float, float]:
    """(Recall@K, NDCG@K) of a fitted model over accounts with something in `truth`."""
    truth, seen_all = stage.truth, stage.train.matrix
    users = np.flatnonzero(np.diff(truth.indptr) > 0).astype(np.int64)
    recall_sum = ndcg_sum = 0.0
    for batch in _batches(users, truth.shape[1]):
        seen = seen_all[batch]
        scores = model.scores(batch, seen)
        exclude_seen(scores, seen)
        rows = truth[batch]
        top = top_k(scores, K)
        # with fewer than K unseen videos, excluded ones fill the end of the list: no credit
        hits = hits_matrix(top, rows) & np.isfinite(np.take_along_axis(scores, top, axis=1))
        recall, ndcg = mean_metrics(hits, np.diff(rows.indptr), K)
        recall_sum += recall * len(batch)
        ndcg_sum += ndcg * len(batch)
    return (recall_sum / len(users), ndcg_sum / len(users)) if len(users) else (0.0, 0.0)


def _stages(
    data: Indexed, parts: Split, categories: NDArray[np.int16] | None
) -> tuple[_Stage, _Stage]:
    def learn_from(rows: NDArray[np.int64]) -> TrainingData:
        recent = None
        if data.ts is not None:
            half_life = EngineParams().trend_half_life_days
            recent = decayed_counts(data.items[rows], data.ts[rows], data.n_items, half_life)
        return TrainingData(data.matrix(rows), categories, recent)

    both = np.concatenate([parts.train, parts.valid])
    tuning = _Stage(learn_from(parts.train), data.matrix(parts.valid))
    final = _Stage(learn_from(both), data.matrix(parts.test))
    return tuning, final


def _final(
    make: Callable[[], Model], final: _Stage, valid_recall: float, params: dict[str, Any]
) -> ModelResult:
    model = make()
    started = time.perf_counter()
    model.fit(final.train)
    seconds = time.perf_counter() - started
    recall, ndcg = measure(model, final)
    return ModelResult(recall, ndcg, seconds, valid_recall, params)


def _popularity(tuning: _Stage, final: _Stage) -> ModelResult:
    model = Popularity()
    model.fit(tuning.train)
    valid_recall, _ = measure(model, tuning)
    return _final(Popularity, final, valid_recall, {})


def _item_knn(tuning: _Stage, final: _Stage, grid: TuningGrid) -> ModelResult:
    best = (-1.0, grid.neighbours[0])
    for neighbours in grid.neighbours:
        model = ItemKNN(neighbours)
        model.fit(tuning.train)
        best = max(best, (measure(model, tuning)[0], neighbours))
    return _final(lambda: ItemKNN(best[1]), final, best[0], {"neighbours": best[1]})


def _ease(tuning: _Stage, final: _Stage, grid: TuningGrid) -> ModelResult:
    best = (-1.0, grid.ease_l2s[0])
    path = fit_ease_path(tuning.train.matrix, grid.ease_l2s)
    for l2, weights in zip(grid.ease_l2s, path, strict=True):
        best = max(best, (measure(Ease(l2, fitted=weights), tuning)[0], l2))
    return _final(lambda: Ease(best[1]), final, best[0], {"l2": best[1]})


def _tune_engine(
    tuning: _Stage, grid: TuningGrid, progress: Progress, ease_l2: float
) -> tuple[float, EngineParams]:
    cap = EngineParams().ease_max_items
    progress(f"engine: EASE on the {cap} most-liked videos, L2 {ease_l2}")
    ease: EaseWeights = fit_ease(tuning.train.matrix, ease_l2, cap)
    has_categories = tuning.train.item_category is not None and bool(
        (tuning.train.item_category >= 0).any()
    )
    category_weights = grid.category_weights if has_categories else (0.0,)
    trend_weights = grid.trend_weights if tuning.train.recent_likes is not None else (0.0,)
    best: tuple[float, EngineParams] = (-1.0, EngineParams())
    for factors, regularization, alpha in grid.als:
        progress(f"engine: ALS {factors} factors, reg {regularization}, alpha {alpha}")
        params = EngineParams(
            factors=factors,
            regularization=regularization,
            alpha=alpha,
            ease_weight=1.0,
            ease_l2=ease_l2,
        )
        train = tuning.train
        engine = Engine.train(
            train.matrix,
            train.item_category,
            params,
            recent_likes=train.recent_likes,
            ease=ease,
        )
        weights = itertools.product(
            grid.popularity_weights, category_weights, trend_weights, grid.ease_weights
        )
        for popularity_weight, category_weight, trend_weight, ease_weight in weights:
            blend = _Fitted(
                engine.reweighted(popularity_weight, category_weight, trend_weight, ease_weight)
            )
            recall = measure(blend, tuning)[0]
            if recall > best[0]:
                best = (recall, blend.engine.params)
    return best


@dataclass
class _Fitted:
    """An already-trained engine under the Model protocol (fit is a no-op)."""

    engine: Engine

    def fit(self, data: TrainingData) -> None:
        return None

    def scores(self, users: NDArray[np.int64], seen: sp.csr_matrix) -> NDArray[np.float32]:
        return self.engine.scores(users, seen)


def evaluate(
    feedback: Feedback,
    how: str = "random",
    seed: int = 0,
    categories: ItemCategories | None = None,
    progress: Progress | None = None,
    grid: TuningGrid | None = None,
) -> EvalReport:
    """Evaluate popularity, item-kNN, EASE and the engine on `feedback` (see the module
    docstring)."""
    say = progress or (lambda _label: None)
    grid = grid or TuningGrid()
    data = feedback.index()
    parts = split(data, how, seed)
    item_category = categories.of(data.video_ids) if categories is not None else None
    tuning, final = _stages(data, parts, item_category)
    say("popularity")
    results = {"popularity": _popularity(tuning, final)}
    say("item-kNN")
    results["item_knn"] = _item_knn(tuning, final, grid)
    say("EASE")
    results["ease"] = _ease(tuning, final, grid)
    ease_l2 = float(results["ease"].params["l2"])
    valid_recall, params = _tune_engine(tuning, grid, say, ease_l2)
    say("engine: final fit")
    results["engine"] = _final(
        lambda: engine_model(params), final, valid_recall, _public(asdict(params))
    )
    return _report(how, seed, data, final, results)


def _report(
    how: str, seed: int, data: Indexed, final: _Stage, results: dict[str, ModelResult]
) -> EvalReport:
    """The report of a run: the data's shape and the accounts with held-out likes."""
    tested = int((np.diff(final.truth.indptr) > 0).sum())
    return EvalReport(how, seed, data.n_users, data.n_items, len(data.users), tested, results)


def _public(params: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if key != "seed"}


def evaluate_training(
    feedback: Feedback,
    how: str = "random",
    seed: int = 0,
    categories: ItemCategories | None = None,
    params: EngineParams | None = None,
    fit: FitFactors | None = None,
    progress: Progress | None = None,
) -> EvalReport:
    """What `plaudit strategy train` would serve, measured under the same protocol: with
    fixed `params` (no tuning), ALS is fitted on training + validation by `fit` (None: the
    local fit, implicit) and measured on test alone (`als`, the factors' ranking) and in the
    engine's blend (`engine`). Two ALS fits (local, Spark ML) are compared like with like."""
    say = progress or (lambda _label: None)
    params = params or EngineParams()
    data = feedback.index()
    parts = split(data, how, seed)
    item_category = categories.of(data.video_ids) if categories is not None else None
    _, final = _stages(data, parts, item_category)
    train = final.train
    say("ALS fit" if fit is not None else f"ALS fit ({params.iterations} iterations)")
    started = time.perf_counter()
    if fit is None:
        engine = Engine.train(train.matrix, train.item_category, params,
                              recent_likes=train.recent_likes)  # fmt: skip
    else:
        factors = fit(train.matrix, data.account_ids, data.video_ids)
        engine = Engine.from_factors(
            train.matrix, train.item_category, params, factors, train.recent_likes
        )
    seconds = time.perf_counter() - started
    say("measuring")
    chosen = _public(asdict(params))
    als_only = _Fitted(engine.reweighted(0.0, 0.0, 0.0, 0.0))
    results = {
        name: ModelResult(*measure(model, final), seconds, None, chosen)
        for name, model in (("als", als_only), ("engine", _Fitted(engine)))
    }
    return _report(how, seed, data, final, results)
