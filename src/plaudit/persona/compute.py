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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.engine import Connection

from plaudit.accounts.model import CITY_TIERS, GENDERS
from plaudit.catalog.categories import CATEGORIES
from plaudit.persona.index import TagIndex, bitmap_of
from plaudit.persona.taxonomy import AGE_BANDS, CITY_NAMES, SPEND_BANDS, TAGS
from plaudit.store import Database, tables

__all__ = ["HALF_LIFE_DAYS", "compute_index"]

HALF_LIFE_DAYS = 30.0
_CHUNK = 200_000
_IN_CHUNK = 5_000  # account ids per IN (...) of an incremental refresh
_DAY = 86400.0
_CAT_INDEX = {c.id: i for i, c in enumerate(CATEGORIES)}
_HOUR_WINDOWS = np.array(  # China time hour -> window index of the `hours` family
    [4, 4, 5, 5, 5, 5, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4]
)
_HOUR_NAMES = ("morning", "noon", "afternoon", "evening", "night", "late_night")
_DEVICE_CLASSES = ("ios", "android", "harmonyos", "tablet", "web")

Bools = NDArray[np.bool_]
Progress = Callable[[str], None]


def _epoch(conn: Connection, column: Any) -> ColumnElement[Any]:
    if conn.dialect.name == "sqlite":
        return (func.julianday(column) - 2440587.5) * _DAY
    return func.extract("epoch", column)


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


def _profiles(conn: Connection, build: _Builder, now: datetime) -> tuple[Bools, NDArray[Any]]:
    """Demographic tags; returns (consent mask, age per account or -1)."""
    p, a = tables.profiles, tables.accounts
    n = build.size
    consent = np.zeros(n, dtype=bool)
    age = np.full(n, -1, dtype=np.int16)
    created = np.full(n, np.nan)
    kinds = {k: np.zeros(n, dtype=bool) for k in ("fan", "creator", "brand")}
    cols = {
        "gender": {g: np.zeros(n, dtype=bool) for g in GENDERS},
        "city_tier": {t: np.zeros(n, dtype=bool) for t in CITY_TIERS},
        "province": {},
        "city": {},
        "spend": {band: np.zeros(n, dtype=bool) for _s, band, _l, _h in SPEND_BANDS},
    }
    # Rows arrive as plain tuples (see _stream); positions come from these names, so a column
    # added or moved here cannot silently feed one field into another's tags.
    columns = {
        "id": a.c.id, "kind": a.c.kind, "created": _epoch(conn, a.c.created_at),
        "birth_year": p.c.birth_year, "gender": p.c.gender, "province": p.c.province,
        "city": p.c.city, "city_tier": p.c.city_tier, "spend": p.c.spending_band,
        "consent": p.c.consent_targeting,
    }  # fmt: skip
    at = {name: i for i, name in enumerate(columns)}
    i_id, i_consent, i_created, i_year = at["id"], at["consent"], at["created"], at["birth_year"]
    stmt = select(*columns.values()).select_from(a.join(p, p.c.account_id == a.c.id))
    for rows in (r for part in build.restrict(stmt, a.c.id) for r in _stream(conn, part)):
        ids = build.pos(np.fromiter((r[i_id] for r in rows), dtype=np.int64, count=len(rows)))
        consent[ids] = np.fromiter((bool(r[i_consent]) for r in rows), dtype=bool, count=len(rows))
        created[ids] = np.fromiter((r[i_created] for r in rows), dtype=np.float64, count=len(rows))
        years = np.fromiter((r[i_year] or -1 for r in rows), dtype=np.int64, count=len(rows))
        age[ids] = np.where(years > 0, now.year - years, -1)
        for name in ("kind", "gender", "province", "city", "city_tier", "spend"):
            field_index = at[name]
            names: dict[str, int] = {}  # value -> code, so masks compare integers
            codes = np.fromiter(
                (names.setdefault(r[field_index] or "", len(names)) for r in rows),
                dtype=np.int64,
                count=len(rows),
            )
            target = kinds if name == "kind" else cols[name]
            for value, code in names.items():
                if name in {"province", "city"} and value not in target:
                    target[value] = np.zeros(n, dtype=bool)
                if value in target:
                    target[value][ids[codes == code]] = True
    for kind, mask in kinds.items():
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
    days = (now.timestamp() - created) / _DAY
    build.set("tenure.new", days < 30)
    build.set("tenure.1_3m", (days >= 30) & (days < 90))
    build.set("tenure.3_12m", (days >= 90) & (days < 365))
    build.set("tenure.1y_plus", days >= 365)
    return consent, age


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


def _events(conn: Connection, build: _Builder, now: float) -> dict[str, NDArray[np.float64]]:
    """Likes and comments (position, category, time), shares (position, time), as matrices."""
    t = tables
    likes = select(t.likes.c.account_id, t.likes.c.video_id, _epoch(conn, t.likes.c.created_at))
    likes = likes.where(t.likes.c.removed_at.is_(None))
    comments = select(
        t.comments.c.account_id, t.comments.c.video_id, _epoch(conn, t.comments.c.created_at)
    )
    shares = select(t.shares.c.account_id, _epoch(conn, t.shares.c.created_at))
    out: dict[str, NDArray[np.float64]] = {}
    out["likes"] = _numeric(conn, build.restrict(likes, t.likes.c.account_id), 3)
    out["comments"] = _numeric(conn, build.restrict(comments, t.comments.c.account_id), 3)
    out["shares"] = _numeric(conn, build.restrict(shares, t.shares.c.account_id), 2)
    category = _categories(conn)
    for name in ("likes", "comments"):
        videos = out[name][:, 1].astype(np.int64)
        known = videos < len(category)
        out[name][:, 1] = np.where(known, category[np.where(known, videos, 0)], -1)
    for matrix in out.values():
        matrix[:, 0] = build.pos(matrix[:, 0])
    out["now"] = np.array([now])
    return out


def _interests(build: _Builder, ev: dict[str, NDArray[np.float64]], now: float) -> None:
    n, k = build.size, len(CATEGORIES)
    weight = np.zeros(n * k, dtype=np.float64)
    for name, factor in (("likes", 1.0), ("comments", 2.0)):
        m = ev[name]
        m = m[m[:, 1] >= 0]
        decay = factor * 0.5 ** (np.maximum(now - m[:, 2], 0) / _DAY / HALF_LIFE_DAYS)
        weight += np.bincount(
            m[:, 0].astype(np.int64) * k + m[:, 1].astype(np.int64), decay, minlength=n * k
        )
    w = weight.reshape(n, k)
    total = w.sum(axis=1, keepdims=True)
    share = np.divide(w, total, out=np.zeros_like(w), where=total > 0)
    for j, cat in enumerate(CATEGORIES):
        build.set(f"interest.{cat.id}", (w[:, j] >= 1) & (share[:, j] >= 0.10))
        build.set(f"interest.{cat.id}.strong", (w[:, j] >= 3) & (share[:, j] >= 0.25))


def _behaviour(
    build: _Builder, ev: dict[str, NDArray[np.float64]], now: float, cut: float | None
) -> float:
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


def _device_class(user_agent: str) -> str:
    if not user_agent.startswith("Plaudit/"):
        return "web"
    if "iPad" in user_agent or "Tablet" in user_agent:
        return "tablet"
    if "HarmonyOS" in user_agent:
        return "harmonyos"
    if "iOS" in user_agent or "iPhone" in user_agent:
        return "ios"
    return "android"


def _devices(conn: Connection, build: _Builder) -> None:
    t = tables
    stmt = (
        select(t.likes.c.account_id, t.likes.c.device_id, t.devices.c.user_agent)
        .select_from(t.likes.join(t.devices, t.devices.c.id == t.likes.c.device_id))
        .group_by(t.likes.c.account_id, t.likes.c.device_id, t.devices.c.user_agent)
    )
    masks = {c: np.zeros(build.size, dtype=bool) for c in _DEVICE_CLASSES}
    devices = np.zeros(build.size, dtype=np.int64)
    for part in build.restrict(stmt, t.likes.c.account_id):
        for rows in _stream(conn, part):
            where = build.pos(np.array([r[0] for r in rows], dtype=np.int64))
            for at, (_account, _device, user_agent) in zip(where, rows, strict=True):
                masks[_device_class(user_agent)][at] = True
                devices[at] += 1
    for cls, mask in masks.items():
        build.set(f"device.{cls}", mask)
    build.set("device.multi", devices >= 2)


def _social(conn: Connection, build: _Builder) -> None:
    f = tables.follows
    active = f.c.removed_at.is_(None)
    for column, prefix in ((f.c.follower_id, "follows"), (f.c.creator_id, "creator")):
        counts = np.zeros(build.size, dtype=np.int64)
        stmt = select(column, func.count()).where(active).group_by(column)
        pairs = _numeric(conn, build.restrict(stmt, column), 2)
        counts[build.pos(pairs[:, 0])] = pairs[:, 1].astype(np.int64)
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
    now = now or datetime.now(UTC)
    step = progress or (lambda _label: None)
    with db.read() as conn:
        top = conn.execute(select(func.coalesce(func.max(tables.accounts.c.id), 0))).scalar_one()
        build = _Builder(int(top), only)
        step("profiles")
        consent, age = _profiles(conn, build, now)
        step("interactions")
        events = _events(conn, build, now.timestamp())
        step("interests")
        _interests(build, events, now.timestamp())
        cut = _behaviour(build, events, now.timestamp(), heavy_liker_cut)
        step("devices")
        _devices(conn, build)
        step("follows")
        _social(conn, build)
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
