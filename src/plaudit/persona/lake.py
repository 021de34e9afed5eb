"""The persona refresh on the event lake: `plaudit persona refresh --lake LAKE --engine ...`.

The same tag index as the database refresh (`compute.py` derives the tags from the same
columns whoever reads them), from the lake's tables instead of the operational database:

- `interactions`: standing likes (a `like` event without an `unlike` of the same like id),
  comments, shares, standing follows (without an `unfollow`), each at its whole Unix second;
- the snapshots `accounts` (kind, creation time), `profiles` (demographics and consents),
  `videos` (category) and `devices` (the class of each keyed device hash).

The reading is one set of SQL statements written in the dialect both DuckDB and Spark SQL
accept: on `local` DuckDB runs them over the manifest's Parquet files; on `spark` the joins,
anti-joins, the distinct devices and the follow counts run on the executors and the results
(per-event rows of three integers, per-account counts) come to the driver through Arrow,
where NumPy derives the tags and pyroaring builds the bitmaps, as in the database refresh.

An account that withdrew targeting consent has no tags: the profile snapshot carries the
consent, and the derivation removes every account without it from every bitmap.

The lake refresh is always a full one. The lake is partitioned by day, not by account, and an
account's interest weights depend on its whole history: recomputing even one account means
reading every day's files, which is what a full refresh reads once (docs/segments.md). The
index it saves carries the same watermarks as a database full refresh (the lake's `through_seq`
as the event watermark, the snapshot's newest profile change), so the database's incremental
refresh can follow it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from plaudit.catalog.categories import CATEGORIES
from plaudit.errors import InvalidInput
from plaudit.lake.engines import unknown_engine
from plaudit.lake.read import open_lake, table_dataset
from plaudit.lake.schema import ACCOUNTS, DEVICES, INTERACTIONS, PROFILES, VIDEOS
from plaudit.persona.compute import (
    CODED_FIELDS,
    Devices,
    Events,
    Follows,
    ProfileColumns,
    Progress,
    compute_from,
)
from plaudit.persona.devices import DEVICE_CLASSES
from plaudit.persona.index import TagIndex
from plaudit.persona.refresh import RefreshResult

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from plaudit.persona.compute import _Builder

__all__ = ["lake_index", "refresh_from_lake"]


# Views both engines provide (see _DuckDB and _Spark): `events` (interactions with `ts`, whole
# seconds), `accounts` (with `created_ts`), `profiles` (with `updated_us`), `videos`,
# `devices`, and the code tables `categories` and `device_classes` (name, number).
_SQL = {
    "top": "SELECT COALESCE(MAX(account_id), 0) AS top FROM accounts",
    "profiles_at": "SELECT MAX(updated_us) AS updated_us FROM profiles",
    "profiles": """
SELECT a.account_id AS id, a.kind, a.created_ts AS created,
       COALESCE(p.birth_year, -1) AS birth_year, COALESCE(p.gender, '') AS gender,
       COALESCE(p.province, '') AS province, COALESCE(p.city, '') AS city,
       COALESCE(p.city_tier, '') AS city_tier, COALESCE(p.spending_band, '') AS spend,
       p.consent_targeting AS consent
FROM accounts a JOIN profiles p ON p.account_id = a.account_id
""",
    "likes": """
SELECT l.account_id, COALESCE(c.number, -1) AS category, l.ts
FROM events l
LEFT JOIN videos v ON v.video_id = l.target_id
LEFT JOIN categories c ON c.name = v.category
WHERE l.kind = 'like'
  AND NOT EXISTS (SELECT 1 FROM events u WHERE u.kind = 'unlike' AND u.ref_id = l.ref_id)
""",
    "comments": """
SELECT e.account_id, COALESCE(c.number, -1) AS category, e.ts
FROM events e
LEFT JOIN videos v ON v.video_id = e.target_id
LEFT JOIN categories c ON c.name = v.category
WHERE e.kind = 'comment'
""",
    "shares": "SELECT account_id, ts FROM events WHERE kind = 'share'",
    "devices": """
SELECT account_id, number FROM (
  SELECT DISTINCT l.account_id, l.device, k.number
  FROM events l
  JOIN devices d ON d.device = l.device
  JOIN device_classes k ON k.name = d.device_class
  WHERE l.kind = 'like'
) seen
""",
    "follows": """
WITH standing AS (
  SELECT f.account_id AS follower, f.target_id AS creator
  FROM events f
  WHERE f.kind = 'follow'
    AND NOT EXISTS (SELECT 1 FROM events u WHERE u.kind = 'unfollow' AND u.ref_id = f.ref_id)
)
SELECT 0 AS side, follower AS id, COUNT(*) AS n FROM standing GROUP BY follower
UNION ALL
SELECT 1 AS side, creator AS id, COUNT(*) AS n FROM standing GROUP BY creator
""",
}
_NEEDED = (INTERACTIONS.name, ACCOUNTS.name, PROFILES.name, VIDEOS.name, DEVICES.name)
_CODES = {
    "categories": [(c.id, i) for i, c in enumerate(CATEGORIES)],
    "device_classes": [(name, i) for i, name in enumerate(DEVICE_CLASSES)],
}


def lake_index(
    url: str,
    engine: str,
    now: datetime | None = None,
    progress: Progress | None = None,
    spark: SparkSession | None = None,
) -> TagIndex:
    """The tag index of every account in the lake at `url`, computed by `engine`."""
    return _compute(url, engine, now, progress, spark)[0]


def refresh_from_lake(
    url: str,
    engine: str,
    data_path: Path,
    now: datetime | None = None,
    progress: Progress | None = None,
    spark: SparkSession | None = None,
) -> RefreshResult:
    """A full refresh from the lake, saved (and swapped in) as the database refresh saves."""
    now = now or datetime.now(UTC)
    index, marks = _compute(url, engine, now, progress, spark)
    index.meta.update(marks, last_full=now.isoformat(), mode="full", source=f"lake ({engine})")
    index.save(data_path)
    reason = f"from the lake {url} on the {engine} engine"
    return RefreshResult(index, True, reason, int(marks["accounts_top"]))


def _compute(
    url: str,
    engine: str,
    now: datetime | None,
    progress: Progress | None,
    spark: SparkSession | None,
) -> tuple[TagIndex, dict[str, Any]]:
    through = _check_lake(url)
    reader: _Reader
    if engine == "local":
        reader = _DuckDB(url)
    elif engine == "spark":
        reader = _Spark(url, spark)
    else:
        raise unknown_engine(engine)
    try:
        source = _LakeSource(reader)
        index = compute_from(source, now, progress)
        marks = {
            "events_seq": through - 1,
            "accounts_top": source.top(),
            "profiles_at": source.profiles_at(),
        }
    finally:
        reader.close()
    return index, marks


def _check_lake(url: str) -> int:
    """The lake's watermark, after checking it holds every table persona reads."""
    _location, manifest = open_lake(url)
    # interactions may rightly have no files yet (no events); every export writes each snapshot
    missing = [name for name in _NEEDED[1:] if not manifest.files(name)]
    if missing:
        raise InvalidInput(
            f"{url}: the lake has no {', '.join(missing)} table (exported before persona "
            f"read the lake); run `plaudit lake export {url}` again: every export rewrites "
            "the snapshots",
            field="lake",
        )
    return manifest.through_seq


class _Reader:
    """Runs one of the statements in `_SQL` and hands back an Arrow table."""

    def run(self, name: str) -> pa.Table:
        raise NotImplementedError

    def close(self) -> None:
        """Release the engine's resources (a Spark session given by the caller stays)."""


class _DuckDB(_Reader):
    """DuckDB over the manifest's files, scanned as Arrow datasets (streaming, by column)."""

    def __init__(self, url: str) -> None:
        import duckdb

        self.connection = duckdb.connect()
        self.connection.execute("SET TimeZone='UTC'")
        for table in _NEEDED:
            self.connection.register(f"raw_{table}", table_dataset(url, table))
        for name, rows in _CODES.items():
            codes = pa.table({"name": [r[0] for r in rows], "number": [r[1] for r in rows]})
            self.connection.register(name, codes)
        self.connection.execute(
            'CREATE VIEW events AS SELECT *, epoch_us("at") // 1000000 AS ts FROM raw_interactions'
        )
        self.connection.execute(
            'CREATE VIEW accounts AS SELECT *, epoch_us("created_at") // 1000000 AS created_ts '
            "FROM raw_accounts"
        )
        self.connection.execute(
            'CREATE VIEW profiles AS SELECT *, epoch_us("updated_at") AS updated_us '
            "FROM raw_profiles"
        )
        for table in (VIDEOS.name, DEVICES.name):
            self.connection.execute(f"CREATE VIEW {table} AS SELECT * FROM raw_{table}")

    def run(self, name: str) -> pa.Table:
        table: pa.Table = self.connection.sql(_SQL[name]).to_arrow_table()
        return table

    def close(self) -> None:
        self.connection.close()


class _Spark(_Reader):
    """PySpark DataFrames over the manifest's files; results come back through Arrow."""

    def __init__(self, url: str, spark: SparkSession | None) -> None:
        from pyspark.sql import functions as sf

        from plaudit.authenticity.lake_scan import spark_frame, spark_session

        self.session = spark if spark is not None else spark_session()
        frames = {table: spark_frame(self.session, url, table) for table in _NEEDED}
        self.views = ["events", "accounts", "profiles", VIDEOS.name, DEVICES.name, *_CODES]
        frames[INTERACTIONS.name].withColumn(
            "ts", sf.col("at").cast("long")
        ).createOrReplaceTempView("events")
        frames[ACCOUNTS.name].withColumn(
            "created_ts", sf.col("created_at").cast("long")
        ).createOrReplaceTempView("accounts")
        frames[PROFILES.name].withColumn(
            "updated_us", sf.unix_micros("updated_at")
        ).createOrReplaceTempView("profiles")
        for table in (VIDEOS.name, DEVICES.name):
            frames[table].createOrReplaceTempView(table)
        for name, rows in _CODES.items():
            frame = self.session.createDataFrame(rows, "name string, number bigint")
            frame.createOrReplaceTempView(name)

    def run(self, name: str) -> pa.Table:
        frame = self.session.sql(_SQL[name]).toPandas()
        return pa.Table.from_pandas(frame, preserve_index=False)

    def close(self) -> None:
        for view in self.views:
            self.session.catalog.dropTempView(view)


@dataclass
class _LakeSource:
    """compute.Source over the lake: every statement's columns as NumPy arrays."""

    reader: _Reader

    def top(self) -> int:
        return int(_ints(self.reader.run("top"), "top")[0])

    def profiles_at(self) -> str | None:
        found = self.reader.run("profiles_at").column("updated_us").to_pylist()
        if not found or found[0] is None:
            return None
        return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=found[0])).isoformat()

    def profiles(self, build: _Builder) -> Iterator[ProfileColumns]:
        table = self.reader.run("profiles")
        yield ProfileColumns(
            ids=_ints(table, "id"),
            created=_ints(table, "created").astype(np.float64),
            birth_year=_ints(table, "birth_year"),
            consent=np.asarray(table.column("consent").to_numpy(zero_copy_only=False), bool),
            coded={name: _coded(table.column(name)) for name in CODED_FIELDS},
        )

    def events(self, build: _Builder) -> Events:
        out: Events = {}
        for name, columns in (
            ("likes", ("account_id", "category", "ts")),
            ("comments", ("account_id", "category", "ts")),
            ("shares", ("account_id", "ts")),
        ):
            table = self.reader.run(name)
            out[name] = np.column_stack(
                [_ints(table, column).astype(np.float64) for column in columns]
            ).reshape(-1, len(columns))
        return out

    def devices(self, build: _Builder) -> Devices:
        table = self.reader.run("devices")
        return _ints(table, "account_id"), _ints(table, "number")

    def follows(self, build: _Builder) -> Follows:
        table = self.reader.run("follows")
        side, ids, counts = (_ints(table, c) for c in ("side", "id", "n"))
        return (ids[side == 0], counts[side == 0]), (ids[side == 1], counts[side == 1])


def _ints(table: pa.Table, column: str) -> NDArray[np.int64]:
    values = table.column(column).to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.int64)


def _coded(column: pa.ChunkedArray) -> tuple[NDArray[np.int64], list[str]]:
    """Dictionary codes of a text column (the statements turn NULL into "")."""
    encoded = column.cast(pa.string()).combine_chunks().dictionary_encode()
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return codes, [str(v) for v in encoded.dictionary.to_pylist()]
