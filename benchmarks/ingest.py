"""Ingest benchmark: HTTP like throughput against the framework's floor, and bulk ingest rate.

    python benchmarks/ingest.py [--database-url URL] [--duration 10] [--rounds 3]
        [--profile DIR] [--bulk 200000] [--existing 0,10M,50M] [--repeat 3] [--cache-dir DIR]
        [--skip-http]

1. Serves the API (`plaudit serve`, one process) on SQLite (or --database-url) and drives it
   with wrk (Debian package `wrk`) from a second process: `GET /healthz`, a no-op endpoint of
   the same app (the framework's floor), then `POST /v1/videos/{id}/likes` with bearer tokens
   of 2,000 fans over 500 videos (new likes, a few repeats), `--rounds` times in turn so a
   change in the machine's load hits both. Prints each round, the median rates and the median
   of the rounds' ratios, the server's CPU time per request, and the load average. Target:
   likes at 50% or more of the floor. `--profile DIR` also records the server with py-spy
   (`pip install py-spy`; needs ptrace) during the like runs and prints its top frames.
2. Bulk ingest in-process through the gateway endpoint's service call
   (`InteractionService.bulk_sync`: the real-time rules, then `plaudit.interactions.ingest`),
   10,000 new likes a call, with each of --existing likes already stored (databases prefilled
   by raw inserts, kept in --cache-dir), against the anchor of raw sqlite3 `executemany`
   inserting as many rows into a bare table right after each run, and against the schema's
   own floor: the same number of likes and their events inserted by raw executemany into the
   database's real tables (every index), rolled back. Prints the median of --repeat runs per
   size (wall rate, rate per CPU second of the process, anchor, floor, ratios) and the load
   average. Target: 100,000 likes per CPU second (one core) into SQLite at every size.
   With --database-url, one run into an empty PostgreSQL database instead.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import httpx
import numpy as np
from sqlalchemy.engine import Connection

from plaudit.config import Settings, load_settings
from plaudit.interactions import BulkItem
from plaudit.platform import Platform
from plaudit.store import tables
from plaudit.store.bulk import ACCOUNT_COLUMNS, VIDEO_COLUMNS, BulkSQL

FANS = 2000
VIDEOS = 500


def _community(platform: Platform, fans: int, videos: int = VIDEOS) -> None:
    """One creator with `videos` videos and `fans` fan accounts (ids 2..fans+1), in bulk."""
    now = datetime.now(UTC)

    def write(conn: Connection) -> None:
        sql = BulkSQL(conn)
        at = sql.time(now - timedelta(days=30))  # not new accounts: no new-account rule
        sql.insert(
            "accounts",
            ACCOUNT_COLUMNS,
            [(1, "bench-creator", "creator", "", at)]
            + [(i, f"bench-fan{i}", "fan", "", at) for i in range(2, fans + 2)],
        )
        sql.insert(
            "creator_counters", ("creator_id", "videos", "likes", "followers"), [(1, videos, 0, 0)]
        )
        sql.insert(
            "videos",
            VIDEO_COLUMNS,
            [
                (i, 1, f"v{i}", "music", 15, sql.time(now - timedelta(days=1)))
                for i in range(1, videos + 1)
            ],
        )
        sql.insert(
            "video_counters",
            ("video_id", "likes", "comments", "shares"),
            [(i, 0, 0, 0) for i in range(1, videos + 1)],
        )
        sql.sync_sequence("accounts")
        sql.sync_sequence("videos")
        sql.close()

    platform.db.write(write)


def _populate(settings: Settings) -> list[str]:
    """The community for the HTTP run; returns the fans' tokens."""
    platform = Platform(settings).open()
    _community(platform, FANS)
    tokens = [platform.accounts.issue_token(fan) for fan in range(2, FANS + 2)]
    platform.close()
    return tokens


def _lua_script(tokens: list[str], path: Path, seed: int = 7) -> Path:
    """wrk's requests: random fans liking random videos. Each round has its own `seed`: wrk
    starts the sequence again on every run, so with one seed every round after the first
    would repeat the first round's likes (already liked: the idempotent answer, not a new
    like)."""
    quoted = ",".join(f'"{t}"' for t in tokens)
    path.write_text(f"""
local tokens = {{{quoted}}}
math.randomseed({seed})
request = function()
  local token = tokens[math.random(#tokens)]
  local video = math.random({VIDEOS})
  return wrk.format("POST", "/v1/videos/" .. video .. "/likes",
                    {{["Authorization"] = "Bearer " .. token}}, nil)
end
""")
    return path


def _wrk(url: str, duration: int, connections: int, script: Path | None = None) -> float:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise SystemExit(f"wrk saw {non_2xx.group(1)} error responses:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert match, output
    return float(match.group(1))


# wrk drives a few hundred accounts far faster than any person likes: the real-time rules
# still run on every like (their cost is part of the figure) but with limits that never fire.
_RULES_NEVER_TRIGGER = {
    **os.environ,
    **{
        f"PLAUDIT_RULE_{name}": "1000000000"
        for name in (
            "ACCOUNT_HOLD_PER_MIN",
            "ACCOUNT_LIMIT_PER_MIN",
            "DEVICE_HOLD_PER_MIN",
            "DEVICE_LIMIT_PER_MIN",
            "IP_HOLD_PER_MIN",
            "DEVICE_ACCOUNTS_HOLD",
            "DEVICE_ACCOUNTS_LIMIT",
            "NEW_ACCOUNT_HOLD_PER_HOUR",
        )
    },
}


def _serve(settings: Settings, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "plaudit",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(settings.data_path),
    ]
    if settings.database_url:
        command += ["--database-url", settings.database_url]
    process = subprocess.Popen(
        command, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=_RULES_NEVER_TRIGGER
    )
    # the probe answers first; the API is open once a database read answers (api/front.py)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/videos?limit=1", timeout=60).is_success:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"server did not start:\n{log.read_text()}")


def _sign_in(base: str, tokens: list[str]) -> None:
    """Signed-in clients: every token seen within the token cache's 30 s, as for fans who are
    using the app (a token seen for the first time is looked up in a worker thread)."""
    with httpx.Client(base_url=base) as client:
        for token in tokens:
            client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU of a process so far (Linux /proc), every thread included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measured(pid: int, run: Callable[[], float], duration: int) -> tuple[float, float]:
    """(requests per second, server CPU microseconds per request) of one wrk run."""
    before = _cpu_seconds(pid)
    rate = run()
    return rate, (_cpu_seconds(pid) - before) * 1e6 / max(rate * duration, 1.0)


def _thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds so far of each thread of a process, by thread id (Linux /proc)."""
    seconds: dict[int, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        seconds[int(task.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def _thread_names(pid: int) -> dict[int, str]:
    """Python's names of a process's threads (`py-spy dump`; Python 3.11 gives the OS none):
    the main thread alone when py-spy is missing or may not attach."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    try:
        dump = subprocess.run(
            [spy, "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        dump = ""
    names = {
        int(tid, 0): name for tid, name in re.findall(r'Thread (\S+) \([^)]*\): "([^"]+)"', dump)
    }
    return names or {pid: "MainThread"}


def _by_thread(
    pid: int, before: dict[int, float], after: dict[int, float], names: dict[int, str]
) -> dict[str, float]:
    """CPU seconds spent between two `_thread_cpu` readings, summed by thread name (worker
    pools share one name; threads py-spy did not see are `other threads`)."""
    spent: dict[str, float] = {}
    for tid, seconds in after.items():
        name = "event loop" if tid == pid else names.get(tid, "other threads")
        name = re.sub(r"_\d+$", "", name)  # a pool's numbered threads under one name
        spent[name] = spent.get(name, 0.0) + seconds - before.get(tid, 0.0)
    return spent


def _profiled(pid: int, duration: int, out: Path) -> subprocess.Popen[bytes]:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    command = [spy, "record", "--pid", str(pid), "--duration", str(duration), "--rate", "200"]
    command += ["--gil", "--threads", "--format", "raw", "--output", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def top_frames(folded: Path, count: int = 15) -> list[tuple[float, float, str]]:
    """(inclusive %, self %, frame) of the most frequent frames of a py-spy raw profile."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        samples = int(number)
        frames = [re.sub(r" \(.*/(site-packages|src)/", " (", f) for f in stack.split(";")[1:]]
        frames = [re.sub(r":\d+\)$", ")", f) for f in frames]
        total += samples
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + samples
        if frames:
            own[frames[-1]] = own.get(frames[-1], 0) + samples
    ranked = sorted(own, key=lambda f: own[f], reverse=True)[:count]
    return [(100 * inclusive[f] / total, 100 * own[f] / total, f) for f in ranked]


def http_benchmark(
    settings: Settings,
    duration: int,
    connections: int,
    work: Path,
    rounds: int = 3,
    profile: Path | None = None,
) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    tokens = _populate(settings)
    port = 18000 + os.getpid() % 1000
    server = _serve(settings, port, work / "server.log")
    floors: list[tuple[float, float]] = []
    likes: list[tuple[float, float]] = []
    base = f"http://127.0.0.1:{port}"
    threads: dict[str, float] = {}
    try:
        _wrk(base + "/healthz", 2, connections)  # warm-up
        for index in range(rounds):
            floors.append(
                _measured(
                    server.pid, lambda: _wrk(base + "/healthz", duration, connections), duration
                )
            )
            _sign_in(base, tokens)  # just before the likes: a loaded machine signs in slowly
            spy = None
            if profile is not None and index == 0:
                spy = _profiled(server.pid, duration, profile / "likes.pyspy.txt")
            script = _lua_script(tokens, work / f"likes-{index}.lua", seed=7 + index)
            before = _thread_cpu(server.pid)
            likes.append(
                _measured(
                    server.pid,
                    functools.partial(
                        _wrk, base + "/v1/videos/1/likes", duration, connections, script
                    ),
                    duration,
                )
            )
            after = _thread_cpu(server.pid)
            if spy is not None:
                spy.wait()
            for name, seconds in _by_thread(
                server.pid, before, after, _thread_names(server.pid)
            ).items():
                threads[name] = threads.get(name, 0.0) + seconds
            print(
                f"round {index + 1}: floor {floors[-1][0]:8,.0f} req/s, like {likes[-1][0]:7,.0f} "
                f"req/s, ratio {likes[-1][0] / floors[-1][0]:.2f}; load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait()
    platform = Platform(settings)
    with platform.db.read() as conn:
        stored = conn.execute(tables.likes.select().with_only_columns(tables.likes.c.id)).all()
    platform.close()
    floor = statistics.median(rate for rate, _ in floors)
    like = statistics.median(rate for rate, _ in likes)
    ratio = statistics.median(lk[0] / fl[0] for fl, lk in zip(floors, likes, strict=True))
    floor_cpu = statistics.median(cpu for _, cpu in floors)
    like_cpu = statistics.median(cpu for _, cpu in likes)
    print(f"medians of {rounds} rounds, load average {os.getloadavg()[0]:.1f} at the end:")
    print(f"no-op floor (GET /healthz):      {floor:10,.0f} req/s  ({floor_cpu:5.0f} µs CPU each)")
    print(
        f"like (POST /v1/videos/N/likes):  {like:10,.0f} req/s  ({like_cpu:5.0f} µs CPU each; "
        f"{len(stored):,} likes stored)"
    )
    print(f"ratio like/floor:                {ratio:10.2f}  (target >= 0.50)")
    print(f"CPU ratio floor/like:            {floor_cpu / like_cpu:10.2f}")
    requests = sum(rate * duration for rate, _ in likes)
    shares = ", ".join(
        f"{name} {seconds * 1e6 / requests:.0f}"
        for name, seconds in sorted(threads.items(), key=lambda item: -item[1])
        if seconds * 1e6 / requests >= 1
    )
    print(f"server CPU µs per like by thread, all rounds: {shares}")
    if profile is not None and (profile / "likes.pyspy.txt").exists():
        print(f"py-spy --gil, round 1's like run ({profile / 'likes.pyspy.txt'}), top frames:")
        for inclusive, own, frame in top_frames(profile / "likes.pyspy.txt"):
            print(f"  {own:5.1f}% self {inclusive:5.1f}% total  {frame}")


# --- bulk ingest at several database sizes -------------------------------------------------
#
# The database is prefilled with raw inserts (generating tens of millions of likes through the
# service would take longer than the measurement): BASE_ACCOUNTS fans, likes of the first
# VIDEOS videos spread over them, each with its event, and the indexes built afterwards. Each
# measured run then likes a fresh block of VIDEOS videos from accounts drawn over all
# BASE_ACCOUNTS, so its index entries land all over the existing indexes, as a gateway's do.

BASE_ACCOUNTS = 1_000_000
VIDEO_BLOCKS = 40  # measured runs a prefilled database can take before its videos run out
_LIKE_INSERT = (
    "INSERT INTO likes (id, account_id, video_id, source, device_id, ip_prefix, created_at) "
    "VALUES (?, ?, ?, 'app', NULL, NULL, '2026-01-01 00:00:00.000000')"
)


def _size(text: str) -> int:
    """'0', '10M', '500k' -> rows."""
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:].lower(), 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def _spread_pairs(
    count: int, accounts: int, videos: int, first_video: int
) -> Iterator[tuple[int, int]]:
    """`count` distinct (account, video) pairs scattered over the accounts: an affine
    permutation of the pair space (a multiplier coprime with it), so no two collide."""
    space = accounts * videos
    multiplier = 2_654_435_761 % space
    while math.gcd(multiplier, space) != 1:
        multiplier += 1
    for i in range(count):
        p = (multiplier * i + 12_345) % space
        yield 1 + p % accounts, first_video + p // accounts


def _prefill(settings: Settings, existing: int) -> None:
    """The community and `existing` likes with their events, by raw inserts; then the
    indexes those tables had, rebuilt once (the same B-trees inserts would have made).

    It loads the way a bulk load into an empty database does (`plaudit.store.bulkload`):
    indexes dropped and each built afterwards by one sort, with a cache large enough that
    the sorts stay in memory and no sync until the end (a cache a crash may lose is simply
    built again). Rows come in chunks from NumPy so Python touches each value once.
    """
    platform = Platform(settings).open()
    _community(platform, BASE_ACCOUNTS, VIDEOS * (VIDEO_BLOCKS + 1))
    platform.close()
    conn = sqlite3.connect(settings.data_path / "plaudit.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1048576")  # 1 GiB: an index sort of 10M rows in memory
    conn.execute("PRAGMA threads=2")  # the index sorts may use the second core
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('likes', 'events')"
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    conn.execute("BEGIN")
    for start in range(0, existing, _PREFILL_CHUNK):
        ids, accounts, videos = _spread_pairs_array(
            start, min(existing, start + _PREFILL_CHUNK), BASE_ACCOUNTS, VIDEOS, 1
        )
        conn.executemany(_LIKE_INSERT, zip(ids, accounts, videos, strict=True))
        conn.executemany(
            "INSERT INTO events (seq, kind, ref_id) VALUES (?, 'like', ?)",
            zip(range(ids.start - 1, ids.stop - 1), ids, strict=True),
        )
        print(f"  prefill: {start + len(ids):,} of {existing:,} likes", flush=True)
    conn.execute("UPDATE sequencer SET next_value = ? WHERE name = 'events'", (existing,))
    conn.execute("COMMIT")
    for name, sql in indexes:
        started = time.perf_counter()
        conn.execute(sql)
        print(f"  prefill: index {name} in {time.perf_counter() - started:,.0f} s", flush=True)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


_PREFILL_CHUNK = 1_000_000


def _spread_pairs_array(
    start: int, stop: int, accounts: int, videos: int, first_video: int
) -> tuple[range, list[int], list[int]]:
    """Ids start+1..stop and the pairs `_spread_pairs` gives those positions, vectorised."""
    space = accounts * videos
    multiplier = 2_654_435_761 % space
    while math.gcd(multiplier, space) != 1:
        multiplier += 1
    positions = np.arange(start, stop, dtype=np.int64)
    p = (positions * multiplier + 12_345) % space  # below 2**63 for the sizes used here
    return (
        range(start + 1, stop + 1),
        (1 + p % accounts).tolist(),
        (first_video + p // accounts).tolist(),
    )


def _prefilled(cache: Path, existing: int) -> Settings:
    """Settings of a database with `existing` likes, built once under `cache` and reused."""
    where = cache / f"likes-{existing}"
    settings = load_settings(flags={"data_dir": str(where), "database_url": None}, env={})
    if not (where / "ready").exists():
        shutil.rmtree(where, ignore_errors=True)
        started = time.perf_counter()
        _prefill(settings, existing)
        (where / "ready").write_text(f"{existing}\n")
        print(f"  prefilled {existing:,} likes in {time.perf_counter() - started:,.0f} s")
    return settings


def _next_block(settings: Settings) -> int:
    """The first video of a block no measured run has liked yet."""
    conn = sqlite3.connect(settings.data_path / "plaudit.db")
    (highest,) = conn.execute("SELECT COALESCE(MAX(video_id), 0) FROM likes").fetchone()
    conn.close()
    first = max(VIDEOS, highest) + 1
    if first + VIDEOS > VIDEOS * (VIDEO_BLOCKS + 1) + 1:
        raise SystemExit(f"{settings.data_path} has no fresh videos left: delete it")
    return first


def _bulk_items(count: int, first_video: int) -> list[BulkItem]:
    """New likes as a gateway sends them: in time order over the last hour, each account on
    its own device from one of 4,096 public /24 prefixes, so every real-time rule counts
    them (none is near a limit: an account likes about once)."""
    now = datetime.now(UTC)
    step = timedelta(hours=1) / count
    items = []
    for i, (account, video) in enumerate(_spread_pairs(count, BASE_ACCOUNTS, VIDEOS, first_video)):
        prefix = f"{1 + account % 200}.{account % 16}.{account % 256}.0/24"
        at = now - timedelta(hours=1) + step * i
        items.append(
            BulkItem("like", account, video, at, "api", f"dev-{account}", "bench/1", prefix)
        )
    return items


def _sqlite_anchor(count: int, work: Path) -> tuple[float, float]:
    """Raw sqlite3 executemany of `count` rows into a bare table, 10,000 a transaction: rows
    per second of wall time and of CPU time."""
    path = work / "anchor.db"
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, v INTEGER)")
    rows = [(i // VIDEOS, i % VIDEOS) for i in range(count)]
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, count, 10_000):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO t (a, v) VALUES (?, ?)", rows[start : start + 10_000])
        conn.execute("COMMIT")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    conn.close()
    return count / wall, count / cpu


def _schema_floor(settings: Settings, count: int, first_video: int) -> float:
    """What SQLite's own insert path costs with Plaudit's schema at this size: `count` like
    rows and their events by raw executemany into the real `likes` and `events` tables (every
    index on them, the writer's page cache and mapping, foreign-key checks off as bulk ingest
    runs), 10,000 a statement, in one transaction rolled back at the end, so the database is
    left as it was. No rule, no Python per like beyond the driver's binding, no commit: rows
    per second of CPU time, the most bulk ingest could reach on this database."""
    from plaudit.store.engine import MMAP_BYTES, WRITER_CACHE_KIB

    conn = sqlite3.connect(settings.data_path / "plaudit.db", isolation_level=None)
    conn.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
    conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    conn.execute("PRAGMA foreign_keys=OFF")
    (last_id,) = conn.execute("SELECT COALESCE(MAX(id), 0) FROM likes").fetchone()
    (last_seq,) = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
    stamp = "2026-12-04 22:00:00.000000"
    rows = [
        (last_id + 1 + i, account, video, "app", None, f"{1 + account % 200}.0.0.0/24", stamp)
        for i, (account, video) in enumerate(
            _spread_pairs(count, BASE_ACCOUNTS, VIDEOS, first_video)
        )
    ]
    events = [(last_seq + 1 + i, "like", row[0]) for i, row in enumerate(rows)]
    cpu = time.process_time()
    conn.execute("BEGIN IMMEDIATE")
    for start in range(0, count, 10_000):
        conn.executemany(
            "INSERT INTO likes (id, account_id, video_id, source, device_id, ip_prefix, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows[start : start + 10_000],
        )
        conn.executemany(
            "INSERT INTO events (seq, kind, ref_id) VALUES (?, ?, ?)",
            events[start : start + 10_000],
        )
    cpu = time.process_time() - cpu
    conn.execute("ROLLBACK")
    conn.close()
    return count / cpu


class BulkRun(NamedTuple):
    rate: float  # likes per second of wall time
    cpu_rate: float  # likes per second of this process's CPU time
    anchor: float  # raw executemany rows per second of wall time, measured right after
    anchor_cpu: float  # the same per second of CPU time
    floor_cpu: float  # the schema's own insert floor, rows per CPU second (`_schema_floor`)


def _measure(settings: Settings, items: list[BulkItem], work: Path) -> BulkRun:
    """Ingest `items` through the service (rules on), 10,000 a call, as the gateway does."""
    platform = Platform(settings).open()
    service = platform.interactions
    wall, cpu = time.perf_counter(), time.process_time()
    created = 0
    for start in range(0, len(items), 10_000):
        results = service.bulk_sync(items[start : start + 10_000])
        created += sum(1 for r in results if r.status == "created")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    platform.close()
    if created != len(items):
        raise SystemExit(f"only {created:,} of {len(items):,} likes were created")
    anchor = _sqlite_anchor(len(items), work)
    # pairs of videos past the run's (no video row needed: the checks are off), so none collides
    fresh = max(item.target_id for item in items) + 1
    floor = _schema_floor(settings, len(items), fresh) if settings.is_sqlite else 0.0
    return BulkRun(len(items) / wall, len(items) / cpu, *anchor, floor)


def _median_run(runs: list[BulkRun]) -> BulkRun:
    return BulkRun(*(statistics.median(r[i] for r in runs) for i in range(5)))


def _report(label: str, run: BulkRun, repeats: int) -> None:
    # likes per CPU second: the rate on one core of its own (the wall rate is the shared
    # machine's load as much as the code's)
    verdict = "met" if run.cpu_rate >= 100_000 else "NOT met"
    floor = f"{run.floor_cpu:12,.0f} {run.cpu_rate / run.floor_cpu:7.3f}" if run.floor_cpu else ""
    print(
        f"{label:>14} {run.rate:10,.0f} {run.anchor:12,.0f} {run.rate / run.anchor:7.3f} "
        f"{run.cpu_rate:11,.0f} {run.anchor_cpu:12,.0f} {run.cpu_rate / run.anchor_cpu:7.3f} "
        f"{floor}   {verdict} (median of {repeats}; load {os.getloadavg()[0]:.1f})"
    )


def _header() -> None:
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores shared)")
    print(
        f"{'existing likes':>14} {'likes/s':>10} {'anchor/s':>12} {'ratio':>7} "
        f"{'likes/CPU-s':>11} {'anchor/CPU-s':>12} {'ratio':>7} {'floor/CPU-s':>12} "
        f"{'ratio':>7}   target 100,000 likes per CPU second"
    )
    print(
        "  anchor: raw executemany into a bare 3-column table; floor: raw executemany of the "
        "same likes and events into this database's own tables (rolled back)"
    )


def bulk_benchmark(count: int, sizes: list[int], repeats: int, cache: Path, work: Path) -> None:
    """SQLite: the bulk rate with `sizes` likes already stored, each the median of runs."""
    print(f"bulk ingest, SQLite, rules on, 10k likes a call, {count:,} likes a run")
    _header()
    for existing in sizes:
        runs = []
        for attempt in range(repeats):
            if existing == 0:
                where = work / f"empty-{attempt}"
                settings = load_settings(flags={"data_dir": str(where)}, env={})
                platform = Platform(settings).open()
                _community(platform, BASE_ACCOUNTS, VIDEOS * 2)
                platform.close()
                first = VIDEOS + 1
            else:
                settings = _prefilled(cache, existing)
                first = _next_block(settings)
            runs.append(_measure(settings, _bulk_items(count, first), work))
        _report(f"{existing:,}", _median_run(runs), repeats)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


def postgres_bulk_benchmark(url: str, count: int, work: Path) -> None:
    """PostgreSQL: the bulk rate into an empty database (the anchor is still SQLite's)."""
    print(f"bulk ingest, PostgreSQL, rules on, 10k likes a call, {count:,} likes")
    _header()
    flags = {"data_dir": str(work / "pg"), "database_url": url}
    settings = load_settings(flags=flags, env={})
    platform = Platform(settings).open()
    _community(platform, BASE_ACCOUNTS, VIDEOS * 2)
    platform.close()
    _report("0", _measure(settings, _bulk_items(count, VIDEOS + 1), work), 1)


@contextmanager
def _fresh_database(url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database next to the one `url` names, dropped afterwards."""
    import psycopg

    admin = url.replace("postgresql+psycopg://", "postgresql://")
    name = f"plaudit_bench_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL URL; default SQLite")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--rounds", type=int, default=3, help="floor/like rounds, in turn")
    parser.add_argument("--profile", type=Path, help="py-spy the server into this directory")
    parser.add_argument("--bulk", type=int, default=200_000, help="likes per bulk run")
    parser.add_argument(
        "--existing",
        default="0",
        help="likes already stored before each bulk measurement, comma-separated "
        "(e.g. 0,10M,50M); the prefilled databases are kept in --cache-dir",
    )
    parser.add_argument("--repeat", type=int, default=3, help="bulk runs per size (median)")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "plaudit-bench-bulk",
        help="where prefilled databases are built once and reused (delete to rebuild)",
    )
    parser.add_argument("--skip-http", action="store_true", help="only the bulk benchmark")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="plaudit-bench-") as tmp:
        work = Path(tmp)
        if not args.skip_http and args.database_url:
            with _fresh_database(args.database_url) as url:
                flags = {"data_dir": str(work / "http"), "database_url": url}
                http_benchmark(
                    load_settings(flags=flags, env={}),
                    args.duration,
                    args.connections,
                    work,
                    args.rounds,
                    args.profile,
                )
        elif not args.skip_http:
            flags = {"data_dir": str(work / "http"), "database_url": None}
            http_benchmark(
                load_settings(flags=flags, env={}),
                args.duration,
                args.connections,
                work,
                args.rounds,
                args.profile,
            )
        if args.bulk and args.database_url:
            with _fresh_database(args.database_url) as url:
                postgres_bulk_benchmark(url, args.bulk, work)
        elif args.bulk:
            sizes = [_size(size) for size in args.existing.split(",")]
            args.cache_dir.mkdir(parents=True, exist_ok=True)
            bulk_benchmark(args.bulk, sizes, args.repeat, args.cache_dir, work)


if __name__ == "__main__":
    main()
