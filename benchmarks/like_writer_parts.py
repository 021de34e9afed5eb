"""The like's write on SQLite by part: SQLite's own work for a run of likes, and what the
schema levers of issue 18 would save of it.

    python benchmarks/like_writer_parts.py [--likes 6000] [--run 24] [--rounds 3]

Why: the writer thread costs 70-100 µs per like under `benchmarks/ingest.py`, and the
levers seen in its profile were the schema's (the like's three foreign-key probes, the
event's `seq` primary key, a second B-tree next to the rowid). Before a migration is
written for them, this measures what they buy. On a fresh database of the ingest
benchmark's community (2,000 fans, 500 videos, migrated by Plaudit), `--likes` new likes
are written `--run` to a transaction with raw `sqlite3` statements, as the writer's run of
likes does (the run's read of each video and active like, each like's insert, the run's seq,
its events and a counter, `synchronous=FULL`, the commit), in four variants alternated
round by round:

- `as is`: the schema as migrated (the anchor);
- `no foreign keys`: `PRAGMA foreign_keys=OFF` (the three probes per like gone);
- `events by rowid`: `events` rebuilt with `seq INTEGER PRIMARY KEY` (one B-tree, not two);
- `both`.

Then the same likes through Plaudit's own run of likes (`like_op`'s group, the function
the writer thread calls, with its commit) on the `as is` schema: the difference to the
anchor is the Python around SQLite's work. Prints the median CPU µs per like (user+system
of the process) of each, its ratio to the anchor, the load average, and Plaudit's run by
part: building the likes' write objects, SQLAlchemy's BEGIN, the run's statements (the
read, inserts, counters, seq, events), the commit; and the CPU of an empty read
transaction (`Database.read()`), which every read of the API pays.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import FANS, VIDEOS, _community

from plaudit.config import load_settings
from plaudit.interactions.service import NO_DEVICE, like_op
from plaudit.platform import Platform
from plaudit.store import utcnow
from plaudit.store.prepared import SQLITE_TIME
from plaudit.store.writer import GroupedWrite

_READ = (
    "SELECT creator_id, (SELECT id FROM likes WHERE account_id = ? AND video_id = ? "
    "AND removed_at IS NULL) FROM videos WHERE id = ?"
)
_INSERT = (
    "INSERT INTO likes (account_id, video_id, source, device_id, ip_prefix, network, "
    "created_at) VALUES (?, ?, 'app', NULL, NULL, NULL, ?) RETURNING id"
)
_SEQ = "UPDATE sequencer SET next_value = next_value + ? WHERE name = 'events' RETURNING next_value"
_EVENT = "INSERT INTO events (seq, kind, ref_id) VALUES (?, 'like', ?)"
_COUNTER = "UPDATE video_counters SET likes = likes + 1 WHERE video_id = ?"
_EVENTS_BY_ROWID = """
BEGIN;
CREATE TABLE events_by_rowid (
    seq INTEGER NOT NULL PRIMARY KEY, kind VARCHAR(16) NOT NULL, ref_id INTEGER NOT NULL
);
INSERT INTO events_by_rowid SELECT seq, kind, ref_id FROM events;
DROP TABLE events;
ALTER TABLE events_by_rowid RENAME TO events;
CREATE INDEX ix_events_ref ON events (ref_id, kind);
COMMIT;
"""
VARIANTS = {
    "as is": (True, False),
    "no foreign keys": (False, False),
    "events by rowid": (True, True),
    "both": (False, True),
}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _pairs(count: int, seed: int) -> list[tuple[int, int]]:
    """`count` distinct (fan, video) pairs: every like is new."""
    rng = random.Random(seed)
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < count:
        pairs.add((rng.randrange(2, FANS + 2), rng.randrange(1, VIDEOS + 1)))
    return sorted(pairs, key=lambda _: rng.random())


def _raw_run(db: sqlite3.Connection, run: list[tuple[int, int]]) -> None:
    """One run of likes in one transaction, as `interactions.service._likes_together`."""
    at = utcnow().strftime(SQLITE_TIME)
    db.execute("BEGIN IMMEDIATE")
    ids = []
    for account, video in run:
        db.execute(_READ, (account, video, video)).fetchall()
        ids.append(db.execute(_INSERT, (account, video, at)).fetchone()[0])
    first = db.execute(_SEQ, (len(ids),)).fetchone()[0] - len(ids)
    db.executemany(_EVENT, [(first + i, like) for i, like in enumerate(ids)])
    db.executemany(_COUNTER, [(video,) for video in sorted({video for _, video in run})])
    db.execute("COMMIT")


def raw(template: Path, work: Path, variant: str, pairs: list[tuple[int, int]], run: int) -> float:
    """CPU µs per like of `pairs` written `run` to a transaction by raw statements."""
    foreign_keys, by_rowid = VARIANTS[variant]
    path = work / "raw.db"
    shutil.copy(template, path)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        if by_rowid:
            db.executescript(_EVENTS_BY_ROWID)
        started = _cpu_seconds()
        for start in range(0, len(pairs), run):
            _raw_run(db, pairs[start : start + run])
        return (_cpu_seconds() - started) * 1e6 / len(pairs)
    finally:
        db.close()
        path.unlink()
        for suffix in ("-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


PARTS = ("the likes' objects", "BEGIN", "the run's statements", "the commit")


def plaudit(
    template: Path, work: Path, pairs: list[tuple[int, int]], run: int, parts: dict[str, float]
) -> float:
    """CPU µs per like of `pairs` through Plaudit's run of likes, `run` to a transaction;
    adds each part's CPU µs per like (this thread's) to `parts`."""
    data = work / "plaudit"
    data.mkdir()
    shutil.copy(template, data / "plaudit.db")
    platform = Platform(load_settings(flags={"data_dir": str(data)}, env={})).open()
    spent = dict.fromkeys(PARTS, 0.0)
    try:
        with platform.db.write_engine.connect() as conn:
            started = _cpu_seconds()
            for start in range(0, len(pairs), run):
                marks = [time.thread_time()]
                writes = [
                    like_op(account, video, "app", NO_DEVICE, utcnow())
                    for account, video in pairs[start : start + run]
                ]
                assert all(isinstance(write, GroupedWrite) for write in writes)
                marks.append(time.thread_time())
                transaction = conn.begin()
                marks.append(time.thread_time())
                writes[0].group(conn, writes)  # type: ignore[attr-defined]
                marks.append(time.thread_time())
                transaction.commit()
                marks.append(time.thread_time())
                for part, (before, after) in zip(PARTS, itertools.pairwise(marks), strict=True):
                    spent[part] += after - before
            total = (_cpu_seconds() - started) * 1e6 / len(pairs)
    finally:
        platform.close()
        shutil.rmtree(data)
    for part, seconds in spent.items():
        parts[part] = seconds * 1e6 / len(pairs)
    return total


def empty_read_transaction(template: Path, work: Path, count: int = 3000) -> float:
    """CPU µs of one empty `Database.read()` transaction (BEGIN on a reader, then its end):
    what every read of the API pays before its first statement."""
    data = work / "reads"
    data.mkdir()
    shutil.copy(template, data / "plaudit.db")
    platform = Platform(load_settings(flags={"data_dir": str(data)}, env={})).open()
    try:
        started = time.thread_time()
        for _ in range(count):
            with platform.db.read():
                pass
        return (time.thread_time() - started) * 1e6 / count
    finally:
        platform.close()
        shutil.rmtree(data)


def _raw_variant(
    template: Path, work: Path, variant: str, run: int, pairs: list[tuple[int, int]]
) -> float:
    return raw(template, work, variant, pairs, run)


def _plaudit_run(
    template: Path,
    work: Path,
    run: int,
    parts: dict[str, list[float]],
    pairs: list[tuple[int, int]],
) -> float:
    these: dict[str, float] = {}
    total = plaudit(template, work, pairs, run, these)
    for part, value in these.items():
        parts.setdefault(part, []).append(value)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--likes", type=int, default=6000, help="new likes per measurement")
    parser.add_argument("--run", type=int, default=24, help="likes per transaction")
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="plaudit-like-parts-") as where:
        work = Path(where)
        settings = load_settings(flags={"data_dir": str(work / "template")}, env={})
        setup = Platform(settings).open()
        _community(setup, FANS)
        setup.close()
        template = work / "template" / "plaudit.db"
        print(
            f"a like's write by part, SQLite, {args.likes} new likes {args.run} a transaction; "
            f"load {os.getloadavg()[0]:.1f} at start",
            flush=True,
        )
        measures: dict[str, Callable[[list[tuple[int, int]]], float]] = {
            name: functools.partial(_raw_variant, template, work, name, args.run)
            for name in VARIANTS
        }
        parts: dict[str, list[float]] = {}
        measures["Plaudit's run of likes"] = functools.partial(
            _plaudit_run, template, work, args.run, parts
        )
        spent: dict[str, list[float]] = {name: [] for name in measures}
        reads: list[float] = []
        for index in range(args.rounds):
            pairs = _pairs(args.likes, seed=index)
            for name, measure in measures.items():
                spent[name].append(measure(pairs))
            reads.append(empty_read_transaction(template, work))
            print(
                f"round {index + 1}: "
                + ", ".join(f"{name} {values[-1]:.1f}" for name, values in spent.items())
                + f" µs; load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    anchor = statistics.median(spent["as is"])
    print("variant                   CPU µs per like (median)  vs as is")
    for name, values in spent.items():
        median = statistics.median(values)
        print(f"{name:<24}  {median:24.1f}  {median / anchor:8.2f}")
    print("of Plaudit's run, by part (this thread's CPU µs per like, median):")
    for part, values in parts.items():
        print(f"  {part:<24}{statistics.median(values):8.1f}")
    print(f"an empty read transaction: {statistics.median(reads):.1f} µs of CPU (median)")
    print(f"load average {os.getloadavg()[0]:.1f} at the end (2 cores shared)")


if __name__ == "__main__":
    main()
