"""`plaudit persona refresh`: incremental by default, a full rebuild when it must be.

An incremental refresh recomputes only the accounts whose tags can have changed since the
previous refresh, and merges them into the previous index:

- accounts with an event after the index's watermark `events_seq` (a like, unlike, comment,
  share, follow or unfollow; a follow also changes the creator's follower tags);
- accounts whose profile changed (`profiles.updated_at` at or after the `profiles_at`
  watermark), consent included: a withdrawal removes the account from every bitmap;
- accounts created since (`accounts_top`);
- accounts for whom time alone moves a tag: an interaction leaving the 30-day (activity)
  or 90-day (active hours) window, an account crossing 30 days, 90 days or a year of tenure.

The watermarks are read before anything else, so a change made while the refresh runs is
picked up by the next one. A full rebuild runs instead when asked (`--full`), when there is
no previous index (or one without watermarks), when the previous full rebuild is more than
`FULL_EVERY` old (interest weights of quiet accounts decay, and the heavy-liker cut of the
whole platform moves), or when the calendar year changed (ages come from birth years).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyroaring import BitMap
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.engine import Connection

from plaudit.errors import PersonaIndexMissing
from plaudit.persona.compute import Progress, Source, compute_from, compute_index
from plaudit.persona.index import TagIndex, bitmap_of, index_dir
from plaudit.persona.taxonomy import TAGS
from plaudit.store import Database, tables
from plaudit.store.types import utcnow

__all__ = [
    "FULL_EVERY",
    "Freshness",
    "RefreshResult",
    "freshness",
    "rebuild_from",
    "refresh_index",
]

FULL_EVERY = timedelta(days=7)
_TIME_WINDOWS = (timedelta(days=30), timedelta(days=90))  # activity, active hours
_TENURE_STEPS = (timedelta(days=30), timedelta(days=90), timedelta(days=365))


@dataclass(frozen=True)
class RefreshResult:
    index: TagIndex
    full: bool
    reason: str  # why a full rebuild, or what an incremental one recomputed
    recomputed: int  # accounts whose tags were computed


@dataclass(frozen=True)
class Freshness:
    """How current the index is: when it was computed, and what happened since."""

    as_of: datetime
    mode: str  # full | incremental
    last_full: datetime | None
    accounts: int  # with targeting consent, in the index
    events_behind: int  # interactions sequenced after the index's watermark
    accounts_since: int  # accounts created after it
    full_due: str  # why the next refresh will be a full one ("" when incremental)


def freshness(db: Database, data_path: Path, now: datetime | None = None) -> Freshness | None:
    """The index's freshness from its manifest alone (no bitmap is read); None without one."""
    try:
        meta = json.loads((index_dir(data_path) / "manifest.json").read_text())
    except FileNotFoundError:
        return None
    now = now or utcnow()
    marks = _watermarks(db)
    last_full = meta.get("last_full")
    due = _full_reason(_Manifest(meta), now)
    return Freshness(
        as_of=datetime.fromisoformat(meta["as_of"]),
        mode=str(meta.get("mode", "full")),
        last_full=datetime.fromisoformat(last_full) if last_full else None,
        accounts=int(meta.get("accounts", 0)),
        events_behind=max(0, marks["events_seq"] - int(meta.get("events_seq", -1))),
        accounts_since=max(0, marks["accounts_top"] - int(meta.get("accounts_top", 0))),
        full_due=due,
    )


@dataclass(frozen=True)
class _Manifest:
    """Just the manifest's meta, where `_full_reason` reads an index's."""

    meta: dict[str, Any]


def refresh_index(
    db: Database,
    data_path: Path,
    now: datetime | None = None,
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> RefreshResult:
    """Refresh the index in `data_path` (incrementally when possible) and swap it in."""
    now = now or utcnow()
    marks = _watermarks(db)
    previous = None if full else _previous(data_path)
    reason = "--full" if full else _full_reason(previous, now)
    if reason or previous is None:
        index = compute_index(db, now, progress)
        index.meta.update(marks, last_full=now.isoformat(), mode="full")
        result = RefreshResult(index, True, reason or "no index", int(marks["accounts_top"]))
    else:
        changed = _changed_accounts(db, previous.meta, now)
        cut = float(previous.meta["heavy_liker_cut"])
        part = compute_index(db, now, progress, only=changed, heavy_liker_cut=cut)
        index = merge(previous, part, bitmap_of(changed))
        keep = {k: previous.meta[k] for k in ("last_full", "heavy_liker_cut")}
        index.meta.update(part.meta, **keep, **marks, mode="incremental")
        result = RefreshResult(index, False, f"{len(changed):,} accounts changed", len(changed))
    index.save(data_path)
    return result


def rebuild_from(
    db: Database, data_path: Path, source: Source, label: str, now: datetime | None = None
) -> RefreshResult:
    """A full rebuild computed from `source` instead of the store, saved and swapped in as
    `refresh_index` saves one: the demo hands over what it has just loaded rather than read
    it back (`plaudit.sim.persona_inputs`). `source` must hold exactly what the store holds;
    the watermarks are read from the store, so the next refresh is incremental from here."""
    now = now or utcnow()
    marks = _watermarks(db)
    index = compute_from(source, now)
    index.meta.update(marks, last_full=now.isoformat(), mode="full", source=label)
    index.save(data_path)
    return RefreshResult(index, True, f"from {label}", int(marks["accounts_top"]))


def merge(previous: TagIndex, part: TagIndex, changed: BitMap) -> TagIndex:
    """The previous index with the `changed` accounts' tags replaced by those in `part`."""
    tags = {t.id: (previous.tag(t.id) - changed) | part.tag(t.id) for t in TAGS}
    ages = {}
    before, after = previous.ages, part.ages  # conversions: once each
    for years in sorted(set(before) | set(after)):
        bitmap = (before.get(years, BitMap()) - changed) | after.get(years, BitMap())
        if bitmap:
            ages[years] = bitmap
    universe = (previous.universe - changed) | part.universe
    return TagIndex(universe, tags, ages, {})


def _previous(data_path: Path) -> TagIndex | None:
    try:
        return TagIndex.load(data_path)
    except PersonaIndexMissing:  # none yet, or written by another format version
        return None


def _full_reason(previous: TagIndex | _Manifest | None, now: datetime) -> str:
    if previous is None:
        return "no index yet"
    meta = previous.meta
    if not {"events_seq", "last_full", "heavy_liker_cut", "as_of"} <= set(meta):
        return "the index has no watermarks (built before incremental refreshes)"
    if now - datetime.fromisoformat(meta["last_full"]) > FULL_EVERY:
        return f"the last full rebuild is more than {FULL_EVERY.days} days old"
    if datetime.fromisoformat(meta["as_of"]).year != now.year:
        return "a new year: every age moved"
    return ""


def _watermarks(db: Database) -> dict[str, Any]:
    t = tables
    with db.read() as conn:
        seq = conn.execute(select(func.coalesce(func.max(t.events.c.seq), -1))).scalar_one()
        top = conn.execute(select(func.coalesce(func.max(t.accounts.c.id), 0))).scalar_one()
        profiles_at = conn.execute(select(func.max(t.profiles.c.updated_at))).scalar_one()
    return {
        "events_seq": int(seq),
        "accounts_top": int(top),
        "profiles_at": profiles_at.isoformat() if profiles_at else None,
    }


def _changed_accounts(db: Database, meta: dict[str, Any], now: datetime) -> NDArray[np.int64]:
    """Sorted ids of the accounts an incremental refresh recomputes (see the module doc)."""
    since = datetime.fromisoformat(meta["as_of"])
    with db.read() as conn:
        found = [
            *_event_accounts(conn, int(meta["events_seq"])),
            *_profile_accounts(conn, meta),
            *_time_accounts(conn, since, now),
        ]
    ids = np.array([i for chunk in found for i in chunk], dtype=np.int64)
    return np.unique(ids)


def _ids(conn: Connection, stmt: Select[Any]) -> list[int]:
    return [int(i) for i in conn.execute(stmt).scalars()]


def _event_accounts(conn: Connection, seq: int) -> list[list[int]]:
    t = tables
    e = t.events
    new = e.c.seq > seq
    sources = (
        (("like", "unlike"), t.likes, t.likes.c.account_id),
        (("comment",), t.comments, t.comments.c.account_id),
        (("share",), t.shares, t.shares.c.account_id),
        (("follow", "unfollow"), t.follows, t.follows.c.follower_id),
        (("follow", "unfollow"), t.follows, t.follows.c.creator_id),
    )
    return [
        _ids(
            conn,
            select(column)
            .select_from(e.join(table, table.c.id == e.c.ref_id))
            .where(new, e.c.kind.in_(kinds))
            .distinct(),
        )
        for kinds, table, column in sources
    ]


def _profile_accounts(conn: Connection, meta: dict[str, Any]) -> list[list[int]]:
    p, a = tables.profiles, tables.accounts
    found = [_ids(conn, select(a.c.id).where(a.c.id > int(meta["accounts_top"])))]
    if meta.get("profiles_at"):
        changed_since = datetime.fromisoformat(meta["profiles_at"])
        found.append(_ids(conn, select(p.c.account_id).where(p.c.updated_at >= changed_since)))
    return found


def _time_accounts(conn: Connection, since: datetime, now: datetime) -> list[list[int]]:
    """Accounts with an interaction that left a time window, or a tenure step crossed."""
    t = tables
    found = []
    for table in (t.likes, t.comments, t.shares):  # one scan per table for both windows
        created = table.c.created_at
        left = [and_(created >= since - w, created < now - w) for w in _TIME_WINDOWS]
        found.append(_ids(conn, select(table.c.account_id).where(or_(*left)).distinct()))
    for step in _TENURE_STEPS:
        created = t.accounts.c.created_at
        found.append(_ids(conn, select(t.accounts.c.id).where(created >= since - step,
                                                              created < now - step)))  # fmt: skip
    return found
