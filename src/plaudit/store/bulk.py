"""Set-based SQL for bulk ingest: look up many rows at once, insert many rows at once.

Each function works on whole batches (chunked to stay under the engines' parameter limits),
so the per-interaction cost is a few microseconds instead of a few round trips.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table, and_, bindparam, func, insert, select, tuple_, update
from sqlalchemy.engine import Connection

from plaudit.store.sequence import EVENTS, allocate
from plaudit.store.tables import (
    accounts,
    creator_counters,
    devices,
    events,
    follows,
    likes,
    profiles,
    video_counters,
    videos,
)

__all__ = [
    "account_kinds",
    "active_follows",
    "active_likes",
    "add_counters",
    "append_events",
    "device_ids",
    "insert_accounts",
    "insert_returning_ids",
    "insert_videos",
    "max_id",
    "remove_rows",
    "video_creators",
]

T = TypeVar("T")
_CHUNK = 2000


def _chunks(values: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def video_creators(conn: Connection, video_ids: Iterable[int]) -> dict[int, int]:
    """video id -> creator id, for those of `video_ids` that exist."""
    found: dict[int, int] = {}
    for chunk in _chunks(sorted(set(video_ids))):
        stmt = select(videos.c.id, videos.c.creator_id).where(videos.c.id.in_(chunk))
        found.update((row[0], row[1]) for row in conn.execute(stmt))
    return found


def account_kinds(conn: Connection, account_ids: Iterable[int]) -> dict[int, str]:
    """account id -> kind, for those of `account_ids` that exist."""
    found: dict[int, str] = {}
    for chunk in _chunks(sorted(set(account_ids))):
        stmt = select(accounts.c.id, accounts.c.kind).where(accounts.c.id.in_(chunk))
        found.update((row[0], row[1]) for row in conn.execute(stmt))
    return found


def _active_pairs(
    conn: Connection, table: Table, left: str, right: str, pairs: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], int]:
    found: dict[tuple[int, int], int] = {}
    key = tuple_(table.c[left], table.c[right])
    for chunk in _chunks(sorted(set(pairs))):
        stmt = select(table.c[left], table.c[right], table.c.id).where(
            and_(key.in_(chunk), table.c.removed_at.is_(None))
        )
        found.update(((row[0], row[1]), row[2]) for row in conn.execute(stmt))
    return found


def active_likes(conn: Connection, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """(account id, video id) -> id of the active like, for the pairs that have one."""
    return _active_pairs(conn, likes, "account_id", "video_id", pairs)


def active_follows(
    conn: Connection, pairs: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], int]:
    """(follower id, creator id) -> id of the active follow, for the pairs that have one."""
    return _active_pairs(conn, follows, "follower_id", "creator_id", pairs)


def insert_returning_ids(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows in one executemany and return their new ids in the order of `rows`."""
    if not rows:
        return []
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [row[0] for row in conn.execute(stmt, rows)]


def device_ids(
    conn: Connection, keys: Iterable[tuple[str, str]], at: Any
) -> dict[tuple[str, str], int]:
    """(device key, user agent) -> device id, registering the devices seen for the first time."""
    wanted = sorted(set(keys))
    found = _existing_devices(conn, wanted)
    missing = [k for k in wanted if k not in found]
    rows = [{"device_key": k, "user_agent": ua, "first_seen_at": at} for k, ua in missing]
    found.update(zip(missing, insert_returning_ids(conn, devices, rows), strict=True))
    return found


def _existing_devices(
    conn: Connection, wanted: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    key = tuple_(devices.c.device_key, devices.c.user_agent)
    for chunk in _chunks(wanted):
        stmt = select(devices.c.device_key, devices.c.user_agent, devices.c.id).where(
            key.in_(chunk)
        )
        found.update(((row[0], row[1]), row[2]) for row in conn.execute(stmt))
    return found


def remove_rows(conn: Connection, table: Table, removals: list[dict[str, Any]]) -> None:
    """Set removed_at (and removed_source for likes) on existing rows, by id."""
    if not removals:
        return
    values: dict[str, Any] = {"removed_at": bindparam("b_removed_at")}
    if "b_removed_source" in removals[0]:
        values["removed_source"] = bindparam("b_removed_source")
    stmt = update(table).where(table.c.id == bindparam("b_id")).values(values)
    conn.execute(stmt, removals)


def add_counters(
    conn: Connection, video_deltas: dict[int, list[int]], creator_deltas: dict[int, list[int]]
) -> None:
    """Add deltas: per video [likes, comments, shares]; per creator [likes, followers]."""
    vc = video_counters.c
    if video_deltas:
        stmt = (
            update(video_counters)
            .where(vc.video_id == bindparam("b_id"))
            .values(
                likes=vc.likes + bindparam("b_likes"),
                comments=vc.comments + bindparam("b_comments"),
                shares=vc.shares + bindparam("b_shares"),
            )
        )
        conn.execute(
            stmt,
            [
                {"b_id": k, "b_likes": d[0], "b_comments": d[1], "b_shares": d[2]}
                for k, d in video_deltas.items()
            ],
        )
    cc = creator_counters.c
    if creator_deltas:
        stmt = (
            update(creator_counters)
            .where(cc.creator_id == bindparam("b_id"))
            .values(
                likes=cc.likes + bindparam("b_likes"),
                followers=cc.followers + bindparam("b_followers"),
            )
        )
        conn.execute(
            stmt,
            [{"b_id": k, "b_likes": d[0], "b_followers": d[1]} for k, d in creator_deltas.items()],
        )


def append_events(conn: Connection, kinds_and_refs: list[tuple[str, int]]) -> int:
    """Sequence a batch of interactions in order; returns the seq of the first."""
    if not kinds_and_refs:
        return -1
    first = allocate(conn, EVENTS, len(kinds_and_refs))
    rows = [
        {"seq": first + i, "kind": kind, "ref_id": ref}
        for i, (kind, ref) in enumerate(kinds_and_refs)
    ]
    conn.execute(insert(events), rows)
    return first


def insert_accounts(
    conn: Connection, rows: list[dict[str, Any]], profile_rows: list[dict[str, Any]]
) -> None:
    """Insert accounts with explicit ids, their profiles and creators' counter rows."""
    if not rows:
        return
    conn.execute(insert(accounts), rows)
    if profile_rows:
        conn.execute(insert(profiles), profile_rows)
    creators = [{"creator_id": r["id"]} for r in rows if r["kind"] == "creator"]
    if creators:
        conn.execute(insert(creator_counters), creators)


def insert_videos(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert videos with explicit ids, their zeroed counters, and count them for creators."""
    if not rows:
        return
    conn.execute(insert(videos), rows)
    conn.execute(insert(video_counters), [{"video_id": r["id"]} for r in rows])
    per_creator: dict[int, int] = {}
    for row in rows:
        per_creator[row["creator_id"]] = per_creator.get(row["creator_id"], 0) + 1
    cc = creator_counters.c
    stmt = (
        update(creator_counters)
        .where(cc.creator_id == bindparam("b_id"))
        .values(videos=cc.videos + bindparam("b_n"))
    )
    conn.execute(stmt, [{"b_id": k, "b_n": n} for k, n in per_creator.items()])


def max_id(conn: Connection, table: Table) -> int:
    """The largest id in a table (0 when empty)."""
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())
