"""Plan request latency (issue 6): `GET /v1/creators/{id}/plan` at p99 against a no-op anchor.

Loads a generated community (default: the `small` size, 10k accounts, 200 creators, 200k
interactions) into a fresh SQLite data directory, builds the persona index, runs the daily
refresh of every plan (timed), then sends plan requests for random creators with their own
bearer tokens through the real app in process (FastAPI TestClient: routing, auth, the stored
plan read, the response) and, interleaved in the same run, `GET /healthz`, which does
nothing: the anchor. Prints p50/p99 of both, the ratio, and the 50 ms target.

Run: ``PYTHONPATH=src python benchmarks/plans.py [--size small] [--requests 2000]``.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from plaudit.api import create_app
from plaudit.config import load_settings
from plaudit.persona import compute_index
from plaudit.platform import Platform
from plaudit.sim.load import load_community
from plaudit.sim.records import SIZES
from plaudit.store import strategy as strategy_sql

__all__ = ["main"]

TARGET_MS = 50.0


def _percentiles(samples: list[float]) -> tuple[float, float]:
    values = np.array(samples) * 1000
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="small", choices=sorted(SIZES))
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=None, help="Data dir (default: temporary).")
    args = parser.parse_args()
    data = args.dir or Path(tempfile.mkdtemp(prefix="plaudit-bench-plans-"))
    settings = load_settings(flags={"data_dir": str(data / "data")}, env={})
    platform = Platform(settings).open()
    started = time.perf_counter()
    load_community(platform.db, SIZES[args.size], seed=1, end=datetime.now(UTC))
    compute_index(platform.db, datetime.now(UTC)).save(settings.data_path)
    print(f"community {args.size} loaded and indexed in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    count = platform.strategy.refresh_all()
    refresh_s = time.perf_counter() - started
    print(f"plans refreshed: {count} creators in {refresh_s:.1f} s "
          f"({1000 * refresh_s / max(count, 1):.1f} ms per creator)")  # fmt: skip
    with platform.db.read() as conn:
        creators = strategy_sql.creator_ids(conn)
    tokens = {c: platform.accounts.issue_token(c) for c in creators}
    platform.close()

    served = Platform(settings)
    rng = random.Random(7)
    plan_s: list[float] = []
    anchor_s: list[float] = []
    read_s: list[float] = []
    with TestClient(create_app(settings, served)) as client:
        for _ in range(50):  # warm up: imports, caches, connection pool
            client.get("/healthz")
        for _ in range(args.requests):
            creator = rng.choice(creators)
            headers = {"Authorization": f"Bearer {tokens[creator]}"}
            t = time.perf_counter()
            response = client.get(f"/v1/creators/{creator}/plan", headers=headers)
            plan_s.append(time.perf_counter() - t)
            assert response.status_code == 200, response.text
            t = time.perf_counter()
            client.get("/healthz")
            anchor_s.append(time.perf_counter() - t)
        strategy = served.strategy
        for _ in range(args.requests):  # the same work without HTTP: access check + stored read
            creator = rng.choice(creators)
            t = time.perf_counter()
            strategy.check_reader(creator, creator)
            strategy.plan_json(creator)
            read_s.append(time.perf_counter() - t)
    p50, p99 = _percentiles(plan_s)
    r50, r99 = _percentiles(read_s)
    a50, a99 = _percentiles(anchor_s)
    print(f"plan request: p50 {p50:.2f} ms, p99 {p99:.2f} ms ({args.requests} requests)")
    print(f"anchor (GET /healthz, no-op): p50 {a50:.2f} ms, p99 {a99:.2f} ms")
    print(f"service alone (access check + stored plan read): p50 {r50:.2f} ms, p99 {r99:.2f} ms")
    print(f"plan / anchor p99 ratio: {p99 / a99:.1f}x; target p99 <= {TARGET_MS:.0f} ms: "
          f"{'met' if p99 <= TARGET_MS else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
