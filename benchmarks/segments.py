"""Segment counting on the tag bitmaps against DuckDB on the same tag table (issue 5).

Generates a synthetic population of N accounts (default 10M) directly as tag bitmaps, with
marginals like the demo community's (gender and age from CNNIC, provinces by census
population, tiers, spending rising with tier, interests with Zipf-like prevalence, 85% of
accounts allowing targeting), then times the brand example's four clauses

    city_tier in (1, new1) and age in 25..35 and spend >= 5000 and gender = female

(median of many runs) through `plaudit.persona` (parse + evaluate + count), and DuckDB
counting the same condition over the same tags as a table of one BOOLEAN column per tag
plus an age column, built in the same run. Also prints the index size (portable
serialization, which is close to its memory footprint) and the time to build it.

`refresh N` times the persona refresh of a generated store instead; `refresh N --lake` the
refresh through the event lake on the local engine, against the database refresh of the
same generated community (identical bitmaps checked), or with `--no-store` against one plain
DuckDB pass over the lake. CPU time (user + sys of every thread) and the load average are
printed next to each wall time: the machine is shared.

Run: ``python benchmarks/segments.py [count|refresh] [n_accounts] [runs] [--lake [--no-store]]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray
from pyroaring import BitMap

from plaudit.accounts.model import CITY_TIERS, GENDERS, SPENDING_BANDS
from plaudit.catalog.categories import CATEGORIES
from plaudit.config import load_settings
from plaudit.lake.location import Location
from plaudit.lake.manifest import Manifest, PartFile
from plaudit.lake.read import table_dataset
from plaudit.lake.schema import ACCOUNTS, DEVICES, INTERACTIONS, PROFILES, TIME, VIDEOS
from plaudit.persona import TAGS, Audience, Privacy, TagIndex, parse
from plaudit.persona.devices import device_class
from plaudit.persona.engine import count, dense_count, evaluate
from plaudit.persona.index import bitmap_of
from plaudit.persona.lake import refresh_from_lake
from plaudit.persona.refresh import refresh_index
from plaudit.persona.taxonomy import AGE_BANDS, CITY_NAMES, family_tags
from plaudit.platform import Platform
from plaudit.sim.devices import USER_AGENTS

__all__ = ["EXPRESSION", "SQL", "population"]

DEFAULT_ACCOUNTS = 10_000_000
DEFAULT_RUNS = 200
EXPRESSION = "city_tier in (1, new1) and age in 25..35 and spend >= 5000 and gender = female"
SQL = (
    'SELECT count(*) FROM tags WHERE ("city_tier.1" OR "city_tier.new1") '
    'AND age BETWEEN 25 AND 35 AND ("spend.5000_10000" OR "spend.10000_plus") '
    'AND "gender.female"'
)

_GENDER = ("female", 0.478), ("male", 0.497), ("other", 0.004), ("undisclosed", 0.021)
_AGES = ((13, 19, 9.5), (20, 29, 17.8), (30, 39, 20.5), (40, 49, 18.8), (50, 59, 15.1),
         (60, 79, 11.2))  # fmt: skip
_TIERS = ("new1", 0.17), ("1", 0.07), ("2", 0.18), ("3", 0.25), ("4", 0.17), ("5", 0.16)
_SPEND = ("0_1000", "1000_3000", "3000_5000", "5000_10000", "10000_plus")
_TIER_SPEND = {"1": 0.8, "new1": 0.5, "2": 0.3, "3": 0.0, "4": -0.2, "5": -0.4}
_CATEGORICAL = {  # family -> shares of its tags, in taxonomy order
    "activity": (0.15, 0.35, 0.4, 0.1),
    "hours": (0.15, 0.15, 0.15, 0.35, 0.17, 0.03),
    "tenure": (0.05, 0.1, 0.35, 0.5),
    "role": (0.97, 0.025, 0.005),
    "follows": (0.4, 0.45, 0.12, 0.03),
}
_BINARY = {  # family -> prevalence of each tag
    "device": (0.25, 0.55, 0.2, 0.03, 0.1, 0.29),
    "creator": (0.01, 0.002, 0.0002),
    "engage": (0.3, 0.15, 0.1, 0.02),
    "life": (0.05, 0.15, 0.1, 0.04, 0.03, 0.03, 0.11),
    "campaign": (0.0, 0.0, 0.0),
}


def _categorical(rng: np.random.Generator, n: int, shares: list[float]) -> NDArray[np.intp]:
    p = np.asarray(shares, dtype=np.float64)
    return np.searchsorted(np.cumsum(p / p.sum()), rng.random(n), side="right")


def population(n: int, seed: int = 7) -> TagIndex:
    """A synthetic tag index of n accounts (ids 0..n-1), 85% with targeting consent."""
    rng = np.random.default_rng(seed)
    consent = rng.random(n) < 0.85
    ids = np.arange(n)
    tags: dict[str, BitMap] = {}

    def put(tag_id: str, mask: NDArray[np.bool_]) -> None:
        tags[tag_id] = bitmap_of(ids[mask & consent])

    gender = _categorical(rng, n, [s for _, s in _GENDER])
    for j, (name, _s) in enumerate(_GENDER):
        put(f"gender.{name}", gender == j)
    band = _categorical(rng, n, [s for *_, s in _AGES])
    lo = np.array([a for a, _, _ in _AGES])[band]
    hi = np.array([b for _, b, _ in _AGES])[band]
    age = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
    for suffix, a, b in AGE_BANDS:
        put(f"age.{suffix}", (age >= a) & (age <= b))
    tier = _categorical(rng, n, [s for _, s in _TIERS])
    for j, (name, _s) in enumerate(_TIERS):
        put(f"city_tier.{name}", tier == j)
    effect = np.array([_TIER_SPEND[name] for name, _ in _TIERS])[tier]
    spend = np.digitize(rng.normal(effect, 1.0), [-0.44, 0.54, 1.19, 1.89])
    for j, suffix in enumerate(_SPEND):
        put(f"spend.{suffix}", spend == j)
    for family in ("province", "city"):
        members = family_tags(family)
        weights = 1.0 / np.arange(1, len(members) + 1) ** 0.8
        pick = _categorical(rng, n, list(weights))
        keep = rng.random(n) < (1.0 if family == "province" else 0.45)  # 45% in a top-50 city
        for j, tag in enumerate(members):
            put(tag.id, (pick == j) & keep)
    interests = [t for t in family_tags("interest") if not t.id.endswith(".strong")]
    for rank, tag in enumerate(interests):
        mask = rng.random(n) < 0.25 / (1 + rank) ** 0.6
        put(tag.id, mask)
        put(f"{tag.id}.strong", mask & (rng.random(n) < 0.3))
    for family, shares in _CATEGORICAL.items():
        pick = _categorical(rng, n, list(shares))
        for j, tag in enumerate(family_tags(family)):
            put(tag.id, pick == j)
    for family, prevalences in _BINARY.items():
        for tag, p in zip(family_tags(family), prevalences, strict=True):
            put(tag.id, rng.random(n) < p)
    ages = {int(y): bitmap_of(ids[(age == y) & consent]) for y in np.unique(age)}
    assert set(tags) == {t.id for t in TAGS}
    return TagIndex(bitmap_of(ids[consent]), tags, ages)


def _duckdb_table(index: TagIndex, n: int) -> duckdb.DuckDBPyConnection:
    """One BOOLEAN column per tag and an INTEGER age, as a native DuckDB table."""
    columns: dict[str, pa.Array] = {"account_id": pa.array(np.arange(n, dtype=np.int64))}
    age = np.full(n, -1, dtype=np.int16)
    for years, bitmap in index.ages.items():
        age[np.frombuffer(bitmap.to_array(), dtype=np.uint32)] = years
    columns["age"] = pa.array(age, mask=age < 0)
    for tag in TAGS:
        mask = np.zeros(n, dtype=bool)
        mask[np.frombuffer(index.tag(tag.id).to_array(), dtype=np.uint32)] = True
        columns[tag.id] = pa.array(mask)
    arrow = pa.table(columns)
    conn = duckdb.connect()
    conn.register("arrow_tags", arrow)
    conn.execute("CREATE TABLE tags AS SELECT * FROM arrow_tags WHERE age IS NOT NULL")
    conn.unregister("arrow_tags")
    return conn


def _median_ms(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    fn()  # warm up
    times = []
    result: object = None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, result


def main(n: int = DEFAULT_ACCOUNTS, runs: int = DEFAULT_RUNS) -> None:
    start = time.perf_counter()
    index = population(n)
    built = time.perf_counter() - start
    size = index.memory_bytes()
    print(f"accounts: {n:,} ({len(index.universe):,} with targeting consent), {len(TAGS)} tags")
    print(f"index: {size / 1e6:.1f} MB in memory ({len(index.dense)} tags as packed words, "
          f"{len(index.sparse)} as Roaring, ages as {len(index.age_at_most)} at-most masks + "
          f"{len(index.old_ages)} bitmaps of 60+ years), built in {built:.1f} s")  # fmt: skip
    audience = Audience(index, Privacy(k=100))
    tree = parse(EXPRESSION)
    count_ms, total = _median_ms(lambda: audience.count(EXPRESSION)["count"], runs)
    eval_ms, _ = _median_ms(lambda: count(tree, index), runs)
    select_ms, _ = _median_ms(lambda: len(evaluate(tree, index)), runs)
    roaring = TagIndex(index.universe, index.tags, index.ages, dense_share=0)
    roaring_ms, same = _median_ms(lambda: count(tree, roaring), runs)
    assert same == total, (same, total)
    start = time.perf_counter()
    conn = _duckdb_table(index, n)
    loaded = time.perf_counter() - start
    duck_ms, duck = _median_ms(lambda: conn.execute(SQL).fetchone(), max(5, runs // 10))
    assert duck == (total,), (duck, total)
    print(f"expression: {EXPRESSION}")
    blocks = "block counter" if dense_count(tree, index) is not None else "general evaluator"
    print(f"count: {total:,} (DuckDB and the Roaring-only index agree; path: {blocks})")
    print(f"index, `segment count` (parse + count)  : {count_ms:.3f} ms median of {runs}")
    print(f"index, count of a parsed expression     : {eval_ms:.3f} ms")
    print(f"index, materialise the segment as Roaring: {select_ms:.3f} ms")
    print(f"anchor: every tag in Roaring, count     : {roaring_ms:.3f} ms "
          f"({roaring.memory_bytes() / 1e6:.1f} MB)")  # fmt: skip
    print(f"anchor: DuckDB over {len(TAGS)} BOOLEAN columns: {duck_ms:.3f} ms median "
          f"(table built in {loaded:.1f} s)")  # fmt: skip
    print(
        f"DuckDB / index time ratio: {duck_ms / count_ms:.1f}x; "
        f"Roaring-only / index: {roaring_ms / eval_ms:.1f}x"
    )


# ---- full refresh ------------------------------------------------------------------------

REFRESH_PER_ACCOUNT = {"likes": 4.0, "comments": 0.5, "shares": 0.3, "follows": 2.0}
REMOVED_SHARE = 0.05  # likes unliked and follows unfollowed
_BASE_US = int(np.datetime64("2026-01-01T00:00:00", "us").astype(np.int64))
_YEAR_US = 365 * 86400 * 1_000_000


def _stamp(micros: NDArray[np.int64]) -> list[str]:
    """SQLite's text form of UTC timestamps, as SQLAlchemy writes them."""
    return [str(v).replace("T", " ") for v in micros.astype("datetime64[us]")]


@dataclass
class Community:
    """A generated community as arrays: what the store and the lake are both written from, so
    the database refresh and the lake refresh read the same facts."""

    n: int
    created_us: NDArray[np.int64]  # per account 1..n (index 0 unused)
    profile: dict[str, NDArray[Any]]
    video_category: NDArray[np.int64]  # per video 1..V (index 0 unused), CATEGORIES number
    device_owner: NDArray[np.int64]  # per device 1..D (index 0 unused)
    device_agent: NDArray[np.int64]  # USER_AGENTS number
    tables: dict[str, dict[str, NDArray[Any]]]  # likes, comments, shares, follows: columns

    @property
    def creators(self) -> int:
        return max(10, self.n // 100)

    @property
    def rows(self) -> int:
        return sum(len(t["who"]) for t in self.tables.values())


def generate(n: int, seed: int = 7) -> Community:
    """n accounts with profiles (85% allow targeting), 1-2 devices each, videos, and likes,
    comments, shares and follows in the proportions of REFRESH_PER_ACCOUNT over the last 36
    days of a year; 5% of likes and follows removed later. One like per account and video and
    one follow per pair, as the store's unique indexes have it."""
    rng = np.random.default_rng(seed)
    creators = max(10, n // 100)
    videos = creators * 10
    created = np.zeros(n + 1, dtype=np.int64)
    created[1:] = _BASE_US + (rng.random(n) * _YEAR_US * 0.9).astype(np.int64)
    profile = {
        "birth_year": rng.integers(1950, 2011, n + 1),
        "gender": rng.integers(0, len(GENDERS), n + 1),
        "province": rng.integers(0, len(family_tags("province")), n + 1),
        "city": rng.integers(0, len(CITY_NAMES), n + 1),
        "city_tier": rng.integers(0, len(CITY_TIERS), n + 1),
        "spend": rng.integers(0, len(SPENDING_BANDS), n + 1),
        "consent": rng.random(n + 1) < 0.85,
    }
    second = np.flatnonzero(rng.random(n + 1) < 0.3)[1:] if n else np.zeros(0, np.int64)
    owner = np.concatenate([[0], np.arange(1, n + 1), second]).astype(np.int64)
    agent = rng.integers(0, len(USER_AGENTS), len(owner))
    first_device = np.arange(n + 1)  # device id = account id for the first device
    second_device = np.zeros(n + 1, dtype=np.int64)
    second_device[second] = np.arange(n + 1, n + 1 + len(second))
    tables: dict[str, dict[str, NDArray[Any]]] = {}
    for table, per in REFRESH_PER_ACCOUNT.items():
        m = int(n * per)
        who = rng.integers(1, n + 1, m)
        target = rng.integers(1, (creators if table == "follows" else videos) + 1, m)
        if table in {"likes", "follows"}:  # one standing row per pair
            _keys, first = np.unique(who * (videos + 1) + target, return_index=True)
            first.sort()
            who, target = who[first], target[first]
            m = len(who)
        when = _BASE_US + int(_YEAR_US * 0.9) + (rng.random(m) * _YEAR_US * 0.1).astype(np.int64)
        columns = {"who": who, "target": target, "when": when}
        if table != "follows":
            use_second = (second_device[who] > 0) & (rng.random(m) < 0.4)
            columns["device"] = np.where(use_second, second_device[who], first_device[who])
        if table in {"likes", "follows"}:
            removed = rng.random(m) < REMOVED_SHARE
            columns["removed"] = np.where(
                removed, when + (rng.random(m) * 86400e6).astype(np.int64), -1
            )
        tables[table] = columns
    category = np.zeros(videos + 1, dtype=np.int64)
    category[1:] = np.arange(1, videos + 1) % len(CATEGORIES)
    return Community(n, created, profile, category, owner, agent, tables)


def write_store(data_dir: Path, c: Community) -> None:
    """A migrated SQLite store of the community, inserted directly (the ingest path would
    take hours at 10M)."""
    settings = load_settings(flags={"data_dir": str(data_dir)}, env={})
    Platform(settings).open().close()  # the schema, by the migrations
    conn = sqlite3.connect(data_dir / "plaudit.db")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA journal_mode=OFF")
    chunk = 500_000
    provinces = [t.id.split(".")[1].upper() for t in family_tags("province")]
    cities = list(CITY_NAMES.values())
    p = c.profile
    for start in range(1, c.n + 1, chunk):
        ids = np.arange(start, min(c.n + 1, start + chunk))
        created = _stamp(c.created_us[ids])
        conn.executemany(
            "INSERT INTO accounts (id, handle, kind, display_name, created_at) "
            "VALUES (?, ?, ?, '', ?)",
            ((int(i), f"u{i}", "creator" if i <= c.creators else "fan", at)
             for i, at in zip(ids, created, strict=True)),
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO profiles (account_id, birth_year, gender, province, city, city_tier, "
            "spending_band, consent_personalisation, consent_targeting, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
            (
                (int(i), int(p["birth_year"][i]), GENDERS[p["gender"][i]],
                 provinces[p["province"][i]], cities[p["city"][i]], CITY_TIERS[p["city_tier"][i]],
                 SPENDING_BANDS[p["spend"][i]], bool(p["consent"][i]), at)
                for i, at in zip(ids, created, strict=True)
            ),
        )  # fmt: skip
    conn.executemany(
        "INSERT INTO devices (id, device_key, user_agent, first_seen_at) "
        "VALUES (?, ?, ?, '2026-01-01 00:00:00.000000')",
        ((d, f"key{d}", USER_AGENTS[c.device_agent[d]]) for d in range(1, len(c.device_owner))),
    )
    conn.executemany(
        "INSERT INTO videos (id, creator_id, title, category, duration_s, published_at) "
        "VALUES (?, ?, 'clip', ?, 30, '2026-01-01 00:00:00.000000')",
        ((v, 1 + v % c.creators, CATEGORIES[c.video_category[v]].id)
         for v in range(1, len(c.video_category))),
    )  # fmt: skip
    sql = {
        "likes": "INSERT INTO likes (id, account_id, video_id, device_id, created_at, "
        "removed_at, source) VALUES (?, ?, ?, ?, ?, ?, 'app')",
        "comments": "INSERT INTO comments (id, account_id, video_id, device_id, created_at, "
        "body, source) VALUES (?, ?, ?, ?, ?, '好', 'app')",
        "shares": "INSERT INTO shares (id, account_id, video_id, device_id, created_at, "
        "channel, source) VALUES (?, ?, ?, ?, ?, 'wechat', 'app')",
        "follows": "INSERT INTO follows (id, follower_id, creator_id, created_at, removed_at, "
        "source) VALUES (?, ?, ?, ?, ?, 'app')",
    }
    for table, columns in c.tables.items():
        for start in range(0, len(columns["who"]), chunk):
            part = {k: v[start : start + chunk] for k, v in columns.items()}
            when = _stamp(part["when"])
            removed = [None if r < 0 else s for r, s in
                       zip(part.get("removed", part["when"] * 0 - 1),
                           _stamp(np.maximum(part.get("removed", part["when"]), 0)),
                           strict=True)]  # fmt: skip
            ids = range(start + 1, start + 1 + len(when))
            if table in {"likes", "follows"}:
                rows: Any = (
                    (i, int(a), int(b), *([int(d)] if table == "likes" else []), w, r)
                    for i, a, b, d, w, r in zip(
                        ids, part["who"], part["target"],
                        part.get("device", part["who"]), when, removed, strict=True
                    )
                )  # fmt: skip
            else:
                rows = (
                    (i, int(a), int(b), int(d), w)
                    for i, a, b, d, w in zip(
                        ids, part["who"], part["target"], part["device"], when, strict=True
                    )
                )
            conn.executemany(sql[table], rows)
    conn.commit()
    conn.close()


def write_lake(url: str, c: Community) -> int:
    """The community as the event lake `plaudit lake export` writes: interactions as day
    partitions (a like, and an unlike for each removed one; the same for follows) and the
    snapshots persona reads, with a manifest. Returns the events written."""
    location = Location.of(url)
    manifest = Manifest(exports=1, exported_at=datetime.now(UTC).isoformat())
    seq = 0
    kinds = {"likes": ("like", "unlike"), "comments": ("comment", ""), "shares": ("share", ""),
             "follows": ("follow", "unfollow")}  # fmt: skip
    for table, columns in c.tables.items():
        made, removal = kinds[table]
        m = len(columns["who"])
        ref = np.arange(1, m + 1)
        parts = [(made, ref, columns["when"], columns.get("device"))]
        if removal:
            gone = columns["removed"] >= 0
            parts.append((removal, ref[gone], columns["removed"][gone], None))
        for kind, refs, when, device in parts:
            for start in range(0, len(refs), 4_000_000):
                piece = slice(start, start + 4_000_000)
                rows = refs[piece]
                data = pa.table({
                    "seq": pa.array(np.arange(seq, seq + len(rows))),
                    "kind": pa.array([kind] * len(rows), pa.string()),
                    "ref_id": pa.array(rows),
                    "account_id": pa.array(columns["who"][rows - 1]),
                    "target_id": pa.array(columns["target"][rows - 1]),
                    "at": pa.array(when[piece]).cast(TIME),
                    "source": pa.array(["app"] * len(rows), pa.string()),
                    "device": pa.array(device[piece]).cast(pa.string())
                    if device is not None else pa.nulls(len(rows), pa.string()),
                    "network": pa.nulls(len(rows), pa.string()),
                })  # fmt: skip
                data = data.append_column("day", data["at"].cast(pa.date32()).cast(pa.string()))
                _write_days(location, manifest, data, seq, seq + len(rows))
                seq += len(rows)
    ids = np.arange(1, c.n + 1)
    provinces = [t.id.split(".")[1].upper() for t in family_tags("province")]
    cities = list(CITY_NAMES.values())
    p = c.profile
    snapshots = {
        ACCOUNTS: {
            "account_id": ids,
            "kind": np.where(ids <= c.creators, "creator", "fan"),
            "created_at": pa.array(c.created_us[1:]).cast(TIME),
        },
        PROFILES: {
            "account_id": ids,
            "birth_year": p["birth_year"][1:].astype(np.int16),
            "gender": np.array(GENDERS)[p["gender"][1:]],
            "province": np.array(provinces)[p["province"][1:]],
            "city_tier": np.array(CITY_TIERS)[p["city_tier"][1:]],
            "spending_band": np.array(SPENDING_BANDS)[p["spend"][1:]],
            "consent_personalisation": np.ones(c.n, dtype=bool),
            "consent_targeting": p["consent"][1:],
            "updated_at": pa.array(c.created_us[1:]).cast(TIME),
            "city": np.array(cities)[p["city"][1:]],
        },
        VIDEOS: {
            "video_id": np.arange(1, len(c.video_category)),
            "creator_id": 1 + np.arange(1, len(c.video_category)) % c.creators,
            "category": np.array([k.id for k in CATEGORIES])[c.video_category[1:]],
        },
        DEVICES: {
            "device": pa.array(np.arange(1, len(c.device_owner))).cast(pa.string()),
            "device_class": np.array([device_class(a) for a in USER_AGENTS])[c.device_agent[1:]],
        },
    }
    for schema, columns in snapshots.items():
        path = f"{schema.name}/export=000001/part-0.parquet"
        data = pa.table({k: pa.array(v) for k, v in columns.items()}).cast(schema.arrow)
        _write_parquet(location, path, data)
        manifest.tables[schema.name] = [PartFile(path, data.num_rows)]
    manifest.through_seq = seq
    manifest.save(location)
    return seq


def _write_days(location: Location, manifest: Manifest, data: pa.Table, lo: int, hi: int) -> None:
    for day in sorted(pc.unique(data["day"]).to_pylist()):
        part = data.filter(pc.equal(data["day"], day))
        path = f"interactions/day={day}/seq-{lo:012d}-{hi - 1:012d}.parquet"
        _write_parquet(location, path, part.cast(INTERACTIONS.arrow))
        manifest.tables.setdefault("interactions", []).append(PartFile(path, part.num_rows))


def _write_parquet(location: Location, path: str, data: pa.Table) -> None:
    sink = pa.BufferOutputStream()
    pq.write_table(data, sink, compression="zstd")
    location.write_bytes(path, sink.getvalue().to_pybytes())


@dataclass
class Timed:
    wall: float
    cpu: float  # user + sys of this process (every thread: DuckDB's and NumPy's)
    load: float  # one-minute load average at the end

    def line(self) -> str:
        return f"{self.wall:.1f} s wall, {self.cpu:.1f} s CPU (load average {self.load:.1f})"


def timed(fn: Callable[[], Any]) -> tuple[Any, Timed]:
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    result = fn()
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result, Timed(time.perf_counter() - start, cpu, os.getloadavg()[0])


def _touch_profiles(data_dir: Path, every: int) -> int:
    """Mark every `every`-th profile as changed now (as an edit or a consent change does)."""
    conn = sqlite3.connect(data_dir / "plaudit.db")
    now = _stamp(np.array([_BASE_US + 2 * _YEAR_US]))[0]
    changed = conn.execute(
        f"UPDATE profiles SET updated_at = ? WHERE account_id % {every} = 0", (now,)
    ).rowcount
    conn.commit()
    conn.close()
    return int(changed)


def _same_bitmaps(a: TagIndex, b: TagIndex) -> bool:
    return a.universe == b.universe and all(a.tag(t.id) == b.tag(t.id) for t in TAGS)


def refresh_main(n: int) -> None:
    """Time a full `plaudit persona refresh` (compute + save) of n accounts from the store,
    then an incremental one after 1% of the profiles changed."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        rows, took = timed(lambda: _generated_store(data, n))
        print(f"store: {n:,} accounts, {rows:,} interactions and follows, "
              f"generated in {took.wall:.0f} s")  # fmt: skip
        platform = Platform(load_settings(flags={"data_dir": str(data)}, env={})).open()
        try:
            result, full = timed(lambda: refresh_index(platform.db, data, full=True))
            per_million = full.wall / (n / 1e6)
            print(f"full refresh: {full.line()} ({per_million:.1f} s per million accounts; "
                  f"{len(result.index.universe):,} with targeting consent)",
                  flush=True)  # fmt: skip
            print(f"linear projection to 10M accounts: {per_million * 10 / 60:.1f} min "
                  f"(target: 10 min)", flush=True)  # fmt: skip
            touched = _touch_profiles(data, every=100)
            incremental, inc = timed(lambda: refresh_index(platform.db, data))
        finally:
            platform.close()
    print(
        f"incremental refresh after {touched:,} profile changes (1%): {inc.line()}, "
        f"{incremental.recomputed:,} accounts recomputed"
    )


def lake_main(n: int, with_store: bool) -> None:
    """Time the full refresh through the lake on the local engine (DuckDB + NumPy), against
    the database refresh of the same community (`with_store`) or, without it, against one
    plain DuckDB pass over the lake's interactions (the least any refresh must read)."""
    with tempfile.TemporaryDirectory() as tmp:
        data, lake = Path(tmp) / "data", str(Path(tmp) / "lake")
        (rows, events), took = timed(lambda: _generated_lake(lake, data if with_store else None, n))
        print(f"community: {n:,} accounts, {rows:,} interactions and follows; lake: "
              f"{events:,} events{'; the same in a SQLite store' if with_store else ''}, "
              f"written in {took.wall:.0f} s", flush=True)  # fmt: skip
        (Path(tmp) / "lake-index").mkdir()
        steps = _Steps()
        result, on_lake = timed(
            lambda: refresh_from_lake(lake, "local", Path(tmp) / "lake-index", progress=steps)
        )
        steps("saved")
        print(f"lake refresh CPU per step: {steps.line()}")
        consenting = len(result.index.universe)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB -> GB
        print(f"lake refresh, local engine (read + compute + save): {on_lake.line()}; "
              f"{consenting:,} accounts with targeting consent; peak RSS of the process so "
              f"far {peak:.1f} GB", flush=True)  # fmt: skip
        per_million = on_lake.wall / (n / 1e6)
        cpu_per_million = on_lake.cpu / (n / 1e6)
        print(f"linear projection to 10M accounts: {per_million * 10 / 60:.1f} min wall, "
              f"{cpu_per_million * 10 / 60:.1f} min CPU (target: 10 min)")  # fmt: skip
        if with_store:
            platform = Platform(load_settings(flags={"data_dir": str(data)}, env={})).open()
            try:
                stored_result, anchor = timed(
                    lambda: refresh_index(platform.db, data, result.index.meta["as_of"] and
                                          datetime.fromisoformat(result.index.meta["as_of"]),
                                          full=True)
                )  # fmt: skip
                touched = _touch_profiles(data, every=100)
                incremental, inc = timed(lambda: refresh_index(platform.db, data))
            finally:
                platform.close()
            same = _same_bitmaps(result.index, stored_result.index)
            print(f"anchor: database refresh of the same community: {anchor.line()}")
            print(f"database incremental refresh after {touched:,} profile changes (1%): "
                  f"{inc.line()}, {incremental.recomputed:,} accounts recomputed")  # fmt: skip
            print(f"lake / database: {on_lake.wall / anchor.wall:.2f}x wall, "
                  f"{on_lake.cpu / anchor.cpu:.2f}x CPU; identical bitmaps: {same}")  # fmt: skip
        else:
            scan = 'SELECT count(*), sum(epoch_us("at") // 1000000) FROM interactions'
            _, anchor = timed(lambda: _duckdb_pass(lake, scan))
            print(f"anchor: one DuckDB pass over the interactions: {anchor.line()}")
            print(f"lake refresh / one pass: {on_lake.wall / anchor.wall:.1f}x wall, "
                  f"{on_lake.cpu / anchor.cpu:.1f}x CPU")  # fmt: skip


class _Steps:
    """CPU seconds between the refresh's progress steps (each step names what starts)."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []

    def __call__(self, label: str) -> None:
        self.marks.append((label, time.process_time()))

    def line(self) -> str:
        spans = zip(self.marks, self.marks[1:], strict=False)
        return ", ".join(f"{a} {end - start:.1f} s" for (a, start), (_b, end) in spans)


def _generated_store(data: Path, n: int) -> int:
    community = generate(n)
    write_store(data, community)
    return community.rows


def _generated_lake(lake: str, data: Path | None, n: int) -> tuple[int, int]:
    """The community in the lake (and in a store at `data`); the arrays are freed on return,
    before anything is timed."""
    community = generate(n)
    events = write_lake(lake, community)
    if data is not None:
        write_store(data, community)
    return community.rows, events


def _duckdb_pass(lake: str, sql: str) -> object:
    conn = duckdb.connect()
    try:
        conn.register("interactions", table_dataset(lake, "interactions"))
        return conn.execute(sql).fetchone()
    finally:
        conn.close()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Segment count against DuckDB on N generated accounts; with `refresh`, "
        "the full and incremental refresh of a generated store instead."
    )
    parser.add_argument("mode", nargs="?", choices=("count", "refresh"), default="count")
    parser.add_argument(
        "accounts", nargs="?", type=int, help="accounts (default 10M; 1M for refresh)"
    )
    parser.add_argument("runs", nargs="?", type=int, help="count runs for the median")
    parser.add_argument(
        "--lake",
        action="store_true",
        help="refresh: through the event lake on the local engine, against the database "
        "refresh of the same community",
    )
    parser.add_argument(
        "--no-store",
        action="store_true",
        help="with --lake: skip the store (at 10M it takes half an hour to write); the anchor "
        "is then one DuckDB pass over the lake",
    )
    return parser.parse_args()


if __name__ == "__main__":
    arguments = _arguments()
    if arguments.mode == "refresh" and arguments.lake:
        lake_main(arguments.accounts or 1_000_000, with_store=not arguments.no_store)
    elif arguments.mode == "refresh":
        refresh_main(arguments.accounts or 1_000_000)
    else:
        main(*[a for a in (arguments.accounts, arguments.runs) if a is not None])
