"""The scan of the platform's own likes: detectors in, verdicts and revocations out.

`plaudit authenticity scan` without `--input` runs this. It reads every active like
sequenced up to the current end of the event sequence (`through_seq`), runs the same
detectors as the standalone scan (`plaudit.authenticity.batch`), and then, in ONE write
transaction: records the scan, stores each verdict with its evidence, revokes the likes it
names (a revocation row, a 'revoke' event that becomes a REVOKE ledger entry, the video's
`revoked` counter), and decides the holds the real-time rules left open up to
`through_seq`: a flagged held like is revoked, every other one is released.

A like an operator reinstated after an appeal is never revoked again by a later scan; a like
revoked already stays under its first verdict; a verdict that would revoke nothing new is not
stored, so running the scan twice on the same data changes nothing the second time.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from sqlalchemy.engine import Connection

from plaudit.authenticity.batch import ScanSettings, scan
from plaudit.authenticity.table import Interactions, from_arrays
from plaudit.authenticity.verdicts import Verdict
from plaudit.store import Database, utcnow
from plaudit.store import authenticity as sql

__all__ = [
    "EVIDENCE_IDS",
    "PlatformLikes",
    "ScanReport",
    "load_likes",
    "run_platform_scan",
]

EVIDENCE_IDS = 5000
"""A verdict's stored evidence lists at most this many account and video ids (counts are full)."""


@dataclass(frozen=True)
class PlatformLikes:
    """The scanned likes as a detector table, with the like id of each row."""

    table: Interactions | None
    like_ids: NDArray[np.int64]
    through_seq: int | None


@dataclass
class ScanReport:
    """What one platform scan did."""

    scan_id: int
    through_seq: int | None
    likes_scanned: int
    verdicts: int = 0
    likes_revoked: int = 0
    holds_released: int = 0
    holds_revoked: int = 0
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        through = (
            "nothing to scan" if self.through_seq is None else f"through seq {self.through_seq}"
        )
        return (
            f"scan {self.scan_id} ({through}): {self.likes_scanned:,} likes scanned, "
            f"{self.verdicts} verdicts, {self.likes_revoked:,} likes revoked; holds: "
            f"{self.holds_released:,} released, {self.holds_revoked:,} revoked"
        )


def load_likes(db: Database) -> PlatformLikes:
    """Every active like sequenced so far, as integer columns (one read transaction).

    On SQLite the store hands over Arrow columns built by the driver in C
    (`likes_to_scan_sqlite`); on PostgreSQL chunks of integer rows, each chunk one array at
    once. Either way no like outlives its chunk as a Python tuple and no prefix is parsed
    here (the network is an integer, kept with each like when it was written)."""
    path = db.sqlite_path
    if path is not None:
        through, rows, creators = sql.likes_to_scan_sqlite(path)
        if through is None:
            return PlatformLikes(None, np.empty(0, np.int64), None)
        columns = [_numpy(rows.column(i)) for i in range(6)]
        pairs = (_numpy(creators.column(0)), _numpy(creators.column(1)))
        del rows, creators
    else:
        with db.read() as conn:
            through = sql.max_seq(conn)
            if through is None:
                return PlatformLikes(None, np.empty(0, np.int64), None)
            columns = _driver_rows(conn, through)
            listed = sql.video_creators(conn)
        pairs = (
            np.array([v for v, _ in listed], np.int64),
            np.array([c for _, c in listed], np.int64),
        )
    if len(columns[0]) == 0:
        return PlatformLikes(None, np.empty(0, np.int64), through)
    like_ids, account, video, ts, device, network = columns
    creator = _creator_of(*pairs, int(video.max()))
    # `from_arrays` numbers the networks densely in order of first appearance, -1 staying
    # none, so the stored codes go in as they are
    table = from_arrays(account, video, ts, device=device, ip=network, creator_of_video=creator)
    return PlatformLikes(table, like_ids, through)


def _numpy(column: pa.ChunkedArray) -> NDArray[np.int64]:
    array: NDArray[np.int64] = column.to_numpy()
    return array


def _driver_rows(conn: Connection, through: int) -> list[NDArray[np.int64]]:
    """The likes through the driver's cursor: six columns, one array per chunk of rows."""
    parts: list[NDArray[np.int64]] = []
    for chunk in sql.likes_to_scan(conn, through):
        flat = itertools.chain.from_iterable(chunk)  # twice as fast as np.array(chunk)
        parts.append(np.fromiter(flat, np.int64, 6 * len(chunk)).reshape(-1, 6))
    rows = np.concatenate(parts) if parts else np.empty((0, 6), np.int64)
    del parts
    return [rows[:, i].copy() for i in range(6)]


def _creator_of(
    video_ids: NDArray[np.int64], creator_ids: NDArray[np.int64], last_video: int
) -> NDArray[np.int64]:
    """Creator id indexed by video id, for the videos up to `last_video` (-1: none)."""
    creator = np.full(last_video + 1, -1, dtype=np.int64)
    known = video_ids <= last_video
    creator[video_ids[known]] = creator_ids[known]
    return creator


def run_platform_scan(
    db: Database,
    settings: ScanSettings | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScanReport:
    """Scan the platform's likes and record the verdicts, revocations and hold decisions."""
    started = utcnow()
    likes = load_likes(db)
    verdicts: list[Verdict] = []
    notes: list[str] = []
    if likes.table is not None:
        result = scan(likes.table, settings, progress)
        verdicts, notes = result.verdicts, result.notes
    write = _record(started, likes, verdicts)
    report = db.write(write)
    report.notes = notes
    return report


def _record(
    started: datetime, likes: PlatformLikes, verdicts: list[Verdict]
) -> Callable[[Connection], ScanReport]:
    def op(conn: Connection) -> ScanReport:
        now = utcnow()
        report = ScanReport(sql.insert_scan(conn, started), likes.through_seq, len(likes.like_ids))
        flagged: set[int] = set()
        sql.lock_likes(conn, [int(i) for v in verdicts for i in likes.like_ids[v.likes]])
        for verdict in sorted(verdicts, key=lambda v: -v.score):
            named = [int(i) for i in likes.like_ids[verdict.likes]]
            flagged.update(named)
            report.likes_revoked += _revoke(conn, likes, verdict, named, now, report)
        if likes.through_seq is not None:
            _decide_holds(conn, likes.through_seq, flagged, now, report)
        sql.finish_scan(
            conn,
            report.scan_id,
            now,
            likes.through_seq,
            report.verdicts,
            report.likes_revoked,
        )
        return report

    return op


def _revoke(
    conn: Connection,
    likes: PlatformLikes,
    verdict: Verdict,
    named: list[int],
    at: datetime,
    report: ScanReport,
) -> int:
    """Store the verdict and revoke its likes, unless it has nothing new to revoke."""
    reinstated = sql.reinstated_like_ids(conn, named)
    targets = sql.still_revocable(conn, [i for i in named if i not in reinstated])
    if not targets:
        return 0
    assert likes.table is not None
    evidence = json.dumps(evidence_of(likes.table, verdict), default=_plain)
    verdict_id = sql.insert_verdict(
        conn, report.scan_id, verdict.detector, float(verdict.score), evidence, at
    )
    report.verdicts += 1
    return sql.revoke(conn, verdict_id, targets, at)


def _decide_holds(
    conn: Connection, through_seq: int, flagged: set[int], at: datetime, report: ScanReport
) -> None:
    held = sql.open_holds_through(conn, through_seq)
    revoked = [h for h in held if h[0] in flagged]
    released = [h for h in held if h[0] not in flagged]
    sql.close_holds(conn, revoked, "revoked", at)
    sql.close_holds(conn, released, "released", at)
    report.holds_revoked, report.holds_released = len(revoked), len(released)


def evidence_of(table: Interactions, verdict: Verdict) -> dict[str, Any]:
    """The stored evidence of a verdict, in platform ids (accounts, videos, window, test)."""
    return {
        "detector": verdict.detector,
        "score": round(float(verdict.score), 2),
        "accounts_count": len(verdict.accounts),
        "videos_count": len(verdict.videos),
        "likes_count": len(verdict.likes),
        "accounts": table.account_ids[verdict.accounts[:EVIDENCE_IDS]].tolist(),
        "videos": table.video_ids[verdict.videos[:EVIDENCE_IDS]].tolist(),
        "window": {
            "start": _iso(verdict.window[0]),
            "end": _iso(verdict.window[1]),
        },
        "density": round(float(verdict.density), 4),
        "observed": float(verdict.observed),
        "expected": round(float(verdict.expected), 3),
        "notes": verdict.notes,
    }


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(int(seconds), UTC).isoformat().replace("+00:00", "Z")


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value)}")
