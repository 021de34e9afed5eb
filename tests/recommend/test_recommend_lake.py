"""Recommender training on the event lake: the lake's training likes are the store's (SQLite
and PostgreSQL), Spark reads the same likes, Spark ML's ALS agrees with the local ALS on the
evaluation protocol within the stated tolerance, and a model trained on Spark is served."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from plaudit.cli.main import cli
from plaudit.config import Settings, load_settings
from plaudit.errors import InvalidInput
from plaudit.lake import export_lake
from plaudit.platform import Platform
from plaudit.recommend import EngineParams, Feedback
from plaudit.recommend.artifacts import TrainedModel
from plaudit.recommend.evaluate import evaluate_training
from plaudit.recommend.lake import LakeTraining, lake_training, spark_fit_on_pairs
from plaudit.recommend.source import read_catalogue, read_likes
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community
from tests.fund.world import World

from .conftest import AS_OF

SMALL = CommunitySize("tiny", accounts=800, creators=20, videos=200, interactions=12000, days=60)
TOLERANCE = 0.03
"""Spark ML's ALS against the local ALS: |difference| of Recall@10 and of NDCG@10, for ALS
alone and for the engine's blend (docs/recommender.md, "Training on the lake")."""
FAST = EngineParams(factors=16, iterations=6)
FEW = CommunitySize("few", accounts=300, creators=10, videos=80, interactions=3000, days=30)


def _sorted_pairs(feedback: Feedback) -> np.ndarray:
    assert feedback.ts is not None
    rows = np.column_stack([feedback.accounts, feedback.videos, np.round(feedback.ts, 3)])
    return rows[np.lexsort((rows[:, 1], rows[:, 0]))]


def _tamper(platform: Platform, seed: int) -> dict[str, int]:
    """Revoked likes (one reinstated), an unlike, a withdrawn consent: what training skips."""
    rng = random.Random(seed)
    likes = read_likes(platform.db)
    world = World(platform)
    picked = rng.sample(range(len(likes)), 8)
    revocations = []
    for at in picked[:5]:
        like_id = _like_id(platform, int(likes.accounts[at]), int(likes.videos[at]))
        revocations.append(world.revoke(like_id))
    world.reinstate(revocations[0])
    unliked = picked[5]
    world.unlike(int(likes.accounts[unliked]), int(likes.videos[unliked]), AS_OF)
    withdrawn = int(likes.accounts[picked[6]])
    platform.accounts.update_profile(withdrawn, {"consent_personalisation": False})
    return {"withdrawn": withdrawn}


def _like_id(platform: Platform, account: int, video: int) -> int:
    from sqlalchemy import select

    from plaudit.store import tables

    likes = tables.likes
    with platform.db.read() as conn:
        return int(
            conn.execute(
                select(likes.c.id).where(
                    likes.c.account_id == account,
                    likes.c.video_id == video,
                    likes.c.removed_at.is_(None),
                )
            ).scalar_one()
        )


@dataclass
class LakeWorld:
    platform: Platform
    lake: str
    withdrawn: int


def _build(settings: Settings, lake: Path, size: CommunitySize) -> LakeWorld:
    platform = Platform(settings).open()
    load_community(platform.db, size, seed=5, end=AS_OF, show_progress=False)
    facts = _tamper(platform, seed=1)
    platform.integrator.catch_up()
    export_lake(platform.db, str(lake), b"k" * 32)
    return LakeWorld(platform, str(lake), facts["withdrawn"])


@pytest.fixture
def lake_world(backend_settings: Settings, tmp_path: Path) -> Iterator[LakeWorld]:
    world = _build(backend_settings, tmp_path / "lake", FEW)
    try:
        yield world
    finally:
        world.platform.close()


@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LakeWorld]:
    root = tmp_path_factory.mktemp("recommend-lake")
    settings = load_settings(flags={"data_dir": str(root / "data")}, env={})
    world = _build(settings, root / "lake", SMALL)
    try:
        yield world
    finally:
        world.platform.close()


def test_the_lake_gives_the_likes_the_store_trains_on(lake_world: LakeWorld) -> None:
    from_store = read_likes(lake_world.platform.db)
    from_lake = lake_training(lake_world.lake, "local").feedback
    assert len(from_lake) == len(from_store)
    assert np.array_equal(_sorted_pairs(from_lake), _sorted_pairs(from_store))
    assert lake_world.withdrawn not in set(from_lake.accounts.tolist())


def test_an_empty_lake_or_an_unknown_engine_is_a_precise_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no lake here"):
        lake_training(str(tmp_path / "nothing"), "local")
    with pytest.raises(InvalidInput, match="choose from local, spark"):
        lake_training(str(tmp_path), "dask")


def test_engine_without_lake_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["strategy", "train", "--engine", "spark"])
    assert result.exit_code == 2
    assert "--engine goes with --lake" in result.output


def test_train_on_the_lake_locally_serves_the_model(
    sqlite_world: LakeWorld, tmp_path: Path
) -> None:
    platform = sqlite_world.platform
    data_dir = str(platform.settings.data_path)
    result = CliRunner().invoke(
        cli,
        ["strategy", "train", "--lake", sqlite_world.lake, "--engine", "local",
         "--factors", "16", "--iterations", "4", "--data-dir", data_dir],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "local engine" in result.output
    model = TrainedModel.load(platform.settings.data_path)
    assert model is not None
    assert model.meta["engine"] == "local"
    assert len(model.seen.indices) == len(read_likes(platform.db))
    account = int(model.account_ids[0])
    answer = platform.recommender.videos_for(account, 10)
    assert answer.personalised
    assert answer.model_id == model.id


@pytest.fixture(scope="module")
def spark_source(sqlite_world: LakeWorld, spark: Any) -> Iterator[LakeTraining]:
    """The lake's training likes read once by Spark for this module's tests, with a few
    shuffle partitions (Spark's 200 are for clusters; restored afterwards)."""
    before = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", "4")
    try:
        yield lake_training(sqlite_world.lake, "spark", FAST, spark)
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", before)


@pytest.mark.spark
# py4j leaves its gateway sockets to the garbage collector: a ResourceWarning, not ours
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_spark_reads_the_likes_the_local_engine_reads(
    sqlite_world: LakeWorld, spark_source: LakeTraining
) -> None:
    local = lake_training(sqlite_world.lake, "local").feedback
    remote = spark_source.feedback
    assert np.array_equal(remote.accounts, local.accounts)
    assert np.array_equal(remote.videos, local.videos)
    assert remote.ts is not None
    assert local.ts is not None
    assert np.array_equal(remote.ts, local.ts)


@pytest.mark.spark
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_spark_als_agrees_with_local_als_within_the_tolerance(
    sqlite_world: LakeWorld, spark_source: LakeTraining, spark: Any
) -> None:
    categories = read_catalogue(sqlite_world.platform.db).item_categories()
    local = evaluate_training(
        lake_training(sqlite_world.lake, "local").feedback, "random", 0, categories, FAST
    ).as_json()
    remote = evaluate_training(
        spark_source.feedback, "random", 0, categories, FAST, spark_fit_on_pairs(spark, FAST)
    ).as_json()
    assert local["test_accounts"] == remote["test_accounts"] > 500
    for model in ("als", "engine"):
        for metric in ("recall@10", "ndcg@10"):
            mine, theirs = local["models"][model][metric], remote["models"][model][metric]
            assert abs(mine - theirs) <= TOLERANCE, (model, metric, mine, theirs)
    # and they agree on having learnt something, not on noise near zero
    assert remote["models"]["als"]["recall@10"] > 0.1


@pytest.mark.spark
# py4j leaves its gateway sockets to the garbage collector: a ResourceWarning, not ours
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_model_trained_on_spark_is_served_locally(sqlite_world: LakeWorld, spark: object) -> None:
    platform = sqlite_world.platform
    model = platform.recommender.train_on_lake(sqlite_world.lake, "spark", FAST, spark=spark)
    assert model.meta["engine"] == "spark"
    loaded = TrainedModel.load(platform.settings.data_path)
    assert loaded is not None
    assert loaded.id == model.id
    assert np.abs(loaded.engine.item_factors).sum() > 0
    assert json.loads((platform.settings.data_path / "recommend" / "current" / "manifest.json")
                      .read_text())["engine"] == "spark"  # fmt: skip
    account = int(loaded.account_ids[len(loaded.account_ids) // 2])
    answer = platform.recommender.videos_for(account, 10)
    assert answer.personalised
    assert answer.basis == "engine"
    assert len(answer.items) == 10
    liked = set(loaded.video_ids[loaded.seen[loaded.user_of(account)].indices].tolist())
    assert not liked & {item.video_id for item in answer.items}


def test_eval_on_the_lake_reports_als_and_the_blend_untuned(sqlite_world: LakeWorld) -> None:
    data_dir = str(sqlite_world.platform.settings.data_path)
    result = CliRunner().invoke(
        cli,
        ["strategy", "eval", "--lake", sqlite_world.lake, "--seed", "3", "--json",
         "--data-dir", data_dir],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report["models"]) == {"als", "engine"}
    assert report["seed"] == 3
    assert report["pairs"] == len(read_likes(sqlite_world.platform.db))
    for model in report["models"].values():
        assert model["valid_recall@10"] is None
        assert model["recall@10"] > 0.05
