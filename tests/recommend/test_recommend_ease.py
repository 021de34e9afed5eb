"""EASE (Steck 2019): the closed form, its restriction to the most-liked videos, and its
place in the engine and in a saved model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from plaudit.errors import InvalidInput
from plaudit.recommend import Engine
from plaudit.recommend.artifacts import TrainedModel
from plaudit.recommend.ease import fit_ease, fit_ease_path, popular_items
from plaudit.recommend.source import Catalogue
from plaudit.recommend.training import train_model

from .conftest import FAST, planted_tastes


def _likes(seed: int = 1) -> sp.csr_matrix:
    matrix = sp.random(200, 60, density=0.1, format="csr", random_state=seed)
    matrix.data[:] = 1.0
    return matrix.astype(np.float32)


def _closed_form(matrix: sp.csr_matrix, l2: float) -> np.ndarray:
    gram = (matrix.T @ matrix).toarray().astype(np.float64) + l2 * np.eye(matrix.shape[1])
    precision = np.linalg.inv(gram)
    weights = -precision / np.diag(precision)[None, :]
    np.fill_diagonal(weights, 0.0)
    return weights


def test_weights_are_the_papers_closed_form() -> None:
    matrix = _likes()
    fitted = fit_ease(matrix, 25.0)
    assert np.array_equal(fitted.items, np.arange(60))
    assert np.allclose(fitted.weights, _closed_form(matrix, 25.0), atol=1e-5)
    assert not np.diag(fitted.weights).any()


def test_one_gram_serves_every_l2_of_the_path() -> None:
    matrix = _likes(2)
    for l2, fitted in zip((5.0, 500.0), fit_ease_path(matrix, (5.0, 500.0)), strict=True):
        assert np.allclose(fitted.weights, _closed_form(matrix, l2), atol=1e-5)


def test_a_large_catalogue_is_restricted_to_its_most_liked_videos() -> None:
    matrix = _likes(3)
    counts = np.asarray(matrix.sum(axis=0)).ravel()
    fitted = fit_ease(matrix, 25.0, max_items=10)
    assert len(fitted.items) == 10
    assert counts[fitted.items].min() >= np.sort(counts)[-10]
    assert np.allclose(fitted.weights, _closed_form(matrix[:, fitted.items], 25.0), atol=1e-5)
    scores = fitted.scores(matrix[:5], matrix.shape[1])
    outside = np.setdiff1d(np.arange(60), fitted.items)
    assert scores.shape == (5, 60)
    assert not scores[:, outside].any()
    assert np.array_equal(popular_items(matrix, 0), np.arange(60))


def test_a_non_positive_l2_is_refused_with_the_reason() -> None:
    with pytest.raises(InvalidInput, match="positive L2"):
        fit_ease(_likes(), 0.0)


def test_the_engine_with_ease_survives_save_and_load(tmp_path: Path) -> None:
    feedback, categories = planted_tastes()
    data = feedback.index()
    params = replace(FAST, ease_weight=4.0, ease_max_items=20)
    catalogue = Catalogue(data.video_ids, data.video_ids % 7, categories.of(data.video_ids))
    model = train_model(feedback, catalogue, params)
    assert model.engine.ease is not None
    assert len(model.engine.ease.items) == 20
    model.save(tmp_path)
    loaded = TrainedModel.load(tmp_path)
    assert loaded is not None
    assert loaded.engine.ease is not None
    users = np.arange(5, dtype=np.int64)
    seen = model.seen[users]
    assert np.allclose(loaded.engine.scores(users, seen), model.engine.scores(users, seen))
    without = Engine.train(data.matrix(), None, FAST)
    assert without.ease is None  # ease_weight 0: not fitted
