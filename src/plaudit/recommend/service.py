"""`platform.recommender`: train, evaluate and serve recommendations for the platform.

Requests are served from the model in `DATA_DIR/recommend/`, loaded on first use and
reloaded when `plaudit strategy train` swaps in a new one. Without a trained model the
service still answers, from live popularity (video and creator counters), and says so
(`basis: popularity`, `reason: no_model`): a fresh install gets a working feed, and the
answer never pretends to be personalised.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from plaudit.catalog.categories import CATEGORY_IDS
from plaudit.errors import InvalidInput
from plaudit.recommend.artifacts import TrainedModel, current_id
from plaudit.recommend.engine import EngineParams
from plaudit.recommend.evaluate import EvalReport, evaluate, evaluate_training
from plaudit.recommend.results import (
    MAX_LIMIT,
    Basis,
    CreatorRecommendation,
    CreatorRecommendations,
    Reason,
    Recommendation,
    VideoRecommendations,
)
from plaudit.recommend.serving import Ranker
from plaudit.recommend.source import (
    read_account_state,
    read_catalogue,
    read_likes,
    read_popular_creators,
    read_popular_videos,
)
from plaudit.recommend.training import train_model
from plaudit.store import Database

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["MAX_LIMIT", "RecommenderService"]

Progress = Callable[[str], None]


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be from 1 to {MAX_LIMIT}, got {limit}", field="limit")


class RecommenderService:
    """Recommendations of videos (the feed's candidates) and creators to follow."""

    def __init__(self, db: Database, data_path: Path) -> None:
        self._db = db
        self._data_path = data_path
        self._lock = threading.Lock()
        self._ranker: Ranker | None = None

    def ranker(self) -> Ranker | None:
        """The ranker of the current model (loaded lazily, reloaded after a new training),
        or None when no model has been trained."""
        wanted = current_id(self._data_path)
        ranker = self._ranker
        if ranker is not None and ranker.model.id == wanted:
            return ranker
        with self._lock:
            if self._ranker is None or self._ranker.model.id != wanted:
                model = TrainedModel.load(self._data_path)
                self._ranker = Ranker(model) if model is not None else None
            return self._ranker

    def train(
        self, params: EngineParams | None = None, progress: Progress | None = None
    ) -> TrainedModel:
        """Train on the platform's likes and make the new model current."""
        say = progress or (lambda _label: None)
        say("reading likes")
        feedback = read_likes(self._db)
        say("reading videos")
        catalogue = read_catalogue(self._db)
        model = train_model(feedback, catalogue, params, say)
        say("saving")
        model_id = model.save(self._data_path)
        return replace(model, meta={**model.meta, "id": model_id})

    def train_on_lake(
        self,
        url: str,
        engine: str,
        params: EngineParams | None = None,
        progress: Progress | None = None,
        spark: SparkSession | None = None,
    ) -> TrainedModel:
        """Train on the event lake's likes with `engine` (local: DuckDB and implicit; spark:
        Spark SQL and Spark ML's ALS) and make the new model current. The lake has no video
        categories yet, so they come from the platform's catalogue."""
        from plaudit.recommend.lake import lake_catalogue, lake_training

        say = progress or (lambda _label: None)
        say(f"reading likes from the lake ({engine})")
        source = lake_training(url, engine, params, spark)
        say("reading videos")
        catalogue = lake_catalogue(url, read_catalogue(self._db).item_categories())
        model = train_model(source.feedback, catalogue, params, say, source.fit)
        model = replace(model, meta={**model.meta, "engine": engine, "lake": url})
        say("saving")
        model_id = model.save(self._data_path)
        return replace(model, meta={**model.meta, "id": model_id})

    def evaluate_lake(
        self,
        url: str,
        engine: str,
        how: str,
        seed: int,
        params: EngineParams | None = None,
        progress: Progress | None = None,
        spark: SparkSession | None = None,
    ) -> EvalReport:
        """What `train_on_lake` would serve, measured on a held-out split of the lake's likes
        (`plaudit strategy eval --lake`); the engine's ALS is fitted on the split's training
        part, so both engines are measured on the same pairs."""
        from plaudit.authenticity.lake_scan import spark_session
        from plaudit.recommend.lake import lake_training, spark_fit_on_pairs

        say = progress or (lambda _label: None)
        say(f"reading likes from the lake ({engine})")
        session = (spark or spark_session()) if engine == "spark" else None
        source = lake_training(url, engine, params, session)
        fit = spark_fit_on_pairs(session, params or EngineParams()) if session else None
        categories = read_catalogue(self._db).item_categories()
        return evaluate_training(source.feedback, how, seed, categories, params, fit, say)

    def evaluate(self, how: str, seed: int, progress: Progress | None = None) -> EvalReport:
        """`plaudit strategy eval` on the platform's likes (with video categories)."""
        feedback = read_likes(self._db)
        if len(feedback) == 0:
            raise InvalidInput("the platform has no likes to evaluate on; load a community first")
        categories = read_catalogue(self._db).item_categories()
        return evaluate(feedback, how, seed, categories, progress)

    def recommend_videos(self, account_id: int, limit: int = 20) -> list[Recommendation]:
        """Videos `account_id` is likely to like, best first (see `videos_for` for the basis)."""
        return self.videos_for(account_id, limit).items

    def videos_for(self, account_id: int, limit: int = 20) -> VideoRecommendations:
        """Videos for the account, with whether they are personalised and why not."""
        _check_limit(limit)
        state = read_account_state(self._db, account_id)
        ranker = self.ranker()
        if ranker is None:
            return VideoRecommendations(
                account_id, False, "popularity", "no_model", None,
                self._live_popular_videos(state.liked, account_id, limit),
            )  # fmt: skip
        scores = ranker.personal(account_id) if state.consent else None
        reason: Reason | None = None if scores is not None else _why_not(state.consent)
        items = ranker.videos(
            ranker.popular() if scores is None else scores, account_id, state.liked, limit
        )
        basis: Basis = "engine" if reason is None else "popularity"
        return VideoRecommendations(
            account_id, reason is None, basis, reason, ranker.model.id, items
        )

    def creators_for(self, account_id: int, limit: int = 20) -> CreatorRecommendations:
        """Creators the account may follow (not those it follows, not itself)."""
        _check_limit(limit)
        state = read_account_state(self._db, account_id)
        ranker = self.ranker()
        if ranker is None:
            followed = {int(c) for c in state.followed} | {account_id}
            popular = read_popular_creators(self._db, limit + len(followed))
            items = [
                CreatorRecommendation(creator, 0, float(likes))
                for creator, likes in popular
                if creator not in followed
            ][:limit]
            return CreatorRecommendations(account_id, False, "popularity", "no_model", None, items)
        scores = ranker.personal(account_id) if state.consent else None
        reason: Reason | None = None if scores is not None else _why_not(state.consent)
        if scores is None:
            items = ranker.creators(ranker.popular(), account_id, state.followed, limit, True)
        else:
            items = ranker.creators(scores, account_id, state.followed, limit)
        basis: Basis = "engine" if reason is None else "popularity"
        return CreatorRecommendations(
            account_id, reason is None, basis, reason, ranker.model.id, items
        )

    def _live_popular_videos(
        self, liked: NDArray[np.int64], account_id: int, limit: int
    ) -> list[Recommendation]:
        skip = {int(v) for v in liked}
        rows = read_popular_videos(self._db, 2 * limit + len(skip))
        return [
            Recommendation(video, creator, category if category in CATEGORY_IDS else None, likes)
            for video, creator, category, likes in rows
            if video not in skip and creator != account_id
        ][:limit]


def _why_not(consent: bool) -> Reason:
    return "cold_start" if consent else "no_consent"
