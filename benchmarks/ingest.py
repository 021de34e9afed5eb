"""Ingest benchmark: HTTP like throughput against the framework's floor, and bulk ingest rate.

    python benchmarks/ingest.py [--database-url URL] [--duration 10] [--bulk 200000]

1. Serves the API (`plaudit serve`, one process) on SQLite (or --database-url) and drives it
   with wrk (Debian package `wrk`) from a second process: first `GET /healthz`, a no-op
   endpoint of the same app (the framework's floor), then `POST /v1/videos/{id}/likes` with
   bearer tokens of 2,000 fans over 500 videos (new likes, a few repeats). Prints both rates
   and their ratio. Target: likes at 50% or more of the floor.
2. Bulk ingest in-process through the same code path as the gateway endpoint
   (`plaudit.interactions.ingest`), batches of 10,000 new likes, against the anchor of raw
   sqlite3 `executemany` inserting the same number of rows into a bare two-column table in the
   same run. Target: 100,000 likes/s or more into SQLite on one core.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy.engine import Connection

from plaudit.config import Settings, load_settings
from plaudit.interactions import BulkItem, ingest_op
from plaudit.platform import Platform
from plaudit.store import tables
from plaudit.store.bulk import ACCOUNT_COLUMNS, VIDEO_COLUMNS, BulkSQL

FANS = 2000
VIDEOS = 500


def _community(platform: Platform, fans: int) -> None:
    """One creator with VIDEOS videos and `fans` fan accounts (ids 2..fans+1), in bulk."""
    now = datetime.now(UTC)

    def write(conn: Connection) -> None:
        sql = BulkSQL(conn)
        at = sql.time(now)
        sql.insert(
            "accounts",
            ACCOUNT_COLUMNS,
            [(1, "bench-creator", "creator", "", at)]
            + [(i, f"bench-fan{i}", "fan", "", at) for i in range(2, fans + 2)],
        )
        sql.insert(
            "creator_counters", ("creator_id", "videos", "likes", "followers"), [(1, VIDEOS, 0, 0)]
        )
        sql.insert(
            "videos",
            VIDEO_COLUMNS,
            [
                (i, 1, f"v{i}", "music", 15, sql.time(now - timedelta(days=1)))
                for i in range(1, VIDEOS + 1)
            ],
        )
        sql.insert(
            "video_counters",
            ("video_id", "likes", "comments", "shares"),
            [(i, 0, 0, 0) for i in range(1, VIDEOS + 1)],
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


def _lua_script(tokens: list[str], path: Path) -> Path:
    quoted = ",".join(f'"{t}"' for t in tokens)
    path.write_text(f"""
local tokens = {{{quoted}}}
math.randomseed(7)
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
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"server did not start:\n{log.read_text()}")


def http_benchmark(settings: Settings, duration: int, connections: int, work: Path) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    tokens = _populate(settings)
    port = 18000 + os.getpid() % 1000
    server = _serve(settings, port, work / "server.log")
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base) as client:  # signed-in clients: tokens seen before
            for token in tokens:
                client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        _wrk(base + "/healthz", 2, connections)  # warm-up
        floor = _wrk(base + "/healthz", duration, connections)
        likes = _wrk(
            base + "/v1/videos/1/likes",
            duration,
            connections,
            _lua_script(tokens, work / "likes.lua"),
        )
    finally:
        server.terminate()
        server.wait()
    platform = Platform(settings)
    with platform.db.read() as conn:
        stored = conn.execute(tables.likes.select().with_only_columns(tables.likes.c.id)).all()
    platform.close()
    print(f"no-op floor (GET /healthz):      {floor:10,.0f} req/s")
    print(f"like (POST /v1/videos/N/likes):  {likes:10,.0f} req/s  ({len(stored):,} likes stored)")
    print(f"ratio like/floor:                {likes / floor:10.2f}  (target >= 0.50)")


def _bulk_items(count: int, fans: int) -> list[BulkItem]:
    at = datetime.now(UTC) - timedelta(hours=1)
    pairs = random.Random(3).sample(range(fans * VIDEOS), count)
    return [
        BulkItem("like", 2 + p // VIDEOS, 1 + p % VIDEOS, at, "api", None, None, "10.0.0.0/24")
        for p in pairs
    ]


def _sqlite_anchor(count: int, work: Path) -> float:
    conn = sqlite3.connect(work / "anchor.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, v INTEGER)")
    rows = [(i // VIDEOS, i % VIDEOS) for i in range(count)]
    started = time.perf_counter()
    for start in range(0, count, 10_000):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO t (a, v) VALUES (?, ?)", rows[start : start + 10_000])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return count / elapsed


def bulk_benchmark(count: int, work: Path) -> None:
    settings = load_settings(flags={"data_dir": str(work / "bulk")}, env={})
    fans = max(FANS, count // VIDEOS + 1)
    platform = Platform(settings).open()
    _community(platform, fans)
    items = _bulk_items(count, fans)
    started = time.perf_counter()
    created = 0
    for start in range(0, count, 10_000):
        results = platform.db.write(ingest_op(items[start : start + 10_000]))
        created += sum(1 for r in results if r.status == "created")
    elapsed = time.perf_counter() - started
    platform.close()
    assert created == count, f"only {created} of {count} likes were created"
    anchor = _sqlite_anchor(count, work)
    rate = count / elapsed
    print(f"bulk ingest (SQLite, 10k/batch): {rate:10,.0f} likes/s  ({count:,} likes)")
    print(f"anchor raw sqlite3 executemany:  {anchor:10,.0f} rows/s")
    print(
        f"ratio bulk/anchor:               {rate / anchor:10.2f}; "
        f"target 100,000 likes/s: {'met' if rate >= 100_000 else 'NOT met'}"
    )


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
    parser.add_argument("--bulk", type=int, default=200_000, help="likes for the bulk run")
    parser.add_argument("--skip-http", action="store_true", help="only the bulk benchmark")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="plaudit-bench-") as tmp:
        work = Path(tmp)
        if not args.skip_http and args.database_url:
            with _fresh_database(args.database_url) as url:
                flags = {"data_dir": str(work / "http"), "database_url": url}
                http_benchmark(
                    load_settings(flags=flags, env={}), args.duration, args.connections, work
                )
        elif not args.skip_http:
            flags = {"data_dir": str(work / "http"), "database_url": None}
            http_benchmark(
                load_settings(flags=flags, env={}), args.duration, args.connections, work
            )
        if args.bulk:
            bulk_benchmark(args.bulk, work)


if __name__ == "__main__":
    main()
