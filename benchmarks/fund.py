"""Creator-fund benchmark: closing a period and verifying it from the ledger.

    python benchmarks/fund.py [--interactions 200000] [--creators 200] [--fans 20000]

On a fresh SQLite store in a temporary directory, a synthetic week is bulk-ingested (likes,
comments, shares and follows of random fans on random videos, a few farming accounts), the
ledger is integrated and a finished scan recorded. Then, timed:

1. `FundService.close`: one store snapshot, scoring, largest remainder, the payouts written;
2. `verify_period`: the whole log verified and replayed, every standing entry attributed
   and its commitment recomputed, the statements recomputed and compared;
3. the anchor, in the same run on the same store: `verify_log` alone over the same log,
   which is what any ledger verification costs; verify's ratio to it is its overhead.

No target is asserted; the figures and ratios are printed.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from plaudit.config import load_settings
from plaudit.fund import Rule, verify_period
from plaudit.interactions import BulkItem, ingest_op
from plaudit.ledger.sources import StoreLog
from plaudit.ledger.verify import verify_log
from plaudit.platform import Platform
from plaudit.store import tables
from plaudit.store.fund import event_horizon

START = datetime(2026, 11, 2, tzinfo=UTC)
END = START + timedelta(days=7)
KINDS = ("like", "like", "like", "like", "comment", "share")


def fan_accounts(conn: Connection, count: int) -> list[int]:
    """Fan accounts in one statement (creating them one by one would dominate the build)."""
    rows = [{"handle": f"fan{n}", "kind": "fan", "created_at": START} for n in range(count)]
    conn.execute(insert(tables.accounts), rows)
    query = select(tables.accounts.c.id).where(tables.accounts.c.kind == "fan")
    return [int(i) for i in conn.execute(query).scalars()]


def build(platform: Platform, args: argparse.Namespace, rng: random.Random) -> None:
    creators = [
        platform.accounts.create(f"creator{n}", "creator")[0].id for n in range(args.creators)
    ]
    videos = [
        (
            platform.videos.publish(creators[n % len(creators)], "v", "food").id,
            creators[n % len(creators)],
        )
        for n in range(args.creators * 10)
    ]
    fans = platform.db.write(lambda conn: fan_accounts(conn, args.fans))
    items: list[BulkItem] = []
    for n in range(args.interactions):
        fan = fans[0] if n % 50 == 0 else rng.choice(fans)  # one farming account
        at = START + timedelta(seconds=rng.randrange(7 * 86400))
        video, creator = rng.choice(videos)
        kind = "follow" if n % 40 == 1 else rng.choice(KINDS)
        target = creator if kind == "follow" else video
        body = "nice" if kind == "comment" else None
        channel = "wechat" if kind == "share" else None
        items.append(BulkItem(kind, fan, target, at, body=body, channel=channel))
    items.sort(key=lambda item: item.at)
    for start in range(0, len(items), 5000):
        platform.db.write(ingest_op(items[start : start + 5000]))
    platform.integrator.catch_up()

    def scan(conn):  # type: ignore[no-untyped-def]
        conn.execute(
            insert(tables.authenticity_scans).values(
                started_at=END, finished_at=END, through_seq=event_horizon(conn) - 1
            )
        )

    platform.db.write(scan)


def timed(label: str, run):  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - began
    print(f"{label:<44} {elapsed:8.2f} s")
    return result, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=200_000)
    parser.add_argument("--creators", type=int, default=200)
    parser.add_argument("--fans", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(flags={"data_dir": tmp}, env={})
        platform = Platform(settings).open()
        try:
            timed(
                "build (ingest + integrate; context)",
                lambda: build(platform, args, random.Random(7)),
            )
            period = platform.fund.create_period("bench", START, END, 10**9, Rule())
            closed, close_s = timed(
                "close (snapshot, score, round, store)", lambda: platform.fund.close(period.id)
            )
            report, verify_s = timed(
                "verify (log + replay + attribution + compare)",
                lambda: verify_period(platform.db, platform.ledger, period.id),
            )
            _, anchor_s = timed(
                "anchor: verify_log alone, same log",
                lambda: verify_log(StoreLog(platform.ledger), platform.ledger.vkey),
            )
        finally:
            platform.close()
    size = report.log.size
    paid = sum(s.payout_fen for s in closed.statements)
    print(
        f"log entries {size:,}; standing in period {report.standing:,}; "
        f"creators paid {len(closed.statements)}"
    )
    print(f"payouts sum to {paid} of {period.pool_fen} fen; verify ok: {report.ok}")
    print(f"close:  {size / close_s:,.0f} entries/s; {close_s / anchor_s:.2f}x the anchor")
    print(f"verify: {size / verify_s:,.0f} entries/s; {verify_s / anchor_s:.2f}x the anchor")


if __name__ == "__main__":
    main()
