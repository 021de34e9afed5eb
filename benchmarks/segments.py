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

Run: ``python benchmarks/segments.py [count|refresh] [n_accounts] [runs]``.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from pyroaring import BitMap

from plaudit.accounts.model import CITY_TIERS, GENDERS, SPENDING_BANDS
from plaudit.catalog.categories import CATEGORIES
from plaudit.config import load_settings
from plaudit.persona import TAGS, Audience, Privacy, TagIndex, parse
from plaudit.persona.engine import count, dense_count, evaluate
from plaudit.persona.index import bitmap_of
from plaudit.persona.refresh import refresh_index
from plaudit.persona.taxonomy import AGE_BANDS, CITY_NAMES, family_tags
from plaudit.platform import Platform

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


def _stamp(seconds: NDArray[np.float64]) -> list[str]:
    """SQLite's text form of UTC timestamps, as SQLAlchemy writes them."""
    base = np.datetime64("2026-01-01T00:00:00", "us")
    values = base + (seconds * 1e6).astype("timedelta64[us]")
    return [str(v).replace("T", " ") for v in values]


def synthetic_store(data_dir: Path, n: int, seed: int = 7) -> int:
    """A migrated SQLite store of n accounts with profiles, videos and interactions in the
    proportions of REFRESH_PER_ACCOUNT, inserted directly (the ingest path would take hours
    at 10M). Returns the number of interaction rows."""
    settings = load_settings(flags={"data_dir": str(data_dir)}, env={})
    Platform(settings).open().close()  # the schema, by the migrations
    rng = np.random.default_rng(seed)
    conn = sqlite3.connect(data_dir / "plaudit.db")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA journal_mode=OFF")
    creators = max(10, n // 100)
    year = 365 * 86400.0
    chunk = 500_000
    for start in range(1, n + 1, chunk):
        ids = np.arange(start, min(n + 1, start + chunk))
        created = _stamp(rng.random(len(ids)) * year * 0.9)
        conn.executemany(
            "INSERT INTO accounts (id, handle, kind, display_name, created_at) "
            "VALUES (?, ?, ?, '', ?)",
            ((int(i), f"u{i}", "creator" if i <= creators else "fan", c)
             for i, c in zip(ids, created, strict=True)),
        )  # fmt: skip
        provinces = [t.id.split(".")[1].upper() for t in family_tags("province")]
        cities = list(CITY_NAMES.values())
        conn.executemany(
            "INSERT INTO profiles (account_id, birth_year, gender, province, city, city_tier, "
            "spending_band, consent_personalisation, consent_targeting, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
            (
                (int(i), int(by), GENDERS[g], provinces[p], cities[c], CITY_TIERS[t],
                 SPENDING_BANDS[s], bool(ok), u)
                for i, by, g, p, c, t, s, ok, u in zip(
                    ids, rng.integers(1950, 2011, len(ids)), rng.integers(0, 4, len(ids)),
                    rng.integers(0, len(provinces), len(ids)),
                    rng.integers(0, len(cities), len(ids)), rng.integers(0, 6, len(ids)),
                    rng.integers(0, 5, len(ids)), rng.random(len(ids)) < 0.85, created,
                    strict=True,
                )
            ),
        )  # fmt: skip
    videos = creators * 10
    conn.executemany(
        "INSERT INTO videos (id, creator_id, title, category, duration_s, published_at) "
        "VALUES (?, ?, 'clip', ?, 30, '2026-01-01 00:00:00.000000')",
        ((v, 1 + v % creators, CATEGORIES[v % len(CATEGORIES)].id) for v in range(1, videos + 1)),
    )
    rows = 0
    for table, per in REFRESH_PER_ACCOUNT.items():
        total = int(n * per)
        for start in range(0, total, chunk):
            m = min(chunk, total - start)
            who = rng.integers(1, n + 1, m)
            when = _stamp(year * 0.9 + rng.random(m) * year * 0.1)
            if table == "follows":
                sql = ("INSERT INTO follows (follower_id, creator_id, source, created_at) "
                       "VALUES (?, ?, 'app', ?)")  # fmt: skip
                target = rng.integers(1, creators + 1, m)
            else:
                extra = {"likes": "source", "comments": "body, source", "shares": "channel, source"}
                values = {"likes": "'app'", "comments": "'好', 'app'", "shares": "'wechat', 'app'"}
                sql = (f"INSERT INTO {table} (account_id, video_id, {extra[table]}, created_at) "
                       f"VALUES (?, ?, {values[table]}, ?)")  # fmt: skip
                target = rng.integers(1, videos + 1, m)
            conn.executemany(
                sql.replace("INSERT", "INSERT OR IGNORE"),
                ((int(a), int(b), w) for a, b, w in zip(who, target, when, strict=True)),
            )
            rows += m
    conn.commit()
    conn.close()
    return rows


def _touch_profiles(data_dir: Path, every: int) -> int:
    """Mark every `every`-th profile as changed now (as an edit or a consent change does)."""
    conn = sqlite3.connect(data_dir / "plaudit.db")
    now = _stamp(np.array([2 * 365 * 86400.0]))[0]
    changed = conn.execute(
        f"UPDATE profiles SET updated_at = ? WHERE account_id % {every} = 0", (now,)
    ).rowcount
    conn.commit()
    conn.close()
    return int(changed)


def refresh_main(n: int) -> None:
    """Time a full `plaudit persona refresh` (compute + save) of n accounts."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        start = time.perf_counter()
        rows = synthetic_store(data, n)
        print(f"store: {n:,} accounts, {rows:,} interactions and follows, "
              f"generated in {time.perf_counter() - start:.0f} s")  # fmt: skip
        platform = Platform(load_settings(flags={"data_dir": str(data)}, env={})).open()
        try:
            start = time.perf_counter()
            result = refresh_index(platform.db, data, full=True)
            took = time.perf_counter() - start
            per_million = took / (n / 1e6)
            consenting = len(result.index.universe)
            print(f"full refresh: {took:.1f} s ({per_million:.1f} s per million accounts; "
                  f"{consenting:,} with targeting consent)", flush=True)  # fmt: skip
            print(f"linear projection to 10M accounts: {per_million * 10 / 60:.1f} min "
                  f"(target: 10 min)", flush=True)  # fmt: skip
            touched = _touch_profiles(data, every=100)
            start = time.perf_counter()
            incremental = refresh_index(platform.db, data)
            took_incremental = time.perf_counter() - start
        finally:
            platform.close()
    print(
        f"incremental refresh after {touched:,} profile changes (1%): "
        f"{took_incremental:.1f} s, {incremental.recomputed:,} accounts recomputed"
    )


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
    return parser.parse_args()


if __name__ == "__main__":
    arguments = _arguments()
    if arguments.mode == "refresh":
        refresh_main(arguments.accounts or 1_000_000)
    else:
        main(*[a for a in (arguments.accounts, arguments.runs) if a is not None])
