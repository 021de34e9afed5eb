"""The platform scan's read of the likes (`platform_scan.load_likes`), against the store's floor.

Figure: CPU seconds (user + sys of this process) and wall seconds of `load_likes` on a data
directory (e.g. the medium demo: `plaudit demo --size medium`), with the peak RSS.

Anchor, measured in the same run just before (after a first, warm-up pass of the same
query): SQLite itself reading the same rows (`SELECT count(*), sum(...)` over the active
likes' columns, done in C, nothing reaches Python). The ratio says what turning the rows
into detector arrays adds to reading them off the pages; on a shared machine both suffer
the same page-cache and CPU pressure.

With `--old`, it also times the read as it was before issue 19 (a join of likes, videos and
events, then each distinct prefix string judged once), on the same database, so the gain is
measured in one run under one load.

    python benchmarks/platform_read.py --data-dir D [--old]

The data directory is only read (the read opens no write transaction, but opening the
platform applies pending migrations: run `plaudit db upgrade` first).
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from plaudit.authenticity.platform_scan import load_likes
from plaudit.config import load_settings
from plaudit.interactions.model import is_public_prefix
from plaudit.store import Database

_FLOOR = (
    "SELECT count(*), sum(account_id), sum(video_id), sum(length(created_at)), "
    "count(device_id), count(network) FROM likes NOT INDEXED WHERE removed_at IS NULL"
)
_OLD = """
SELECT l.id, l.account_id, l.video_id, CAST(strftime('%s', l.created_at) AS INTEGER),
       l.device_id, l.ip_prefix, v.creator_id
FROM likes l
JOIN videos v ON v.id = l.video_id
JOIN events e ON e.ref_id = l.id AND e.kind = 'like'
WHERE l.removed_at IS NULL AND e.seq <= (SELECT MAX(seq) FROM events)
ORDER BY l.id
"""


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(label: str, fn: Callable[[], Any]) -> tuple[float, float]:
    load = os.getloadavg()[0]
    wall0, cpu0 = time.monotonic(), cpu()
    fn()
    wall, spent = time.monotonic() - wall0, cpu() - cpu0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(
        f"{label:<28} CPU {spent:7.1f} s  wall {wall:7.1f} s  peak RSS so far {peak:.2f} GB  "
        f"load {load:.1f} -> {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return spent, wall


def floor(db: Database) -> None:
    """The anchor's query on the platform's own reader connection (its cache settings)."""
    with db.read() as conn:
        print("  ", conn.exec_driver_sql(_FLOOR).fetchone(), flush=True)


def old_read(path: str) -> None:
    """The read before issue 19, chunk by chunk into arrays as it was done then."""
    code_of: dict[str | None, int] = {}
    parts: list[int] = []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        cursor = conn.execute(_OLD)
        while rows := cursor.fetchmany(200_000):
            like_id, account, video, ts, device, prefix, creator = zip(*rows, strict=True)
            for p in dict.fromkeys(prefix):
                if p not in code_of:
                    code_of[p] = len(code_of) if p and is_public_prefix(p) else -1
            columns = [np.array(c, dtype=np.int64) for c in (like_id, account, video, ts)]
            columns.append(np.array([-1 if d is None else d for d in device], np.int64))
            columns.append(np.fromiter(map(code_of.__getitem__, prefix), np.int64, len(prefix)))
            columns.append(np.array(creator, dtype=np.int64))
            parts.append(sum(len(c) for c in columns))
    print(f"   {sum(parts) // 7:,} likes, {len(code_of):,} distinct prefixes", flush=True)


def new_read(db: Database) -> None:
    likes = load_likes(db)
    assert likes.table is not None
    print(f"   {len(likes.like_ids):,} likes through seq {likes.through_seq:,}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--old", action="store_true", help="also time the read before issue 19")
    args = parser.parse_args()
    settings = load_settings(flags={"data_dir": args.data_dir}, env={})
    path = str(settings.data_path / "plaudit.db")
    db = Database(settings)
    db.migrate()
    # the first pass pays for the pages the machine's other work evicted; NOT INDEXED: on its
    # own the planner walks the partial index on active likes and fetches each row by id
    timed("warm-up: SQLite reads the rows", lambda: floor(db))
    anchor, _ = timed("anchor: SQLite reads the rows", lambda: floor(db))
    if args.old:
        before, _ = timed("read before issue 19", lambda: old_read(path))
        print(f"   {before / anchor:.1f}x the anchor's CPU")
    after, _ = timed("load_likes", lambda: new_read(db))
    print(f"   {after / anchor:.1f}x the anchor's CPU")
    db.close()


if __name__ == "__main__":
    main()
