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

Run: ``PYTHONPATH=src python benchmarks/segments.py [n_accounts] [runs]``.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import duckdb
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from pyroaring import BitMap

from plaudit.persona import TAGS, Audience, Privacy, TagIndex, parse
from plaudit.persona.index import bitmap_of
from plaudit.persona.language import count, evaluate
from plaudit.persona.taxonomy import AGE_BANDS, family_tags

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
    print(f"index: {size / 1e6:.1f} MB ({len(index.ages)} exact-age bitmaps included), "
          f"built in {built:.1f} s")  # fmt: skip
    audience = Audience(index, Privacy(k=100))
    tree = parse(EXPRESSION)
    bitmap_ms, total = _median_ms(lambda: audience.count(EXPRESSION)["count"], runs)
    eval_ms, _ = _median_ms(lambda: count(tree, index), runs)
    select_ms, _ = _median_ms(lambda: len(evaluate(tree, index)), runs)
    start = time.perf_counter()
    conn = _duckdb_table(index, n)
    loaded = time.perf_counter() - start
    duck_ms, duck = _median_ms(lambda: conn.execute(SQL).fetchone(), max(5, runs // 10))
    assert duck == (total,), (duck, total)
    print(f"expression: {EXPRESSION}")
    print(f"count: {total:,} (DuckDB agrees)")
    print(f"bitmaps, `segment count` (parse + count): {bitmap_ms:.3f} ms median of {runs}")
    print(f"bitmaps, count of a parsed expression   : {eval_ms:.3f} ms")
    print(f"bitmaps, materialise the segment + len  : {select_ms:.3f} ms")
    print(f"DuckDB over {len(TAGS)} BOOLEAN columns        : {duck_ms:.3f} ms median "
          f"(table built in {loaded:.1f} s)")  # fmt: skip
    print(f"DuckDB / bitmaps time ratio: {duck_ms / bitmap_ms:.1f}x")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
