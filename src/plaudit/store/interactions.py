"""SQL for interactions: likes, comments, follows, shares, their counters and the event sequence.

Each function runs inside the caller's transaction; the interactions service composes them
into one transaction per use case.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Table, and_, bindparam, exists, insert, select, update
from sqlalchemy.engine import Connection, Row

from plaudit.store.prepared import Prepared, stored_time
from plaudit.store.sequence import EVENTS, allocate, inserted_id
from plaudit.store.tables import (
    comments,
    creator_counters,
    devices,
    events,
    follows,
    holds,
    likes,
    shares,
    video_counters,
    videos,
)
from plaudit.store.types import UTCDateTime

__all__ = [
    "StoredLike",
    "active_follower_ids",
    "active_like_as_stored",
    "add_like_counts",
    "append_event",
    "append_events",
    "bump_creator",
    "bump_video",
    "creator_and_active_like",
    "creators_and_active_likes",
    "find_active_follow",
    "find_active_like",
    "insert_comment",
    "insert_follow",
    "insert_like",
    "insert_share",
    "like_in_one_statement",
    "like_seq",
    "likes_in_one_round_trip",
    "list_likes_of",
    "mark_follow_removed",
    "mark_like_removed",
    "resolve_device",
    "video_creator",
]


_VIDEO_CREATOR = Prepared(select(videos.c.creator_id).where(videos.c.id == bindparam("p_video")))
_CREATOR_AND_ACTIVE_LIKE = Prepared(
    select(
        videos.c.creator_id,
        select(likes.c.id)
        .where(
            and_(
                likes.c.account_id == bindparam("p_account"),
                likes.c.video_id == bindparam("p_video"),
                likes.c.removed_at.is_(None),
            )
        )
        .scalar_subquery(),
    ).where(videos.c.id == bindparam("p_video"))
)
_INSERT_LIKE = Prepared(
    insert(likes)
    .values(
        account_id=bindparam("p_account"),
        video_id=bindparam("p_video"),
        source=bindparam("p_source"),
        device_id=bindparam("p_device"),
        ip_prefix=bindparam("p_ip"),
        network=bindparam("p_network"),
        created_at=bindparam("p_at", type_=UTCDateTime()),
    )
    .returning(likes.c.id)
)
_INSERT_EVENT = Prepared(
    insert(events).values(
        seq=bindparam("p_seq"), kind=bindparam("p_kind"), ref_id=bindparam("p_ref")
    )
)


def _bump(table: Table, key: str, column: str) -> Prepared:
    col = table.c[column]
    return Prepared(
        update(table)
        .where(table.c[key] == bindparam("p_key"))
        .values({col: col + bindparam("p_delta")})
    )


_BUMP_VIDEO = {c: _bump(video_counters, "video_id", c) for c in ("likes", "comments", "shares")}
_BUMP_CREATOR = {
    c: _bump(creator_counters, "creator_id", c) for c in ("videos", "likes", "followers")
}


def video_creator(conn: Connection, video_id: int) -> int | None:
    """The creator of a video, or None when there is no such video."""
    found = _VIDEO_CREATOR.scalar(conn, {"p_video": video_id})
    return None if found is None else int(found)


def creator_and_active_like(
    conn: Connection, account_id: int, video_id: int
) -> tuple[int | None, int | None]:
    """(the video's creator, the id of the account's active like of it) in one statement:
    the like's first read. (None, None) when there is no such video."""
    row = _CREATOR_AND_ACTIVE_LIKE.first(conn, {"p_account": account_id, "p_video": video_id})
    if row is None:
        return None, None
    creator, like = row
    return int(creator), None if like is None else int(like)


def find_active_like(conn: Connection, account_id: int, video_id: int) -> Row[Any] | None:
    stmt = select(likes).where(
        and_(
            likes.c.account_id == account_id,
            likes.c.video_id == video_id,
            likes.c.removed_at.is_(None),
        )
    )
    return conn.execute(stmt).first()


def like_seq(conn: Connection, like_id: int) -> int | None:
    """The seq a like was given when it was written (None for a like not sequenced)."""
    stmt = select(events.c.seq).where(and_(events.c.ref_id == like_id, events.c.kind == "like"))
    seq = conn.execute(stmt).scalar()
    return None if seq is None else int(seq)


class StoredLike(NamedTuple):
    """An active like as it was written: its row, its seq, and its hold."""

    id: int
    source: str
    created_at: datetime
    ip_prefix: str | None
    device_id: int | None
    seq: int | None
    held: bool
    """A hold that is still open."""
    risk: int | None
    """The risk stored with its hold (open or decided); None for a like never held."""


_ACTIVE_LIKE_AS_STORED = Prepared(
    select(
        likes.c.id,
        likes.c.source,
        likes.c.created_at,
        likes.c.ip_prefix,
        likes.c.device_id,
        select(events.c.seq)
        .where(and_(events.c.ref_id == likes.c.id, events.c.kind == bindparam("p_kind")))
        .scalar_subquery(),
        exists().where(and_(holds.c.like_id == likes.c.id, holds.c.released_at.is_(None))),
        select(holds.c.risk).where(holds.c.like_id == likes.c.id).scalar_subquery(),
    ).where(
        and_(
            likes.c.account_id == bindparam("p_account"),
            likes.c.video_id == bindparam("p_video"),
            likes.c.removed_at.is_(None),
        )
    )
)


def active_like_as_stored(conn: Connection, account_id: int, video_id: int) -> StoredLike | None:
    """The account's active like of a video with its seq and hold, in one statement: what
    liking it again answers (four statements built per call cost more than a new like)."""
    row = _ACTIVE_LIKE_AS_STORED.first(
        conn, {"p_account": account_id, "p_video": video_id, "p_kind": "like"}
    )
    if row is None:
        return None
    like_id, source, created_at, ip_prefix, device_id, seq, held, risk = row
    return StoredLike(
        int(like_id),
        source,
        stored_time(created_at),
        ip_prefix,
        None if device_id is None else int(device_id),
        None if seq is None else int(seq),
        bool(held),
        None if risk is None else int(risk),
    )


def insert_like(
    conn: Connection,
    account_id: int,
    video_id: int,
    source: str,
    device_id: int | None,
    ip_prefix: str | None,
    network: int | None,
    at: datetime,
) -> int:
    """Insert a like; `network` is `network_code(ip_prefix)`, kept for the platform scan."""
    return int(
        _INSERT_LIKE.scalar(
            conn,
            {
                "p_account": account_id,
                "p_video": video_id,
                "p_source": source,
                "p_device": device_id,
                "p_ip": ip_prefix,
                "p_network": network,
                "p_at": at,
            },
        )
    )


def mark_like_removed(conn: Connection, like_id: int, at: datetime, source: str) -> None:
    stmt = update(likes).where(likes.c.id == like_id).values(removed_at=at, removed_source=source)
    conn.execute(stmt)


def list_likes_of(
    conn: Connection, account_id: int, before_id: int | None, limit: int
) -> Sequence[Row[Any]]:
    """An account's likes, newest first, `limit` rows after the cursor (a like id)."""
    stmt = select(likes).where(likes.c.account_id == account_id)
    if before_id is not None:
        stmt = stmt.where(likes.c.id < before_id)
    return conn.execute(stmt.order_by(likes.c.id.desc()).limit(limit)).all()


def find_active_follow(conn: Connection, follower_id: int, creator_id: int) -> Row[Any] | None:
    stmt = select(follows).where(
        and_(
            follows.c.follower_id == follower_id,
            follows.c.creator_id == creator_id,
            follows.c.removed_at.is_(None),
        )
    )
    return conn.execute(stmt).first()


def active_follower_ids(conn: Connection, creator_id: int) -> list[int]:
    """The accounts that follow a creator now."""
    stmt = select(follows.c.follower_id).where(
        and_(follows.c.creator_id == creator_id, follows.c.removed_at.is_(None))
    )
    return [int(account_id) for account_id in conn.execute(stmt).scalars()]


def insert_follow(conn: Connection, values: dict[str, Any]) -> int:
    return inserted_id(conn.execute(insert(follows).values(values)))


def mark_follow_removed(conn: Connection, follow_id: int, at: datetime) -> None:
    conn.execute(update(follows).where(follows.c.id == follow_id).values(removed_at=at))


def insert_comment(conn: Connection, values: dict[str, Any]) -> int:
    return inserted_id(conn.execute(insert(comments).values(values)))


def insert_share(conn: Connection, values: dict[str, Any]) -> int:
    return inserted_id(conn.execute(insert(shares).values(values)))


def bump_video(conn: Connection, video_id: int, column: str, delta: int) -> None:
    """Add `delta` to one counter of a video (the counter row exists from video creation)."""
    _BUMP_VIDEO[column].run(conn, {"p_key": video_id, "p_delta": delta}).close()


def bump_creator(conn: Connection, creator_id: int, column: str, delta: int) -> None:
    _BUMP_CREATOR[column].run(conn, {"p_key": creator_id, "p_delta": delta}).close()


def append_event(conn: Connection, kind: str, ref_id: int) -> int:
    """Give an interaction its place in the sequence (the ledger index); returns the seq."""
    seq = allocate(conn, EVENTS)
    _INSERT_EVENT.run(conn, {"p_seq": seq, "p_kind": kind, "p_ref": ref_id}).close()
    return seq


# A run of likes the writer does together (interactions.service, SQLite): one read for the
# run, each like's own insert, then the events and the counters of the whole run at once.
_CREATORS_AND_ACTIVE_LIKES = """
SELECT v.creator_id,
       (SELECT l.id FROM likes AS l
        WHERE l.account_id = json_extract(j.value, '$[0]')
          AND l.video_id = json_extract(j.value, '$[1]') AND l.removed_at IS NULL)
FROM json_each(?) AS j LEFT JOIN videos AS v ON v.id = json_extract(j.value, '$[1]')
ORDER BY j.key
"""


def creators_and_active_likes(
    conn: Connection, pairs: Sequence[tuple[int, int]]
) -> list[tuple[int | None, int | None]]:
    """`creator_and_active_like` of each (account, video) pair, in order, in one statement
    (SQLite: the pairs travel as one JSON array)."""
    array = "[" + ",".join(f"[{int(account)},{int(video)}]" for account, video in pairs) + "]"
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        rows = cursor.execute(_CREATORS_AND_ACTIVE_LIKES, (array,)).fetchall()
    finally:
        cursor.close()
    return [
        (None if creator is None else int(creator), None if like is None else int(like))
        for creator, like in rows
    ]


def append_events(conn: Connection, kind: str, ref_ids: Sequence[int]) -> int:
    """`append_event` of several interactions at once, in order; returns the first seq."""
    first = allocate(conn, EVENTS, len(ref_ids))
    rows = [{"p_seq": first + i, "p_kind": kind, "p_ref": ref} for i, ref in enumerate(ref_ids)]
    _INSERT_EVENT.run_many(conn, rows)
    return first


def add_like_counts(
    conn: Connection, per_video: dict[int, int], per_creator: dict[int, int]
) -> None:
    """`bump_video` and `bump_creator` of the likes column, summed over many likes: one
    update per video and per creator instead of two per like."""
    for bump, deltas in ((_BUMP_VIDEO["likes"], per_video), (_BUMP_CREATOR["likes"], per_creator)):
        if deltas:
            bump.run_many(conn, [{"p_key": key, "p_delta": delta} for key, delta in deltas.items()])


def resolve_device(conn: Connection, device_key: str, user_agent: str, at: datetime) -> int:
    """The id of the device with this key and user agent, registering it on first sight."""
    stmt = select(devices.c.id).where(
        and_(devices.c.device_key == device_key, devices.c.user_agent == user_agent)
    )
    found = conn.execute(stmt).scalar()
    if found is not None:
        return int(found)
    values = {"device_key": device_key, "user_agent": user_agent, "first_seen_at": at}
    return inserted_id(conn.execute(insert(devices).values(values)))


# PostgreSQL: the whole like in one statement (data-modifying CTEs), because each statement
# is a network round trip there; SQLite runs in-process and uses the statements above.
_LIKE_PG = """
WITH v AS (SELECT creator_id FROM videos WHERE id = %(video)s),
existing AS (
    SELECT id FROM likes
    WHERE account_id = %(account)s AND video_id = %(video)s AND removed_at IS NULL
),
ins AS (
    INSERT INTO likes (account_id, video_id, source, device_id, ip_prefix, network, created_at)
    SELECT %(account)s, %(video)s, %(source)s, %(device)s, %(ip)s, %(network)s, %(at)s FROM v
    WHERE NOT EXISTS (SELECT 1 FROM existing)
    RETURNING id
),
vc AS (
    UPDATE video_counters SET likes = likes + 1
    WHERE video_id = %(video)s AND EXISTS (SELECT 1 FROM ins)
),
cc AS (
    UPDATE creator_counters SET likes = likes + 1
    WHERE creator_id = (SELECT creator_id FROM v) AND EXISTS (SELECT 1 FROM ins)
),
seq AS (
    UPDATE sequencer SET next_value = next_value + 1
    WHERE name = 'events' AND EXISTS (SELECT 1 FROM ins)
    RETURNING next_value - 1 AS value
),
ev AS (INSERT INTO events (seq, kind, ref_id) SELECT seq.value, 'like', ins.id FROM seq, ins)
SELECT (SELECT creator_id FROM v), (SELECT id FROM existing), (SELECT id FROM ins),
       (SELECT value FROM seq)
"""


def likes_in_one_round_trip(
    conn: Connection, likes: Sequence[tuple[Any, ...]]
) -> list[tuple[int | None, int | None, int | None, int | None]]:
    """PostgreSQL only: `like_in_one_statement` of each like, in order, with the statements
    sent together (psycopg's pipeline mode: one network round trip for the run, where each
    like alone costs three with its savepoint). `likes` are (account, video, source, device
    id, IP prefix, network, time). A statement that fails (a deadlock, a uniqueness race
    with another process) raises, and the caller's transaction is then to be rolled back."""
    names = ("account", "video", "source", "device", "ip", "network", "at")
    cursor: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(
            _LIKE_PG, [dict(zip(names, like, strict=True)) for like in likes], returning=True
        )
        rows: list[tuple[int | None, int | None, int | None, int | None]] = []
        while True:
            row = cursor.fetchone()
            assert row is not None, "a SELECT of scalar subqueries always returns one row"
            rows.append((row[0], row[1], row[2], row[3]))
            if not cursor.nextset():
                break
    finally:
        cursor.close()
    return rows


def like_in_one_statement(
    conn: Connection,
    account_id: int,
    video_id: int,
    source: str,
    device_id: int | None,
    ip_prefix: str | None,
    network: int | None,
    at: datetime,
) -> tuple[int | None, int | None, int | None, int | None]:
    """PostgreSQL only: (creator id or None when no video, existing like id, new like id, seq)."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            _LIKE_PG,
            {
                "account": account_id,
                "video": video_id,
                "source": source,
                "device": device_id,
                "ip": ip_prefix,
                "network": network,
                "at": at,
            },
        )
        row = cursor.fetchone()
    finally:
        cursor.close()
    assert row is not None, "a SELECT of scalar subqueries always returns one row"
    return (row[0], row[1], row[2], row[3])
