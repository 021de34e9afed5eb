"""Compute every account's tags from profiles and behaviour: `plaudit persona refresh`.

The job streams rows from the store in chunks into NumPy arrays indexed by account id (no
Python object per account survives a chunk), derives one boolean column per tag, and turns
each into a Roaring bitmap. Accounts without targeting consent are removed from every
bitmap, so a withdrawal takes effect at the next refresh. Rules are in the taxonomy's
definitions (`plaudit persona tags`); interest strength decays with a 30-day half-life.

`compute_index` computes every account, or only a sorted subset of ids (the incremental
refresh in refresh.py merges those into the previous index); in a subset the arrays are
indexed by position in it, so an incremental refresh stays small. Rows stream in chunks
(on SQLite through the driver's cursor); at 10M accounts the interest weights (accounts x 32
float64) are the largest structure, about 2.6 GB. `benchmarks/segments.py refresh N` times
a full refresh.

Reading and deriving are apart: a `Source` hands over columns (accounts with profiles,
event rows in whole seconds, distinct devices, follow counts) and `compute_from` derives the
tags from them, so the store (`compute_index`) and the event lake on DuckDB or Spark
(`persona/lake.py`) give the same bitmaps through one derivation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import BigInteger, ColumnElement, Select, cast, func, select
from sqlalchemy.engine import Connection

from plaudit.accounts.model import CITY_TIERS, GENDERS
from plaudit.catalog.categories import CATEGORIES
from plaudit.persona.devices import DEVICE_CLASSES, device_class
from plaudit.persona.index import TagIndex, bitmap_of
from plaudit.persona.taxonomy import AGE_BANDS, CITY_NAMES, SPEND_BANDS, TAGS
from plaudit.store import Database, tables

__all__ = [
    "CODED_FIELDS",
    "HALF_LIFE_DAYS",
    "Devices",
    "Events",
    "Follows",
    "ProfileColumns",
    "Source",
    "coded_of",
    "compute_from",
    "compute_index",
]

HALF_LIFE_DAYS = 30.0
_CHUNK = 200_000
_IN_CHUNK = 5_000  # account ids per IN (...) of an incremental refresh
_DAY = 86400.0
_CAT_INDEX = {c.id: i for i, c in enumerate(CATEGORIES)}
_HOUR_WINDOWS = np.array(  # China time hour -> window index of the `hours` family
    [4, 4, 5, 5, 5, 5, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4]
)
_HOUR_NAMES = ("morning", "noon", "afternoon", "evening", "night", "late_night")
_UNIT = float(2**30)
"""Interest weights are sums of per-event decays rounded to units of 2^-30: sums of whole
numbers below 2^53 are exact in float64 in any order, so the store, DuckDB and Spark, which
hand over the same events in different orders, give the same weights to the last bit (and the
same tags at a threshold)."""

Bools = NDArray[np.bool_]
Progress = Callable[[str], None]
Events = dict[str, NDArray[np.float64]]
Devices = tuple[NDArray[np.int64], NDArray[np.int64]]
Follows = tuple[
    tuple[NDArray[np.int64], NDArray[np.int64]], tuple[NDArray[np.int64], NDArray[np.int64]]
]


def _epoch(conn: Connection, column: Any) -> ColumnElement[Any]:
    """Whole Unix seconds (rounded down), as the lake engines read them: every reader hands
    the computation the same integers (SQLite's julianday arithmetic would not)."""
    if conn.dialect.name == "sqlite":
        return cast(func.strftime("%s", column), BigInteger)
    return cast(func.floor(func.extract("epoch", column)), BigInteger)


def _stream(conn: Connection, stmt: Select[Any]) -> Iterator[list[Any]]:
    """Rows as tuples, in chunks. On SQLite the statement (whose parameters are numbers)
    runs on the driver's cursor: building SQLAlchemy rows costs more than SQLite's reading."""
    if conn.dialect.name == "sqlite":
        sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql)
            while rows := cursor.fetchmany(_CHUNK):
                yield rows
        finally:
            cursor.close()
        return
    result = conn.execution_options(stream_results=True).execute(stmt)
    for part in result.partitions(_CHUNK):
        yield [tuple(row) for row in part]  # Row objects are not sequences NumPy reads fast


def _numeric(conn: Connection, stmts: Iterable[Select[Any]], width: int) -> NDArray[np.float64]:
    """All rows of numeric queries as one float64 matrix (NULL becomes NaN)."""
    parts = [
        np.array(rows, dtype=np.float64).reshape(-1, width)
        for stmt in stmts
        for rows in _stream(conn, stmt)
    ]
    return np.concatenate(parts) if parts else np.empty((0, width))


class _Builder:
    """Boolean tag columns over the accounts being computed, then bitmaps.

    A full refresh computes every account id 0..top (positions are ids); an incremental one
    only the sorted ids in `only` (positions index into it), so its arrays stay small.
    """

    def __init__(self, top: int, only: NDArray[np.int64] | None = None) -> None:
        self.only = only
        self.size = top + 1 if only is None else len(only)
        self.columns: dict[str, Bools] = {}

    def set(self, tag_id: str, mask: Bools) -> None:
        self.columns[tag_id] = mask

    def pos(self, ids: NDArray[Any]) -> NDArray[np.int64]:
        """Positions of account ids (which must be among the accounts computed)."""
        ids = np.asarray(ids).astype(np.int64)
        return ids if self.only is None else np.searchsorted(self.only, ids)

    def ids(self, mask: Bools) -> NDArray[np.int64]:
        """The account ids where `mask` is set."""
        where = np.flatnonzero(mask)
        return where if self.only is None else self.only[where]

    def restrict(self, stmt: Select[Any], column: Any) -> Iterator[Select[Any]]:
        """The statement, or (incremental) one per chunk of the accounts computed."""
        if self.only is None:
            yield stmt
            return
        for start in range(0, len(self.only), _IN_CHUNK):
            chunk = [int(i) for i in self.only[start : start + _IN_CHUNK]]
            yield stmt.where(column.in_(chunk))


Coded = tuple[NDArray[np.int64], list[str]]
"""A text column as integer codes and the value of each code (NULL is "")."""

CODED_FIELDS = ("kind", "gender", "province", "city", "city_tier", "spend")


@dataclass(frozen=True)
class ProfileColumns:
    """A chunk of accounts with a profile: the columns demographic tags are computed from.

    Every reader (the store's cursor, DuckDB, Spark) hands over these columns, so the tags are
    derived from them by one piece of code whatever computed them.
    """

    ids: NDArray[np.int64]
    created: NDArray[np.float64]  # whole Unix seconds
    birth_year: NDArray[np.int64]  # -1: not given
    consent: NDArray[np.bool_]  # targeting consent
    coded: dict[str, Coded]  # CODED_FIELDS


def coded_of(values: Iterable[Any], count: int) -> Coded:
    """Codes of Python values (NULL is "")."""
    names: dict[str, int] = {}
    codes = np.fromiter(
        (names.setdefault(v or "", len(names)) for v in values), dtype=np.int64, count=count
    )
    return codes, list(names)


class _Demographics:
    """Per-account demographic columns, filled chunk by chunk, then turned into tags."""

    def __init__(self, build: _Builder) -> None:
        n = build.size
        self.build = build
        self.consent = np.zeros(n, dtype=bool)
        self.age = np.full(n, -1, dtype=np.int16)
        self.created = np.full(n, np.nan)
        self.masks: dict[str, dict[str, Bools]] = {
            "kind": {k: np.zeros(n, dtype=bool) for k in ("fan", "creator", "brand")},
            "gender": {g: np.zeros(n, dtype=bool) for g in GENDERS},
            "city_tier": {t: np.zeros(n, dtype=bool) for t in CITY_TIERS},
            "province": {},
            "city": {},
            "spend": {band: np.zeros(n, dtype=bool) for _s, band, _l, _h in SPEND_BANDS},
        }

    def add(self, chunk: ProfileColumns, now: datetime) -> None:
        at = self.build.pos(chunk.ids)
        self.consent[at] = chunk.consent
        self.created[at] = chunk.created
        self.age[at] = np.where(chunk.birth_year > 0, now.year - chunk.birth_year, -1)
        for name in CODED_FIELDS:
            codes, values = chunk.coded[name]
            target = self.masks[name]
            for code, value in enumerate(values):
                if name in {"province", "city"} and value and value not in target:
                    target[value] = np.zeros(self.build.size, dtype=bool)
                if value in target:
                    target[value][at[codes == code]] = True

    def tags(self, now: datetime) -> tuple[Bools, NDArray[Any]]:
        """Set the demographic tags; returns (consent mask, age per account or -1)."""
        build, cols, age = self.build, self.masks, self.age
        for kind, mask in cols["kind"].items():
            build.set(f"role.{kind}", mask)
        for g in GENDERS:
            build.set(f"gender.{g}", cols["gender"][g])
        for t in CITY_TIERS:
            build.set(f"city_tier.{t}", cols["city_tier"][t])
        for province, mask in cols["province"].items():
            build.set(f"province.{province.lower()}", mask)
        for suffix, name in CITY_NAMES.items():
            if name in cols["city"]:
                build.set(f"city.{suffix}", cols["city"][name])
        for suffix, band, _lo, _hi in SPEND_BANDS:
            build.set(f"spend.{suffix}", cols["spend"][band])
        for suffix, lo, hi in AGE_BANDS:
            build.set(f"age.{suffix}", (age >= lo) & (age <= hi))
        days = (now.timestamp() - self.created) / _DAY
        build.set("tenure.new", days < 30)
        build.set("tenure.1_3m", (days >= 30) & (days < 90))
        build.set("tenure.3_12m", (days >= 90) & (days < 365))
        build.set("tenure.1y_plus", days >= 365)
        return self.consent, age


def _store_profiles(conn: Connection, build: _Builder) -> Iterator[ProfileColumns]:
    """The store's accounts with a profile, in chunks of columns."""
    p, a = tables.profiles, tables.accounts
    # Rows arrive as plain tuples (see _stream); positions come from these names, so a column
    # added or moved here cannot silently feed one field into another's tags.
    columns = {
        "id": a.c.id, "kind": a.c.kind, "created": _epoch(conn, a.c.created_at),
        "birth_year": p.c.birth_year, "gender": p.c.gender, "province": p.c.province,
        "city": p.c.city, "city_tier": p.c.city_tier, "spend": p.c.spending_band,
        "consent": p.c.consent_targeting,
    }  # fmt: skip
    at = {name: i for i, name in enumerate(columns)}
    stmt = select(*columns.values()).select_from(a.join(p, p.c.account_id == a.c.id))
    for rows in (r for part in build.restrict(stmt, a.c.id) for r in _stream(conn, part)):
        n = len(rows)

        def column(name: str, rows: list[Any] = rows) -> Iterator[Any]:
            return (r[at[name]] for r in rows)

        yield ProfileColumns(
            ids=np.fromiter(column("id"), dtype=np.int64, count=n),
            created=np.fromiter(column("created"), dtype=np.float64, count=n),
            birth_year=np.fromiter((y or -1 for y in column("birth_year")), np.int64, count=n),
            consent=np.fromiter((bool(c) for c in column("consent")), dtype=bool, count=n),
            coded={name: coded_of(column(name), n) for name in CODED_FIELDS},
        )


def _categories(conn: Connection) -> NDArray[np.int64]:
    """The category number of every video id (-1: no such video or an unknown category),
    so interactions are read without a join and mapped in NumPy."""
    v = tables.videos
    pairs = conn.execute(select(v.c.id, v.c.category)).all()
    top = max((int(i) for i, _c in pairs), default=0)
    category = np.full(top + 1, -1, dtype=np.int64)
    for video_id, name in pairs:
        category[int(video_id)] = _CAT_INDEX.get(name, -1)
    return category


def _store_events(conn: Connection, build: _Builder) -> Events:
    """Likes standing and comments (account, category, second), shares (account, second)."""
    t = tables
    likes = select(t.likes.c.account_id, t.likes.c.video_id, _epoch(conn, t.likes.c.created_at))
    likes = likes.where(t.likes.c.removed_at.is_(None))
    comments = select(
        t.comments.c.account_id, t.comments.c.video_id, _epoch(conn, t.comments.c.created_at)
    )
    shares = select(t.shares.c.account_id, _epoch(conn, t.shares.c.created_at))
    out: Events = {}
    out["likes"] = _numeric(conn, build.restrict(likes, t.likes.c.account_id), 3)
    out["comments"] = _numeric(conn, build.restrict(comments, t.comments.c.account_id), 3)
    out["shares"] = _numeric(conn, build.restrict(shares, t.shares.c.account_id), 2)
    category = _categories(conn)
    for name in ("likes", "comments"):
        videos = out[name][:, 1].astype(np.int64)
        known = videos < len(category)
        out[name][:, 1] = np.where(known, category[np.where(known, videos, 0)], -1)
    return out


def _interests(build: _Builder, ev: Events, now: float) -> None:
    """Interest tags from decayed weights counted in whole units of 2^-30 (see _UNIT)."""
    n, k = build.size, len(CATEGORIES)
    keys, units = [], []
    for name, factor in (("likes", 1.0), ("comments", 2.0)):
        m = ev[name]
        m = m[m[:, 1] >= 0]
        decay = factor * 0.5 ** (np.maximum(now - m[:, 2], 0) / _DAY / HALF_LIFE_DAYS)
        keys.append(m[:, 0].astype(np.int64) * k + m[:, 1].astype(np.int64))
        units.append(np.rint(decay * _UNIT))
    # one bincount for both kinds: at 10M accounts the weights are 2.6 GB, allocated once
    weight = np.bincount(np.concatenate(keys), np.concatenate(units), minlength=n * k)
    w = weight.reshape(n, k)
    total = w.sum(axis=1, keepdims=True)
    for j, cat in enumerate(CATEGORIES):  # share >= 10% is 10 w >= total, exact in units
        build.set(f"interest.{cat.id}", (w[:, j] >= _UNIT) & (10 * w[:, j] >= total[:, 0]))
        strong = (w[:, j] >= 3 * _UNIT) & (4 * w[:, j] >= total[:, 0])
        build.set(f"interest.{cat.id}.strong", strong)


def _behaviour(build: _Builder, ev: Events, now: float, cut: float | None) -> float:
    """Activity, hours and engagement tags; returns the heavy-liker cut it used (the 90th
    percentile of likes per liking account, computed by a full refresh and kept by the
    incremental ones, which see too few accounts to compute it)."""
    n = build.size
    ids = np.concatenate([ev["likes"][:, 0], ev["comments"][:, 0], ev["shares"][:, 0]])
    when = np.concatenate([ev["likes"][:, 2], ev["comments"][:, 2], ev["shares"][:, 1]])
    ids = ids.astype(np.int64)
    recent = np.bincount(ids[when >= now - 30 * _DAY], minlength=n)
    build.set("activity.dormant", recent == 0)
    build.set("activity.low", (recent >= 1) & (recent <= 4))
    build.set("activity.medium", (recent >= 5) & (recent <= 29))
    build.set("activity.high", recent >= 30)
    window = _HOUR_WINDOWS[((when // 3600).astype(np.int64) + 8) % 24]
    keep = when >= now - 90 * _DAY
    hist = np.bincount(ids[keep] * 6 + window[keep], minlength=n * 6).reshape(n, 6)
    peak = hist.argmax(axis=1)
    for j, name in enumerate(_HOUR_NAMES):
        build.set(f"hours.{name}", (peak == j) & (hist.sum(axis=1) > 0))
    likes = np.bincount(ev["likes"][:, 0].astype(np.int64), minlength=n)
    comments = np.bincount(ev["comments"][:, 0].astype(np.int64), minlength=n)
    shares = np.bincount(ev["shares"][:, 0].astype(np.int64), minlength=n)
    build.set("engage.commenter", comments > 0)
    build.set("engage.sharer", shares > 0)
    if cut is None:
        cut = float(np.percentile(likes[likes > 0], 90)) if (likes > 0).any() else 0.0
    build.set("engage.heavy_liker", (likes > 0) & (likes >= cut))
    build.set("engage.conversational", (comments >= 3) & (comments * 5 >= likes))
    return cut


def _store_devices(conn: Connection, build: _Builder) -> Devices:
    """One (account, class number) per distinct device an account liked from."""
    t = tables
    stmt = (
        select(t.likes.c.account_id, t.likes.c.device_id, t.devices.c.user_agent)
        .select_from(t.likes.join(t.devices, t.devices.c.id == t.likes.c.device_id))
        .group_by(t.likes.c.account_id, t.likes.c.device_id, t.devices.c.user_agent)
    )
    classes: dict[str, int] = {}  # user agent -> class number, one classification each
    accounts: list[NDArray[np.int64]] = []
    codes: list[NDArray[np.int64]] = []
    for part in build.restrict(stmt, t.likes.c.account_id):
        for rows in _stream(conn, part):
            accounts.append(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))
            codes.append(
                np.fromiter(
                    (classes.get(r[2]) or _class_number(classes, r[2]) for r in rows),
                    dtype=np.int64,
                    count=len(rows),
                )
            )
    empty = np.zeros(0, dtype=np.int64)
    return (
        np.concatenate(accounts) if accounts else empty,
        np.concatenate(codes) if codes else empty,
    )


def _class_number(classes: dict[str, int], user_agent: str) -> int:
    classes[user_agent] = DEVICE_CLASSES.index(device_class(user_agent))
    return classes[user_agent]


def _devices(build: _Builder, found: Devices) -> None:
    accounts, codes = found
    at = build.pos(accounts)
    for number, cls in enumerate(DEVICE_CLASSES):
        mask = np.zeros(build.size, dtype=bool)
        mask[at[codes == number]] = True
        build.set(f"device.{cls}", mask)
    build.set("device.multi", np.bincount(at, minlength=build.size) >= 2)


def _store_follows(conn: Connection, build: _Builder) -> Follows:
    """Standing follows counted per follower and per creator: (ids, counts) each."""
    f = tables.follows
    active = f.c.removed_at.is_(None)
    found = []
    for column in (f.c.follower_id, f.c.creator_id):
        stmt = select(column, func.count()).where(active).group_by(column)
        pairs = _numeric(conn, build.restrict(stmt, column), 2)
        found.append((pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)))
    return found[0], found[1]


def _social(build: _Builder, found: Follows) -> None:
    for (ids, counted), prefix in zip(found, ("follows", "creator"), strict=True):
        counts = np.zeros(build.size, dtype=np.int64)
        counts[build.pos(ids)] = counted
        if prefix == "follows":
            build.set("follows.none", counts == 0)
            build.set("follows.1_5", (counts >= 1) & (counts <= 5))
            build.set("follows.6_20", (counts >= 6) & (counts <= 20))
            build.set("follows.21_plus", counts >= 21)
        else:
            creator = build.columns["role.creator"]
            for floor in (10, 100, 1000):
                build.set(f"creator.followers_{floor}", creator & (counts >= floor))


def _life_stage(build: _Builder, age: NDArray[Any]) -> None:
    c = build.columns
    big_city = c["city_tier.1"] | c["city_tier.new1"] | c["city_tier.2"]
    learner = c["interest.education"] | c["interest.study"]
    build.set("life.student", (age >= 13) & (age <= 22) & learner)
    build.set("life.young_professional", (age >= 23) & (age <= 35) & big_city)
    build.set("life.parent", (age >= 25) & (age <= 50) & c["interest.parenting"])
    build.set("life.pet_owner", c["interest.pets.strong"])
    build.set("life.car_intender", c["interest.cars.strong"])
    build.set("life.homemaker", c["interest.home.strong"])
    build.set("life.retiree", age >= 60)


class Source(Protocol):
    """Where the tag computation reads its inputs: the store, or the lake on an engine.

    Account ids come back as ids (the builder maps them to positions); every time is in whole
    Unix seconds, so each reader hands over exactly the same numbers.
    """

    def top(self) -> int:
        """The largest account id."""

    def profiles(self, build: _Builder) -> Iterator[ProfileColumns]:
        """Accounts with a profile, joined to their kind and creation time."""

    def events(self, build: _Builder) -> Events:
        """likes (standing) and comments: (account, category number or -1, second);
        shares: (account, second)."""

    def devices(self, build: _Builder) -> Devices:
        """One (account, DEVICE_CLASSES number) per distinct device each account liked from."""

    def follows(self, build: _Builder) -> Follows:
        """Standing follows counted per follower and per creator."""


class _StoreSource:
    """The operational database, through its driver's cursor on SQLite."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def top(self) -> int:
        stmt = select(func.coalesce(func.max(tables.accounts.c.id), 0))
        return int(self.conn.execute(stmt).scalar_one())

    def profiles(self, build: _Builder) -> Iterator[ProfileColumns]:
        return _store_profiles(self.conn, build)

    def events(self, build: _Builder) -> Events:
        return _store_events(self.conn, build)

    def devices(self, build: _Builder) -> Devices:
        return _store_devices(self.conn, build)

    def follows(self, build: _Builder) -> Follows:
        return _store_follows(self.conn, build)


def compute_index(
    db: Database,
    now: datetime | None = None,
    progress: Progress | None = None,
    *,
    only: NDArray[np.int64] | None = None,
    heavy_liker_cut: float | None = None,
) -> TagIndex:
    """Compute the tag index at `now` (default: the current time) of every account, or only
    of the sorted account ids `only` (an incremental refresh merges those into the index)."""
    with db.read() as conn:
        return compute_from(_StoreSource(conn), now, progress, only=only, cut=heavy_liker_cut)


def compute_from(
    source: Source,
    now: datetime | None = None,
    progress: Progress | None = None,
    *,
    only: NDArray[np.int64] | None = None,
    cut: float | None = None,
) -> TagIndex:
    """The tag index of what `source` reads (every account, or the sorted ids `only`)."""
    now = now or datetime.now(UTC)
    step = progress or (lambda _label: None)
    build = _Builder(source.top(), only)
    step("profiles")
    demographics = _Demographics(build)
    for chunk in source.profiles(build):
        demographics.add(chunk, now)
    consent, age = demographics.tags(now)
    step("interactions")
    events = source.events(build)
    for matrix in events.values():
        matrix[:, 0] = build.pos(matrix[:, 0])
    step("interests")
    _interests(build, events, now.timestamp())
    cut = _behaviour(build, events, now.timestamp(), cut)
    del events
    step("devices")
    _devices(build, source.devices(build))
    step("follows")
    _social(build, source.follows(build))
    _life_stage(build, age)
    step("bitmaps")
    universe = bitmap_of(build.ids(consent))
    tags = {
        tag.id: bitmap_of(build.ids(build.columns.get(tag.id, consent & False) & consent))
        for tag in TAGS
    }
    ages = {
        int(y): bitmap_of(build.ids((age == y) & consent))
        for y in np.unique(age[consent & (age >= 0)])
    }
    meta = {
        "computed_at": datetime.now(UTC).isoformat(),
        "as_of": now.isoformat(),
        "heavy_liker_cut": cut,
    }
    return TagIndex(universe, tags, ages, meta)
