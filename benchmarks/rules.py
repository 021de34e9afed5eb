"""The cost of the real-time authenticity rules per like, against the like itself.

Figure: microseconds per `RuleEngine.admit` (account, device and IP windows, device
sharing, new-account check) over 200,000 likes of 20,000 accounts on 5,000 devices and
2,000 public IP prefixes, in arrival order.

Anchor, measured in the same run: microseconds per like of the like's own transaction
(`like_op`, no hold) on SQLite in this process (synchronous=normal, so the disk's fsync is
not what is measured). The ratio says what the rules add to the store's work for a like;
an accepted like adds nothing to the transaction itself. Target: ratio <= 0.25.

With `--database-url` (a PostgreSQL server URL; the benchmark makes and drops its own
database on it), it also times the shared windows (rules_counter_store = postgres: one round
trip per like to the server) over `--pg-likes` admissions of the same traffic, and prints
their cost against the memory windows.

    python benchmarks/rules.py [--likes N] [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import create_engine

from plaudit.authenticity.rules import RuleEngine, RuleSettings, SharedWindows
from plaudit.config import load_settings
from plaudit.interactions.service import NO_DEVICE, like_op
from plaudit.platform import Platform
from plaudit.store.rule_counters import PostgresRuleCounters

ACCOUNTS, DEVICES, PREFIXES = 20_000, 10_000, 2_000
START = datetime(2026, 11, 29, tzinfo=UTC)


def rules_us(likes: int, shared: SharedWindows | None = None) -> tuple[float, dict[str, int]]:
    """Microseconds per admission, and how many were accepted and held."""
    rng = random.Random(7)
    engine = RuleEngine(RuleSettings(), lambda account_id: START - timedelta(days=30), shared)
    # each account keeps its device and network; a device is shared by two accounts
    accounts = [rng.randrange(ACCOUNTS) for _ in range(likes)]
    events = [
        (
            account,
            f"device-{account % DEVICES}",
            f"36.{account % 8}.{account % (PREFIXES // 8)}.0/24",
            START + timedelta(seconds=i * 0.01),
        )
        for i, account in enumerate(accounts)
    ]
    outcomes = {"accepted": 0, "held": 0, "refused": 0}
    began = time.perf_counter()
    for account, device, prefix, at in events:
        try:
            outcomes[engine.admit(account, device, prefix, at).status] += 1
        except Exception:
            outcomes["refused"] += 1
    return (time.perf_counter() - began) / likes * 1e6, outcomes


def like_us(likes: int, work: Path) -> float:
    """Microseconds per like transaction on SQLite (the anchor)."""
    settings = load_settings(flags={"data_dir": str(work), "sqlite_synchronous": "normal"}, env={})
    platform = Platform(settings).open()
    try:
        creator = platform.accounts.create("bench-creator", "creator")[0].id
        video = platform.videos.publish(creator, "clip", "music").id
        fans = [platform.accounts.create(f"bench-fan-{i}")[0].id for i in range(likes)]
        now = datetime.now(UTC)
        began = time.perf_counter()
        for fan in fans:
            platform.db.write(like_op(fan, video, "app", NO_DEVICE, now))
        return (time.perf_counter() - began) / likes * 1e6
    finally:
        platform.close()


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A fresh database on the server for the run, dropped after it."""
    name = f"plaudit_bench_rules_{uuid.uuid4().hex[:8]}"
    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def shared_us(server_url: str, likes: int) -> tuple[float, dict[str, int]]:
    """Microseconds per admission on the shared windows of a scratch PostgreSQL database."""
    with scratch_database(server_url) as url:
        engine = create_engine(url)
        try:
            return rules_us(likes, SharedWindows(PostgresRuleCounters(engine)))
        finally:
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--likes", type=int, default=200_000, help="admissions to time")
    parser.add_argument("--anchor-likes", type=int, default=2_000, help="likes for the anchor")
    parser.add_argument("--database-url", help="a PostgreSQL server to time shared windows on")
    parser.add_argument("--pg-likes", type=int, default=5_000, help="shared-window admissions")
    args = parser.parse_args()
    per_admit, outcomes = rules_us(args.likes)
    with tempfile.TemporaryDirectory() as work:
        per_like = like_us(args.anchor_likes, Path(work))
    print(f"rules admit:        {per_admit:8.1f} us/like  ({args.likes:,} likes: {outcomes})")
    print(f"like transaction:   {per_like:8.1f} us/like  (anchor, SQLite in process)")
    ratio = per_admit / per_like
    verdict = "met" if ratio <= 0.25 else "NOT met"
    print(f"ratio rules/like:   {ratio:8.2f}  (target <= 0.25: {verdict})")
    if args.database_url:
        per_shared, shared_outcomes = shared_us(args.database_url, args.pg_likes)
        print(
            f"shared windows:     {per_shared:8.1f} us/like  ({args.pg_likes:,} likes on "
            f"PostgreSQL: {shared_outcomes})"
        )
        print(f"ratio shared/memory:{per_shared / per_admit:8.1f}")


if __name__ == "__main__":
    main()
