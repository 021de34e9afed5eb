"""The authenticity scan on the event lake, with either engine reading the lake the same way.

The scan's input is the set of active likes: every `like` event in the lake whose like has no
`unlike` event below the watermark, with its Unix second, keyed device and network hashes,
and the creator of the liked video (the `videos` snapshot). Both engines compute that set
from the manifest's files, in the same order (by like id), so the detector table they hand
over is identical row for row and code for code:

- `local`: DuckDB over the Arrow tables `plaudit.lake.read_table` returns;
- `spark`: PySpark DataFrames (filter, anti-join of the unlikes, join of the creators, the
  time cast) run distributed on the executors; the result, five integer columns and two
  16-character hashes per active like, is collected to the driver through Arrow.

The detectors themselves (lockstep, dense blocks, rings, farms: `plaudit.authenticity.batch`)
then run on the driver on either engine: they are whole-graph computations (spectral pieces,
peeling, connected components) that are not written as DataFrame jobs yet (docs/scale.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from plaudit.authenticity.table import Interactions, encode
from plaudit.errors import InvalidInput
from plaudit.lake import open_lake, read_table
from plaudit.lake.engines import unknown_engine
from plaudit.lake.location import Location
from plaudit.lake.schema import INTERACTIONS, SCHEMAS, VIDEOS

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = [
    "lake_likes",
    "lake_likes_local",
    "lake_likes_spark",
    "spark_frame",
    "spark_session",
]


_EVENT_COLUMNS = ("kind", "ref_id", "account_id", "target_id", "at", "device", "network")
_ACTIVE_LIKES_SQL = """
SELECT l.ref_id AS like_id, l.account_id, l.target_id AS video_id,
       epoch_us(l."at") // 1000000 AS ts, l.device AS device_id, l.network AS ip, v.creator_id
FROM events l
JOIN videos v ON v.video_id = l.target_id
WHERE l.kind = 'like'
  AND l.ref_id NOT IN (SELECT ref_id FROM events WHERE kind = 'unlike')
ORDER BY l.ref_id
"""


def lake_likes(url: str, engine: str, spark: SparkSession | None = None) -> Interactions:
    """The lake's active likes as the detectors' table, computed by `engine`."""
    if engine == "local":
        return lake_likes_local(url)
    if engine == "spark":
        return lake_likes_spark(url, spark)
    raise unknown_engine(engine)


def lake_likes_local(url: str) -> Interactions:
    """Active likes computed by DuckDB over the manifest's files."""
    events = read_table(url, INTERACTIONS.name, _EVENT_COLUMNS)
    videos = read_table(url, VIDEOS.name)
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone='UTC'")
        connection.register("events", events)
        connection.register("videos", videos)
        likes = connection.sql(_ACTIVE_LIKES_SQL).to_arrow_table()
    finally:
        connection.close()
    return _detector_table(likes, url)


def lake_likes_spark(url: str, spark: SparkSession | None = None) -> Interactions:
    """Active likes computed by PySpark DataFrames over the manifest's files."""
    from pyspark.sql import functions as sf

    session = spark if spark is not None else spark_session()
    events = spark_frame(session, url, INTERACTIONS.name).select(*_EVENT_COLUMNS)
    videos = spark_frame(session, url, VIDEOS.name)
    unliked = events.where(sf.col("kind") == "unlike").select(sf.col("ref_id").alias("like_id"))
    likes = events.where(sf.col("kind") == "like").select(
        sf.col("ref_id").alias("like_id"),
        "account_id",
        sf.col("target_id").alias("video_id"),
        sf.col("at").cast("long").alias("ts"),
        sf.col("device").alias("device_id"),
        sf.col("network").alias("ip"),
    )
    active = (
        likes.join(unliked, "like_id", "left_anti")
        .join(videos, "video_id")
        .select("like_id", "account_id", "video_id", "ts", "device_id", "ip", "creator_id")
        .orderBy("like_id")
    )
    frame = active.toPandas()
    return _detector_table(pa.Table.from_pandas(frame, preserve_index=False), url)


def spark_session(master: str | None = None, config: dict[str, str] | None = None) -> SparkSession:
    """The active SparkSession, or a new one (`master` as given, else `spark-submit`'s)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InvalidInput(
            "--engine spark needs PySpark and Java 17: pip install 'plaudit[spark]' and "
            "apt-get install openjdk-17-jre-headless",
            field="engine",
        ) from None
    builder: Any = SparkSession.builder.appName("plaudit")
    if master is not None:
        builder = builder.master(master)
    for key, value in (config or {}).items():
        builder = builder.config(key, value)
    session: SparkSession = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    return session


def spark_frame(session: SparkSession, url: str, table: str) -> Any:
    """One lake table as a DataFrame of exactly the files its manifest names."""
    location, manifest = open_lake(url)
    schema = SCHEMAS[table]
    paths = [_spark_path(url, location, part.path) for part in manifest.files(table)]
    if not paths:
        return session.createDataFrame(schema.arrow.empty_table().to_pandas())
    return session.read.parquet(*paths)


def _spark_path(url: str, location: Location, relative: str) -> str:
    """A local lake's files by absolute path; a URL lake's by URL (Hadoop's file systems)."""
    if "://" not in url:
        return location.path(relative)
    return "/".join((url.rstrip("/"), relative))


def _detector_table(likes: pa.Table, url: str) -> Interactions:
    if likes.num_rows == 0:
        raise InvalidInput(
            f"{url}: the lake holds no active likes; run `plaudit lake export` after likes",
            field="lake",
        )
    return encode(likes.drop_columns(["like_id"]), source=url)
