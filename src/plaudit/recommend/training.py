"""Train the serving model from feedback and the catalogue (`plaudit strategy train`)."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from plaudit.errors import InvalidInput
from plaudit.recommend.artifacts import TrainedModel
from plaudit.recommend.engine import Engine, EngineParams, decayed_counts
from plaudit.recommend.feedback import Feedback
from plaudit.recommend.source import Catalogue

__all__ = ["FitFactors", "train_model"]

Progress = Callable[[str], None]
FitFactors = Callable[
    [sp.csr_matrix, NDArray[np.int64], NDArray[np.int64]],
    tuple[NDArray[np.float32], NDArray[np.float32]],
]
"""Fits ALS elsewhere (Spark ML): given the binary matrix and the account and video ids of
its rows and columns, returns (account factors, video factors) in that row order."""


def train_model(
    feedback: Feedback,
    catalogue: Catalogue,
    params: EngineParams | None = None,
    progress: Progress | None = None,
    fit: FitFactors | None = None,
) -> TrainedModel:
    """Fit the engine on all of `feedback`; videos missing from the catalogue are an error
    (the likes and the catalogue must come from the same store). `fit` replaces the local
    ALS fit (implicit) by another one, e.g. Spark ML's: the rest of the engine and the
    saved model are the same either way."""
    say = progress or (lambda _label: None)
    params = params or EngineParams()
    if len(feedback) == 0:
        raise InvalidInput(
            "there are no likes to train on yet; load a community (`plaudit demo`) or wait "
            "for likes, then run `plaudit strategy train` again"
        )
    say("indexing likes")
    data = feedback.index()
    at = np.searchsorted(catalogue.video_ids, data.video_ids)
    at = np.clip(at, 0, max(len(catalogue.video_ids) - 1, 0))
    if len(catalogue.video_ids) == 0 or (catalogue.video_ids[at] != data.video_ids).any():
        raise InvalidInput("some liked videos are missing from the catalogue")
    matrix = data.matrix()
    recent = (
        decayed_counts(data.items, data.ts, data.n_items, params.trend_half_life_days)
        if data.ts is not None
        else None
    )
    started = time.perf_counter()
    if fit is None:
        engine = Engine.train(
            matrix,
            catalogue.categories[at],
            params,
            on_iteration=lambda i: say(f"ALS iteration {i}/{params.iterations}"),
            recent_likes=recent,
        )
    else:
        say("ALS fit")
        factors = fit(matrix, data.account_ids, data.video_ids)
        engine = Engine.from_factors(matrix, catalogue.categories[at], params, factors, recent)
    seconds = time.perf_counter() - started
    meta = {
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "train_seconds": round(seconds, 3),
        "likes": int(matrix.nnz),
    }
    counts = np.asarray(matrix.sum(axis=0), dtype=np.float32).ravel()
    return TrainedModel(
        engine, data.account_ids, data.video_ids, catalogue.creators[at], counts, matrix, meta
    )
