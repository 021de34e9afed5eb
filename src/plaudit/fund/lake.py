"""A period's creator scores computed from the event lake, by DuckDB or by Spark SQL.

The same rule as `plaudit.fund.scoring` (docs/fund.md), written once as SQL that both
engines run: the standing likes, comments, shares and follows made in the period, minus
self-dealing; incentivised ones (source `campaign:`) and revoked likes excluded; for each
(creator, fan, UTC day) the n-th largest weight counts weight/n units of a point for
n <= daily_cap. Units are exact integers (the unit is 1/lcm(1..daily_cap) point, so every
weight*units_per_point/n divides exactly), and the payouts are then the same largest
remainder division of the pool as the store's computation, to the fen.

A like is revoked when a `revoke` event for its account and video follows it and no
`reinstate` event names that revocation (one active like per account and video). Likes
held by a real-time rule are not in the lake (holds are operational state): run the lake
computation on a period every like of which went through a finished authenticity scan, as
`plaudit fund close` requires anyway.

On Spark the whole query (filters, anti-joins, the window ranking, the aggregation) runs on
the executors; only one row per creator comes back to the driver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from plaudit.authenticity.lake_scan import spark_frame, spark_session
from plaudit.fund.compute import Computation, statements_of
from plaudit.fund.model import Period, Statement
from plaudit.fund.scoring import CAMPAIGN_PREFIX, CreatorScore
from plaudit.lake import read_table
from plaudit.lake.engines import unknown_engine
from plaudit.lake.location import Location
from plaudit.lake.manifest import Manifest
from plaudit.lake.schema import INTERACTIONS, VIDEOS
from plaudit.lake.sql import STANDING_REVOCATIONS, local_query

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["lake_computation", "lake_scores", "lake_statements"]

_EVENT_COLUMNS = ("seq", "kind", "ref_id", "account_id", "target_id", "at", "source", "day")

# Written in the SQL both DuckDB and Spark SQL accept; {placeholders} are integers or
# ISO dates put in by `_query` (never user text).
_SCORES_SQL = (
    "WITH "
    + STANDING_REVOCATIONS
    + """,
likes AS (
  SELECT l.account_id AS fan_id, v.creator_id, l.day, l.source, 'like' AS kind,
         CASE WHEN s.seq > l.seq THEN 1 ELSE 0 END AS revoked
  FROM events l
  JOIN videos v ON v.video_id = l.target_id
  LEFT JOIN standing_revocations s
    ON s.account_id = l.account_id AND s.target_id = l.target_id
  WHERE l.kind = 'like'
    AND NOT EXISTS (SELECT 1 FROM events u WHERE u.kind = 'unlike' AND u.ref_id = l.ref_id)
    AND l.at_us >= {start_us} AND l.at_us < {end_us}
),
on_videos AS (
  SELECT e.account_id AS fan_id, v.creator_id, e.day, e.source, e.kind, 0 AS revoked
  FROM events e JOIN videos v ON v.video_id = e.target_id
  WHERE e.kind IN ('comment', 'share') AND e.at_us >= {start_us} AND e.at_us < {end_us}
),
follows AS (
  SELECT f.account_id AS fan_id, f.target_id AS creator_id, f.day, f.source, 'follow' AS kind,
         0 AS revoked
  FROM events f
  WHERE f.kind = 'follow'
    AND NOT EXISTS (SELECT 1 FROM events u WHERE u.kind = 'unfollow' AND u.ref_id = f.ref_id)
    AND f.at_us >= {start_us} AND f.at_us < {end_us}
),
items AS (
  SELECT *,
         CASE WHEN source LIKE '{campaign}%' THEN 1 ELSE 0 END AS incentivised,
         CASE kind WHEN 'like' THEN {like} WHEN 'comment' THEN {comment}
                   WHEN 'share' THEN {share} ELSE {follow} END AS weight
  FROM (SELECT * FROM likes UNION ALL SELECT * FROM on_videos UNION ALL SELECT * FROM follows)
  WHERE fan_id <> creator_id
),
counted AS (
  SELECT creator_id, fan_id, kind, weight,
         row_number() OVER (PARTITION BY creator_id, fan_id, day ORDER BY weight DESC) AS n
  FROM items WHERE incentivised = 0 AND revoked = 0
),
units AS (
  SELECT creator_id,
         SUM(CASE WHEN n <= {cap} THEN CAST(weight * {per_point} / n AS BIGINT) ELSE 0 END)
           AS score_units,
         SUM(CASE WHEN kind = 'like' THEN 1 ELSE 0 END) AS likes,
         SUM(CASE WHEN kind = 'comment' THEN 1 ELSE 0 END) AS comments,
         SUM(CASE WHEN kind = 'share' THEN 1 ELSE 0 END) AS shares,
         SUM(CASE WHEN kind = 'follow' THEN 1 ELSE 0 END) AS follows,
         COUNT(DISTINCT fan_id) AS fans
  FROM counted GROUP BY creator_id
),
excluded AS (
  SELECT creator_id, SUM(incentivised) AS excluded_incentivised,
         SUM(CASE WHEN incentivised = 0 THEN revoked ELSE 0 END) AS excluded_revoked
  FROM items GROUP BY creator_id
)
SELECT x.creator_id, COALESCE(u.likes, 0) AS likes, COALESCE(u.comments, 0) AS comments,
       COALESCE(u.shares, 0) AS shares, COALESCE(u.follows, 0) AS follows,
       COALESCE(u.fans, 0) AS fans, x.excluded_revoked, x.excluded_incentivised,
       COALESCE(u.score_units, 0) AS score_units
FROM excluded x LEFT JOIN units u ON u.creator_id = x.creator_id
ORDER BY x.creator_id
"""
)


def _query(period: Period) -> str:
    rule = period.rule
    return _SCORES_SQL.format(
        start_us=_micros(period.starts_at.timestamp()),
        end_us=_micros(period.ends_at.timestamp()),
        campaign=CAMPAIGN_PREFIX,
        cap=rule.daily_cap,
        per_point=rule.units_per_point,
        **{kind: rule.weight(kind) for kind in ("like", "comment", "share", "follow")},
    )


def _micros(seconds: float) -> int:
    return round(seconds * 1_000_000)


def lake_scores(
    url: str, period: Period, engine: str, spark: SparkSession | None = None
) -> dict[int, CreatorScore]:
    """Every creator with an interaction in the period (counted or excluded), by id."""
    if engine == "local":
        rows = _local_rows(url, period)
    elif engine == "spark":
        rows = _spark_rows(url, period, spark)
    else:
        raise unknown_engine(engine)
    return {int(row["creator_id"]): _score(row) for row in rows}


def lake_statements(
    url: str, period: Period, engine: str, spark: SparkSession | None = None
) -> tuple[list[Statement], int]:
    """The period's statements with payouts from the lake, and the total units."""
    return statements_of(period, lake_scores(url, period, engine, spark))


def lake_computation(
    url: str, period: Period, engine: str, spark: SparkSession | None = None
) -> Computation:
    """The preview of `period` from the lake, as of the lake's watermark.

    Holds are not in the lake, so `pending_likes` is 0 and nothing is known of the scans:
    `plaudit fund close` still decides from the store whether the period may close.
    """
    statements, total = lake_statements(url, period, engine, spark)
    through = Manifest.load(Location.of(url)).through_seq
    note = f"computed on the {engine} engine from the lake {url} (events below seq {through})"
    return Computation(period, through, statements, total, 0, None, None, [note])


def _score(row: dict[str, Any]) -> CreatorScore:
    fields = (
        "likes",
        "comments",
        "shares",
        "follows",
        "fans",
        "excluded_revoked",
        "excluded_incentivised",
        "score_units",
    )
    return CreatorScore(int(row["creator_id"]), **{name: int(row[name]) for name in fields})


def _local_rows(url: str, period: Period) -> list[dict[str, Any]]:
    events = read_table(url, INTERACTIONS.name, _EVENT_COLUMNS)
    videos = read_table(url, VIDEOS.name)
    table = local_query(_query(period), events, videos=videos)
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def _spark_rows(url: str, period: Period, spark: SparkSession | None) -> list[dict[str, Any]]:
    from pyspark.sql import functions as sf

    session = spark if spark is not None else spark_session()
    events = spark_frame(session, url, INTERACTIONS.name).select(*_EVENT_COLUMNS)
    events.withColumn("at_us", sf.unix_micros("at")).createOrReplaceTempView("events")
    spark_frame(session, url, VIDEOS.name).createOrReplaceTempView("videos")
    return [row.asDict() for row in session.sql(_query(period)).collect()]
