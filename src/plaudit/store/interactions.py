"""SQL for interactions: likes, comments, follows, shares, their counters and the event sequence.

Each function runs inside the caller's transaction; the interactions service composes them
into one transaction per use case.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, insert, select, update
from sqlalchemy.engine import Connection, Row

from plaudit.store.prepared import Prepared
from plaudit.store.sequence import EVENTS, allocate, inserted_id
from plaudit.store.tables import (
    comments,
    creator_counters,
    devices,
    events,
    follows,
    likes,
    shares,
    video_counters,
    videos,
)
from plaudit.store.types import UTCDateTime

__all__ = [
    "active_follower_ids",
    "append_event",
    "bump_creator",
    "bump_video",
    "creator_and_active_like",
    "find_active_follow",
    "find_active_like",
    "insert_comment",
    "insert_follow",
    "insert_like",
    "insert_share",
    "like_in_one_statement",
    "like_seq",
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
