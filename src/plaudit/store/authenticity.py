"""SQL of authenticity on the platform: holds, scans, verdicts, revocations, appeals.

Every function runs inside the caller's transaction. Counters move with the rows that
justify them: `video_counters.pending` with open holds, `video_counters.revoked` with
revocations in force on active likes, and each revocation and reinstatement appends its
event ('revoke' / 'reinstate', ref_id = revocations.id) for the ledger.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from plaudit.store.bulk import BulkSQL
from plaudit.store.interactions import append_event
from plaudit.store.sequence import inserted_id
from plaudit.store.tables import (
    appeals,
    authenticity_scans,
    events,
    holds,
    likes,
    revocations,
    verdicts,
    video_counters,
    videos,
)

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "ScanLike",
    "add_counter",
    "appeal",
    "appeal_by",
    "appeals_of",
    "close_holds",
    "decide_appeal",
    "finish_scan",
    "hold_counts",
    "hold_risk",
    "in_force_revocations",
    "insert_appeal",
    "insert_hold",
    "insert_scan",
    "insert_verdict",
    "likes_to_scan",
    "likes_to_scan_sqlite",
    "lock_likes",
    "max_seq",
    "open_hold",
    "open_holds_through",
    "recent_revocations",
    "reinstate",
    "reinstated_like_ids",
    "release_removed_likes",
    "revocations_of_verdict",
    "revocations_of_video",
    "revoke",
    "scans",
    "still_revocable",
    "verdict",
    "verdict_cells",
    "verdict_involves",
    "verdicts_of_scan",
    "video_creators",
]

ScanLike = tuple[int, int, int, int, int, int]
"""(like id, account id, video id, created_at in Unix seconds, device id or -1, network code
or -1): all integers, so a chunk of rows becomes one NumPy array in one call."""


def add_counter(conn: Connection, column: str, deltas: dict[int, int]) -> None:
    """Add per-video deltas to `revoked` or `pending`."""
    col = video_counters.c[column]
    for video_id, delta in deltas.items():
        if delta:
            conn.execute(
                update(video_counters)
                .where(video_counters.c.video_id == video_id)
                .values({col: col + delta})
            )


# --- holds ---


def insert_hold(
    conn: Connection, like_id: int, video_id: int, rule: str, risk: int, at: datetime
) -> None:
    """Hold a like just inserted: it is pending until a scan or an operator decides."""
    conn.execute(
        insert(holds).values(like_id=like_id, video_id=video_id, rule=rule, risk=risk, held_at=at)
    )
    add_counter(conn, "pending", {video_id: 1})


def open_hold(conn: Connection, like_id: int) -> Row[Any] | None:
    stmt = select(holds).where(and_(holds.c.like_id == like_id, holds.c.released_at.is_(None)))
    return conn.execute(stmt).first()


def hold_risk(conn: Connection, like_id: int) -> int | None:
    """The risk a rule gave a like it held (open or decided), None for a like never held."""
    risk = conn.execute(select(holds.c.risk).where(holds.c.like_id == like_id)).scalar()
    return None if risk is None else int(risk)


def open_holds_through(conn: Connection, through_seq: int) -> list[tuple[int, int]]:
    """(like id, video id) of open holds whose like is sequenced at or before `through_seq`."""
    stmt = (
        select(holds.c.like_id, holds.c.video_id)
        .join(events, and_(events.c.ref_id == holds.c.like_id, events.c.kind == "like"))
        .where(and_(holds.c.released_at.is_(None), events.c.seq <= through_seq))
    )
    return [(int(r[0]), int(r[1])) for r in conn.execute(stmt)]


def close_holds(
    conn: Connection, held: Sequence[tuple[int, int]], outcome: str, at: datetime
) -> None:
    """Close open holds of (like id, video id) with `outcome`; pending counts go down by the
    holds this call closed (a concurrent unlike may have withdrawn one since it was read)."""
    closed: Counter[int] = Counter()
    for like_id, video_id in held:
        result = conn.execute(
            update(holds)
            .where(and_(holds.c.like_id == like_id, holds.c.released_at.is_(None)))
            .values(released_at=at, outcome=outcome)
        )
        closed[video_id] += result.rowcount
    add_counter(conn, "pending", {v: -n for v, n in closed.items()})


def release_removed_likes(
    conn: Connection, removed: Sequence[tuple[int, int]], at: datetime
) -> None:
    """Unliked (like id, video id) leave the pending and revoked counts; rows keep history."""
    if not removed:
        return
    video_of = dict(removed)
    ids = sorted(video_of)
    held: list[tuple[int, int]] = []
    revoked: Counter[int] = Counter()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        open_stmt = select(holds.c.like_id).where(
            and_(holds.c.like_id.in_(chunk), holds.c.released_at.is_(None))
        )
        held.extend((int(r[0]), video_of[int(r[0])]) for r in conn.execute(open_stmt))
        in_force = select(revocations.c.like_id).where(
            and_(revocations.c.like_id.in_(chunk), revocations.c.reinstated_at.is_(None))
        )
        revoked.update(video_of[int(r[0])] for r in conn.execute(in_force))
    if held:
        close_holds(conn, held, "withdrawn", at)
    add_counter(conn, "revoked", {v: -n for v, n in revoked.items()})


# --- scans and verdicts ---


def max_seq(conn: Connection) -> int | None:
    value = conn.execute(select(func.max(events.c.seq))).scalar()
    return None if value is None else int(value)


_SCAN_COLUMNS = (
    "l.id, l.account_id, l.video_id, {epoch}, COALESCE(l.device_id, -1), COALESCE(l.network, -1)"
)
_SCAN_SQL = {
    # One SQLite read transaction is one snapshot, and a like and its 'like' event commit
    # together in seq order (one writer): the likes it sees are those sequenced up to max(seq).
    "sqlite": f"""
SELECT {_SCAN_COLUMNS} FROM likes l
WHERE l.removed_at IS NULL
ORDER BY l.id
""",
    # READ COMMITTED gives each statement its own snapshot: the events name the likes
    # sequenced up to the mark read before.
    "postgresql": f"""
SELECT {_SCAN_COLUMNS} FROM likes l
JOIN events e ON e.ref_id = l.id AND e.kind = 'like'
WHERE l.removed_at IS NULL AND e.seq <= %s
ORDER BY l.id
""",
}
_EPOCH = {
    "sqlite": "CAST(strftime('%s', l.created_at) AS INTEGER)",
    "postgresql": "CAST(EXTRACT(EPOCH FROM l.created_at) AS BIGINT)",
}


def likes_to_scan(
    conn: Connection, through_seq: int, chunk: int = 200_000
) -> Iterator[list[ScanLike]]:
    """Active likes sequenced at or before `through_seq`, in chunks of ScanLike rows.

    `through_seq` must be `max_seq` read in the same read transaction (`Database.read`).
    Read on the driver's cursor with the time as Unix seconds computed by the database: a
    scan reads millions of rows, and converting each through SQLAlchemy's result types
    cost more than the detectors. On SQLite the read needs no join with `events` (which
    cost 40-50 s of the medium demo's scan): the transaction's snapshot already holds
    exactly the likes sequenced up to `through_seq`. PostgreSQL streams through a
    server-side cursor.
    """
    dialect = conn.dialect.name
    sql = _SCAN_SQL[dialect].replace("{epoch}", _EPOCH[dialect])
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor() if dialect == "sqlite" else raw.cursor(name="plaudit_scan")
    try:
        cursor.execute(sql, () if dialect == "sqlite" else (through_seq,))
        while rows := cursor.fetchmany(chunk):
            yield list(rows)
    finally:
        cursor.close()


_SQLITE_COLUMNS_SQL = """
SELECT l.id, l.account_id, l.video_id, unixepoch(l.created_at),
       COALESCE(l.device_id, -1), COALESCE(l.network, -1)
FROM likes l
WHERE l.removed_at IS NULL
ORDER BY l.id
"""


def likes_to_scan_sqlite(path: str) -> tuple[int | None, pa.Table, pa.Table]:
    """(`max_seq`, the active likes, (video id, creator id) of every video) of the SQLite
    store at `path`, read in ONE read transaction as Arrow columns.

    The same rows and columns as `likes_to_scan` (the time as Unix seconds; `unixepoch`
    and `strftime('%s')` agree to the second), but read by ADBC's SQLite driver, which
    steps the statement and fills the columns in C: the driver's cursor made a Python
    tuple of six ints per like, two thirds of the 26 s the medium demo's 16.5M likes took
    (docs/authenticity.md, "The platform scan's time"). A connection of its own, opened
    read-only: its first SELECT fixes the snapshot that the other two read. The path is
    percent-encoded in the URI (SQLite decodes it).
    """
    import adbc_driver_sqlite.dbapi as adbc_sqlite  # Arrow and NumPy: only when a scan runs

    with (
        adbc_sqlite.connect(f"file:{quote(path)}?mode=ro") as conn,
        conn.cursor() as cursor,
    ):
        cursor.execute("SELECT max(seq) FROM events")
        row = cursor.fetchone()
        through = None if row is None or row[0] is None else int(row[0])
        cursor.execute(_SQLITE_COLUMNS_SQL)
        rows = cursor.fetch_arrow_table()
        cursor.execute("SELECT id, creator_id FROM videos")
        creators = cursor.fetch_arrow_table()
        conn.rollback()
    names = ["id", "account_id", "video_id", "ts", "device_id", "network"]
    return through, _int64(rows, names), _int64(creators, ["video_id", "creator_id"])


def _int64(table: pa.Table, names: list[str]) -> pa.Table:
    """The columns renamed and typed int64 (ADBC types an empty result's columns otherwise)."""
    import pyarrow as pa

    return pa.table({name: table.column(i).cast(pa.int64()) for i, name in enumerate(names)})


def video_creators(conn: Connection) -> list[tuple[int, int]]:
    """(video id, creator id) of every video."""
    return [(int(v), int(c)) for v, c in conn.execute(select(videos.c.id, videos.c.creator_id))]


def insert_scan(conn: Connection, started_at: datetime) -> int:
    return inserted_id(conn.execute(insert(authenticity_scans).values(started_at=started_at)))


def finish_scan(
    conn: Connection,
    scan_id: int,
    at: datetime,
    through_seq: int | None,
    found: int,
    revoked: int,
) -> None:
    conn.execute(
        update(authenticity_scans)
        .where(authenticity_scans.c.id == scan_id)
        .values(finished_at=at, through_seq=through_seq, verdicts=found, likes_revoked=revoked)
    )


def insert_verdict(
    conn: Connection, scan_id: int | None, detector: str, score: float, evidence: str, at: datetime
) -> int:
    values = {
        "scan_id": scan_id,
        "detector": detector,
        "score": score,
        "evidence": evidence,
        "status": "in_force",
        "created_at": at,
    }
    return inserted_id(conn.execute(insert(verdicts).values(values)))


def verdict(conn: Connection, verdict_id: int) -> Row[Any] | None:
    return conn.execute(select(verdicts).where(verdicts.c.id == verdict_id)).first()


def reinstated_like_ids(conn: Connection, like_ids: Sequence[int]) -> set[int]:
    """Those of `like_ids` an operator reinstated once: a later scan leaves them alone."""
    found: set[int] = set()
    for start in range(0, len(like_ids), 500):
        stmt = select(revocations.c.like_id).where(
            and_(
                revocations.c.like_id.in_(like_ids[start : start + 500]),
                revocations.c.reinstated_at.is_not(None),
            )
        )
        found.update(int(r[0]) for r in conn.execute(stmt))
    return found


def lock_likes(conn: Connection, like_ids: Sequence[int]) -> None:
    """Lock these like rows (PostgreSQL) in id order before any counter is touched, so a
    scan revoking several verdicts' likes cannot deadlock with an unlike (which locks its
    like first, then the counters). SQLite's single writer needs no lock."""
    if conn.dialect.name != "postgresql":
        return
    ids = sorted(set(like_ids))
    for start in range(0, len(ids), 500):
        stmt = (
            select(likes.c.id)
            .where(likes.c.id.in_(ids[start : start + 500]))
            .order_by(likes.c.id)
            .with_for_update()
        )
        conn.execute(stmt).close()


def still_revocable(conn: Connection, like_ids: Sequence[int]) -> list[tuple[int, int, int]]:
    """(like id, account id, video id) of those likes still active and not revoked now.

    On PostgreSQL the rows are locked until the revocation commits, so a concurrent unlike
    either went first (the like is not returned) or waits and then sees the revocation
    (and takes the like out of `revoked`): never a revoked count for a like that is gone.
    """
    rows: list[tuple[int, int, int]] = []
    for start in range(0, len(like_ids), 500):
        chunk = like_ids[start : start + 500]
        revoked = (
            select(revocations.c.id)
            .where(and_(revocations.c.like_id == likes.c.id, revocations.c.reinstated_at.is_(None)))
            .exists()
        )
        stmt = (
            select(likes.c.id, likes.c.account_id, likes.c.video_id)
            .where(and_(likes.c.id.in_(chunk), likes.c.removed_at.is_(None), ~revoked))
            .with_for_update(of=likes)
        )
        rows.extend((int(r[0]), int(r[1]), int(r[2])) for r in conn.execute(stmt))
    return rows


def revoke(
    conn: Connection, verdict_id: int, targets: Sequence[tuple[int, int, int]], at: datetime
) -> int:
    """Revoke (like id, account id, video id) likes under a verdict; each gets its event.

    Set-based (ids reserved up front, one executemany per table): a verdict on a large farm
    names millions of likes.
    """
    if not targets:
        return 0
    bulk = BulkSQL(conn)
    try:
        ids = bulk.reserve_ids("revocations", len(targets))
        when = bulk.time(at)
        bulk.insert(
            "revocations",
            ("id", "like_id", "account_id", "video_id", "verdict_id", "revoked_at"),
            [
                (rid, like, account, video, verdict_id, when)
                for rid, (like, account, video) in zip(ids, targets, strict=True)
            ],
        )
        bulk.append_events([("revoke", rid) for rid in ids])
    finally:
        bulk.close()
    add_counter(conn, "revoked", dict(Counter(video for _, _, video in targets)))
    return len(targets)


def in_force_revocations(
    conn: Connection,
    verdict_id: int,
    account_id: int | None = None,
    creator_id: int | None = None,
    *,
    lock: bool = False,
) -> list[Row[Any]]:
    """A verdict's revocations in force, optionally of one account or one creator's videos.

    `lock` (a reinstatement) locks the likes on PostgreSQL, so `like_removed_at` is current
    and a concurrent unlike waits, then sees the reinstatement: the like leaves `revoked`
    once, by the unlike or by the reinstatement, never by both.
    """
    stmt = (
        select(revocations, likes.c.removed_at.label("like_removed_at"))
        .join(likes, likes.c.id == revocations.c.like_id)
        .where(and_(revocations.c.verdict_id == verdict_id, revocations.c.reinstated_at.is_(None)))
    )
    if account_id is not None:
        stmt = stmt.where(revocations.c.account_id == account_id)
    if creator_id is not None:
        stmt = stmt.join(videos, videos.c.id == revocations.c.video_id).where(
            videos.c.creator_id == creator_id
        )
    if lock:
        stmt = stmt.with_for_update(of=likes)
    return list(conn.execute(stmt.order_by(revocations.c.id)))


def reinstate(conn: Connection, rows: Sequence[Row[Any]], at: datetime) -> int:
    """Reinstate revocations still in force; each gets its event; counters move for active
    likes only. Returns how many this call reinstated.

    The UPDATE is conditional: two decisions (the fan's appeal and the creator's, about the
    same revocation) may both have read it in force; the second finds it reinstated once
    the first commits, and must not append a second event or lower the count again.
    """
    per_video: Counter[int] = Counter()
    done: list[Row[Any]] = []
    for row in rows:
        result = conn.execute(
            update(revocations)
            .where(and_(revocations.c.id == row.id, revocations.c.reinstated_at.is_(None)))
            .values(reinstated_at=at)
        )
        if result.rowcount != 1:
            continue
        done.append(row)
        append_event(conn, "reinstate", row.id)
        if row.like_removed_at is None:
            per_video[row.video_id] += 1
    add_counter(conn, "revoked", {v: -n for v, n in per_video.items()})
    verdict_ids = {row.verdict_id for row in done}
    for verdict_id in verdict_ids:
        left = conn.execute(
            select(func.count())
            .select_from(revocations)
            .where(
                and_(revocations.c.verdict_id == verdict_id, revocations.c.reinstated_at.is_(None))
            )
        ).scalar_one()
        if not left:
            conn.execute(
                update(verdicts).where(verdicts.c.id == verdict_id).values(status="reinstated")
            )
    return len(done)


def verdict_involves(conn: Connection, verdict_id: int, account_id: int) -> tuple[bool, bool]:
    """(the verdict revoked a like of this account, it revoked a like on this creator's video)"""
    own = conn.execute(
        select(func.count())
        .select_from(revocations)
        .where(and_(revocations.c.verdict_id == verdict_id, revocations.c.account_id == account_id))
    ).scalar_one()
    on_videos = conn.execute(
        select(func.count())
        .select_from(revocations)
        .join(videos, videos.c.id == revocations.c.video_id)
        .where(and_(revocations.c.verdict_id == verdict_id, videos.c.creator_id == account_id))
    ).scalar_one()
    return bool(own), bool(on_videos)


def revocations_of_verdict(conn: Connection, verdict_id: int, account_id: int) -> list[Row[Any]]:
    """A verdict's revocations (any state) of the account's likes or on its videos."""
    stmt = (
        select(revocations, likes.c.created_at.label("liked_at"))
        .join(likes, likes.c.id == revocations.c.like_id)
        .join(videos, videos.c.id == revocations.c.video_id)
        .where(
            and_(
                revocations.c.verdict_id == verdict_id,
                (revocations.c.account_id == account_id) | (videos.c.creator_id == account_id),
            )
        )
    )
    return list(conn.execute(stmt.order_by(revocations.c.id)))


def revocations_of_video(
    conn: Connection, video_id: int, before_id: int | None, limit: int
) -> list[Row[Any]]:
    """A video's revocations (in force and reinstated), newest first, with their verdicts."""
    stmt = (
        select(
            revocations,
            likes.c.created_at.label("liked_at"),
            likes.c.removed_at.label("like_removed_at"),
            verdicts.c.detector,
            verdicts.c.score,
            verdicts.c.evidence,
            verdicts.c.status.label("verdict_status"),
        )
        .join(likes, likes.c.id == revocations.c.like_id)
        .join(verdicts, verdicts.c.id == revocations.c.verdict_id)
        .where(revocations.c.video_id == video_id)
    )
    if before_id is not None:
        stmt = stmt.where(revocations.c.id < before_id)
    return list(conn.execute(stmt.order_by(revocations.c.id.desc()).limit(limit)))


# --- appeals ---


def insert_appeal(
    conn: Connection, verdict_id: int, account_id: int, reason: str, at: datetime
) -> int:
    values = {
        "verdict_id": verdict_id,
        "account_id": account_id,
        "reason": reason,
        "status": "open",
        "created_at": at,
    }
    return inserted_id(conn.execute(insert(appeals).values(values)))


def appeal(conn: Connection, appeal_id: int) -> Row[Any] | None:
    return conn.execute(select(appeals).where(appeals.c.id == appeal_id)).first()


def appeal_by(conn: Connection, verdict_id: int, account_id: int) -> Row[Any] | None:
    stmt = select(appeals).where(
        and_(appeals.c.verdict_id == verdict_id, appeals.c.account_id == account_id)
    )
    return conn.execute(stmt).first()


def appeals_of(conn: Connection, status: str | None, limit: int) -> list[Row[Any]]:
    stmt = select(appeals)
    if status is not None:
        stmt = stmt.where(appeals.c.status == status)
    return list(conn.execute(stmt.order_by(appeals.c.id).limit(limit)))


def decide_appeal(
    conn: Connection, appeal_id: int, status: str, by: int | None, note: str, at: datetime
) -> bool:
    """Record a decision on an open appeal; False when it was decided meanwhile."""
    result = conn.execute(
        update(appeals)
        .where(and_(appeals.c.id == appeal_id, appeals.c.status == "open"))
        .values(status=status, decided_by=by, decision=note, decided_at=at)
    )
    return bool(result.rowcount)


# --- the operator's views: scans, verdicts, revocations, holds per rule ---


def scans(conn: Connection, limit: int) -> list[Row[Any]]:
    """The newest scans first, with their figures."""
    stmt = select(authenticity_scans).order_by(authenticity_scans.c.id.desc()).limit(limit)
    return list(conn.execute(stmt))


def verdicts_of_scan(conn: Connection, scan_id: int | None, limit: int) -> list[Row[Any]]:
    """A scan's verdicts (None: those an operator made by hand), highest score first."""
    where = verdicts.c.scan_id.is_(None) if scan_id is None else verdicts.c.scan_id == scan_id
    stmt = select(verdicts).where(where).order_by(verdicts.c.score.desc(), verdicts.c.id)
    return list(conn.execute(stmt.limit(limit)))


def recent_revocations(conn: Connection, before_id: int | None, limit: int) -> list[Row[Any]]:
    """Every revocation, newest first, with its verdict's detector and score."""
    stmt = select(
        revocations,
        likes.c.created_at.label("liked_at"),
        verdicts.c.detector,
        verdicts.c.score,
    ).join(likes, likes.c.id == revocations.c.like_id)
    stmt = stmt.join(verdicts, verdicts.c.id == revocations.c.verdict_id)
    if before_id is not None:
        stmt = stmt.where(revocations.c.id < before_id)
    return list(conn.execute(stmt.order_by(revocations.c.id.desc()).limit(limit)))


def verdict_cells(conn: Connection, verdict_id: int) -> list[tuple[int, int]]:
    """(account id, video id) of every like the verdict revoked: its block's filled cells."""
    stmt = select(revocations.c.account_id, revocations.c.video_id).where(
        revocations.c.verdict_id == verdict_id
    )
    return [(int(a), int(v)) for a, v in conn.execute(stmt.distinct())]


def hold_counts(conn: Connection, since: datetime) -> list[Row[Any]]:
    """Per rule: likes held since `since`, how many of those are still open, released and
    revoked; and every hold open now, whenever it was made."""
    held_recently = holds.c.held_at >= since
    stmt = select(
        holds.c.rule,
        func.sum(case((held_recently, 1), else_=0)).label("held"),
        func.sum(case((and_(held_recently, holds.c.outcome == "released"), 1), else_=0)).label(
            "released"
        ),
        func.sum(case((and_(held_recently, holds.c.outcome == "revoked"), 1), else_=0)).label(
            "revoked"
        ),
        func.sum(case((holds.c.released_at.is_(None), 1), else_=0)).label("open_now"),
    ).group_by(holds.c.rule)
    return list(conn.execute(stmt))
