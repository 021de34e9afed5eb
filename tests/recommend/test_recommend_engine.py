"""The engine and the evaluation on planted tastes: the engine finds the structure that
popularity cannot, the report has the documented shape, and models survive a save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from plaudit.recommend import Engine, EngineParams, TuningGrid, evaluate
from plaudit.recommend.artifacts import TrainedModel, current_id, model_root
from plaudit.recommend.engine import decayed_counts
from plaudit.recommend.source import Catalogue
from plaudit.recommend.training import train_model

from .conftest import FAST, planted_tastes


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    feedback, categories = planted_tastes()
    small = TuningGrid(
        als=((16, 0.05, 4.0),), popularity_weights=(0.0, 1.0), category_weights=(0.0, 2.0),
        neighbours=(0,), ease_l2s=(10.0, 100.0), ease_weights=(0.0, 4.0),
    )  # fmt: skip
    return evaluate(feedback, "random", 0, categories, grid=small).as_json()


def test_eval_json_has_the_documented_shape(report: dict[str, object]) -> None:
    models = report["models"]
    assert isinstance(models, dict)
    assert set(models) == {"popularity", "item_knn", "ease", "engine"}
    for figures in models.values():
        assert {"recall@10", "ndcg@10", "train_seconds"} <= set(figures)
        assert 0.0 <= figures["recall@10"] <= 1.0
        assert 0.0 <= figures["ndcg@10"] <= 1.0
        assert figures["train_seconds"] >= 0.0
    assert report["split"] == "random"
    assert report["accounts"] == 300


def test_engine_beats_popularity_where_tastes_differ(report: dict[str, object]) -> None:
    models = report["models"]
    assert isinstance(models, dict)
    engine, popularity = models["engine"], models["popularity"]
    assert engine["recall@10"] > 1.5 * popularity["recall@10"]
    assert engine["ndcg@10"] > 1.5 * popularity["ndcg@10"]


def test_category_affinity_boosts_what_the_account_over_indexes_on() -> None:
    feedback, categories = planted_tastes()
    data = feedback.index()
    engine = Engine.train(data.matrix(), categories.of(data.video_ids), FAST)
    counts = np.array([[0.0, 0.0, 12.0, 0.0], [3.0, 3.0, 3.0, 3.0]])
    lift = engine.log_lift(counts)
    assert lift[0, 2] > 0.5
    assert (lift[0, [0, 1, 3]] < 0).all()
    assert np.abs(lift[1]).max() < 0.2  # an account with the platform's mix: no boost


def test_a_saved_model_loads_back_and_swaps_atomically(tmp_path: Path) -> None:
    feedback, categories = planted_tastes(users=60, items=40, per_user=6)
    catalogue = Catalogue(
        categories.video_ids, categories.video_ids % 7 + 1000, categories.categories
    )
    model = train_model(feedback, catalogue, EngineParams(factors=8, iterations=3))
    first = model.save(tmp_path)
    loaded = TrainedModel.load(tmp_path)
    assert loaded is not None
    assert loaded.id == first
    users = np.arange(5)
    seen = model.seen[users]
    assert np.allclose(loaded.engine.scores(users, seen), model.engine.scores(users, seen))
    assert loaded.creators.tolist() == model.creators.tolist()
    second = model.save(tmp_path)
    assert current_id(tmp_path) == second != first
    assert [p.name for p in (model_root(tmp_path) / "models").iterdir()] == [second]


def test_nothing_trained_loads_as_none(tmp_path: Path) -> None:
    assert TrainedModel.load(tmp_path) is None


def test_recent_likes_decay_by_half_life() -> None:
    day = 86400.0
    items = np.array([0, 0, 1, 2], dtype=np.int32)
    ts = np.array([10 * day, 3 * day, 10 * day, 0.0])
    counts = decayed_counts(items, ts, 4, half_life_days=7.0)
    assert counts.tolist() == pytest.approx([1.5, 1.0, 2 ** (-10 / 7), 0.0])


def test_trend_survives_save_and_load(tmp_path: Path) -> None:
    feedback, categories = planted_tastes(users=60, items=40, per_user=6)
    catalogue = Catalogue(categories.video_ids, categories.video_ids + 500, categories.categories)
    params = EngineParams(factors=8, iterations=3, trend_weight=2.0)
    model = train_model(feedback, catalogue, params)
    assert model.engine.trend is not None
    model.save(tmp_path)
    loaded = TrainedModel.load(tmp_path)
    assert loaded is not None
    assert loaded.engine.trend is not None
    assert np.allclose(loaded.engine.trend, model.engine.trend)
    assert loaded.engine.params.trend_weight == 2.0


def test_scores_standardise_each_accounts_affinity_over_all_videos() -> None:
    feedback, categories = planted_tastes(users=80, items=50, per_user=8)
    data = feedback.index()
    params = EngineParams(factors=8, iterations=3, popularity_weight=0.0, category_weight=0.0)
    engine = Engine.train(data.matrix(), categories.of(data.video_ids), params)
    users = np.arange(10)
    scores = engine.scores(users, data.matrix()[users])
    affinity = engine.user_factors[users] @ engine.item_factors.T
    expected = (affinity - affinity.mean(axis=1, keepdims=True)) / affinity.std(
        axis=1, keepdims=True
    )
    assert np.allclose(scores, expected, atol=1e-3)
