"""What the recommender trains on, read from the event lake by DuckDB or by Spark, and the
ALS fit on Spark ML (`plaudit strategy train|eval --lake LAKE --engine local|spark`).

The training likes are those `source.read_likes` reads from the store, computed from the
lake's events with one SQL statement both DuckDB and Spark SQL accept:

- a `like` event whose like has no `unlike` event (active);
- not revoked: no standing revocation (a `revoke` event without a `reinstate` naming it) of
  the same account and video after the like, as the fund's lake computation decides;
- of an account whose profile (the lake's latest `profiles` snapshot) does not withdraw
  personalisation consent;
- with its time in seconds (microseconds / 10^6, as the store's reading gives it), in like
  order.

On `spark` the statement runs on the executors and, with Spark ML's ALS (implicit
preferences; Hu, Koren and Volinsky 2008), so does the factorisation: only the factors (one
row per account and per video) and the pairs (the served model keeps every account's seen
videos) come back to the driver, which builds the same model artefact as the local engine.

Spark ML's ALS and implicit's differ in two conventions, mapped here:

- confidence: implicit weighs a like `alpha`, Spark `1 + alpha`: Spark gets `alpha - 1`;
- regularisation: Spark scales lambda by each account's (video's) like count (ALS-WR),
  implicit does not; the same lambda is passed (small against the confidence-weighted
  Gram matrix at the default 0.05), and the metrics' agreement is tested, not assumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from numpy.typing import NDArray

from plaudit.authenticity.lake_scan import spark_frame, spark_session
from plaudit.errors import InvalidInput
from plaudit.lake import read_table
from plaudit.lake.engines import unknown_engine
from plaudit.lake.schema import INTERACTIONS, PROFILES, VIDEOS
from plaudit.lake.sql import STANDING_REVOCATIONS, local_query
from plaudit.recommend.engine import EngineParams
from plaudit.recommend.feedback import Feedback, ItemCategories
from plaudit.recommend.source import Catalogue
from plaudit.recommend.training import FitFactors

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "LakeTraining",
    "lake_catalogue",
    "lake_training",
    "spark_als_factors",
    "spark_fit_on_pairs",
]

_EVENT_COLUMNS = ("seq", "kind", "ref_id", "account_id", "target_id", "at")
_INT_MAX = 2**31 - 1

# Tables `events` (with `at_us`, the time in microseconds) and `profiles`; the SQL both
# DuckDB and Spark SQL accept.
_TRAINING_LIKES_SQL = f"""
WITH {STANDING_REVOCATIONS}
SELECT l.account_id, l.target_id AS video_id, CAST(l.at_us AS DOUBLE) / 1000000.0 AS ts
FROM events l
LEFT JOIN standing_revocations s ON s.account_id = l.account_id AND s.target_id = l.target_id
WHERE l.kind = 'like'
  AND NOT EXISTS (SELECT 1 FROM events u WHERE u.kind = 'unlike' AND u.ref_id = l.ref_id)
  AND (s.seq IS NULL OR s.seq < l.seq)
  AND NOT EXISTS (
    SELECT 1 FROM profiles p
    WHERE p.account_id = l.account_id AND p.consent_personalisation = FALSE
  )
ORDER BY l.ref_id
"""


@dataclass(frozen=True)
class LakeTraining:
    """The training likes read by one engine, and how that engine fits ALS (None: the
    local engine's own fit, implicit)."""

    engine: str
    feedback: Feedback
    fit: FitFactors | None


def lake_training(
    url: str,
    engine: str,
    params: EngineParams | None = None,
    spark: SparkSession | None = None,
) -> LakeTraining:
    """The lake's training likes on `engine`, with that engine's ALS fit."""
    if engine == "local":
        return LakeTraining(engine, _local_feedback(url), None)
    if engine == "spark":
        session = spark if spark is not None else spark_session()
        pairs = _spark_likes(session, url).cache()
        feedback = _feedback(pa.Table.from_pandas(pairs.toPandas(), preserve_index=False), url)
        fit = _spark_fit_on_lake(pairs, len(feedback), params or EngineParams())
        return LakeTraining(engine, feedback, fit)
    raise unknown_engine(engine)


def lake_catalogue(url: str, categories: ItemCategories | None) -> Catalogue:
    """Every video of the lake's `videos` snapshot with its creator, and its category from
    `categories` (the lake has no categories yet: the platform's catalogue gives them; -1
    where unknown)."""
    videos = read_table(url, VIDEOS.name).sort_by("video_id")
    ids = videos.column("video_id").to_numpy().astype(np.int64)
    creators = videos.column("creator_id").to_numpy().astype(np.int64)
    known = categories.of(ids) if categories is not None else np.full(len(ids), -1, np.int16)
    return Catalogue(ids, creators, known.astype(np.int16))


def _local_feedback(url: str) -> Feedback:
    events = read_table(url, INTERACTIONS.name, _EVENT_COLUMNS)
    profiles = read_table(url, PROFILES.name, ("account_id", "consent_personalisation"))
    likes = local_query(_TRAINING_LIKES_SQL, events, profiles=profiles)
    return _feedback(likes, url)


def _spark_likes(session: SparkSession, url: str) -> DataFrame:
    from pyspark.sql import functions as sf

    events = spark_frame(session, url, INTERACTIONS.name).select(*_EVENT_COLUMNS)
    events.withColumn("at_us", sf.unix_micros("at")).createOrReplaceTempView("events")
    spark_frame(session, url, PROFILES.name).createOrReplaceTempView("profiles")
    return session.sql(_TRAINING_LIKES_SQL)


def _feedback(likes: pa.Table, url: str) -> Feedback:
    if likes.num_rows == 0:
        raise InvalidInput(
            f"{url}: the lake holds no likes to train on (active, not revoked, of accounts "
            "that allow personalisation); run `plaudit lake export` after likes",
            field="lake",
        )
    return Feedback(
        likes.column("account_id").to_numpy().astype(np.int64),
        likes.column("video_id").to_numpy().astype(np.int64),
        likes.column("ts").to_numpy().astype(np.float64),
    )


def _spark_fit_on_lake(pairs: DataFrame, rows: int, params: EngineParams) -> FitFactors:
    """ALS on the executors over the lake's pairs (ids as they are), factors to the driver.
    `rows`: how many rows `pairs` has."""

    def fit(
        matrix: sp.csr_matrix, account_ids: NDArray[np.int64], video_ids: NDArray[np.int64]
    ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        _check_int_range(account_ids, "account")
        _check_int_range(video_ids, "video")
        ratings = pairs.selectExpr(
            "CAST(account_id AS INT) AS user", "CAST(video_id AS INT) AS item"
        )
        if matrix.nnz != rows:  # an account liked a video twice: one rating per pair
            ratings = ratings.distinct()
        # as many partitions as ALS has blocks, merged without a shuffle: the statement's
        # sort leaves Spark's 200 shuffle partitions, and ALS then runs hundreds of tiny
        # tasks per pass (4x the CPU time on the small demo)
        return spark_als_factors(ratings.coalesce(_blocks(ratings)), params, account_ids, video_ids)

    return fit


def spark_fit_on_pairs(session: SparkSession, params: EngineParams) -> FitFactors:
    """ALS on Spark over the pairs of a matrix the driver holds (the rows and columns are the
    ids): the evaluation's fit, where the split happens on the driver."""

    def fit(
        matrix: sp.csr_matrix, account_ids: NDArray[np.int64], video_ids: NDArray[np.int64]
    ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        coo = matrix.tocoo()
        frame = pa.table(
            {
                "user": pa.array(coo.row.astype(np.int32)),
                "item": pa.array(coo.col.astype(np.int32)),
            }
        ).to_pandas()
        ratings = session.createDataFrame(frame)
        rows = np.arange(matrix.shape[0], dtype=np.int64)
        columns = np.arange(matrix.shape[1], dtype=np.int64)
        return spark_als_factors(ratings, params, rows, columns)

    return fit


def spark_als_factors(
    ratings: DataFrame,
    params: EngineParams,
    account_ids: NDArray[np.int64],
    video_ids: NDArray[np.int64],
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Spark ML ALS with implicit preferences on `ratings` (int columns `user`, `item`, one
    row per like), its factors in the order of `account_ids` and `video_ids` (zeros for an id
    Spark saw no like of)."""
    from pyspark.ml.recommendation import ALS
    from pyspark.sql import functions as sf

    blocks = _blocks(ratings)
    als = ALS(
        numUserBlocks=blocks,
        numItemBlocks=blocks,
        rank=params.factors,
        maxIter=params.iterations,
        regParam=params.regularization,
        alpha=max(params.alpha - 1.0, 0.0),
        implicitPrefs=True,
        userCol="user",
        itemCol="item",
        ratingCol="rating",
        seed=params.seed,
        coldStartStrategy="drop",
    )
    model = als.fit(ratings.withColumn("rating", sf.lit(1.0).cast("float")))
    return (
        _aligned(model.userFactors, account_ids, params.factors),
        _aligned(model.itemFactors, video_ids, params.factors),
    )


def _blocks(frame: DataFrame) -> int:
    """One ALS block per task slot: Spark's default of 10 blocks only adds tasks on a small
    master, and on a cluster the slots are what the factorisation can use."""
    return max(1, frame.sparkSession.sparkContext.defaultParallelism)


def _aligned(factors: Any, ids: NDArray[np.int64], rank: int) -> NDArray[np.float32]:
    """Spark's (id, features) rows as a matrix whose row r belongs to ids[r]."""
    frame = factors.toPandas()
    result = np.zeros((len(ids), rank), dtype=np.float32)
    if len(frame) == 0:
        return result
    got = frame["id"].to_numpy().astype(np.int64)
    vectors = np.stack(frame["features"].to_numpy()).astype(np.float32)
    at = np.clip(np.searchsorted(ids, got), 0, max(len(ids) - 1, 0))
    known = ids[at] == got
    result[at[known]] = vectors[known]
    return result


def _check_int_range(ids: NDArray[np.int64], what: str) -> None:
    if len(ids) and (ids.min() < 0 or ids.max() > _INT_MAX):
        raise InvalidInput(
            f"Spark ML's ALS takes {what} ids up to {_INT_MAX}; this lake has {what} id "
            f"{int(ids.max())}: train with --engine local",
            field="engine",
        )
