"""`plaudit demo --attacks`: fake engagement written into the demo store, with ground truth.

The organic likes are collected while the demo loads (`LikeCollector` observes the chunks),
the attacks are injected into them exactly as the evaluation does, and the injected likes go
through `plaudit.interactions.ingest`, the bulk path of live traffic. New fake accounts are
created first as ordinary fans (they are indistinguishable from real sign-ups to the
platform). The ground truth goes to `attacks-truth.json` in the data directory.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import numpy as np
from sqlalchemy.engine import Connection

from plaudit.authenticity.attacks import OWN_ACCOUNTS, Attack, Likes, Truth, inject_all
from plaudit.authenticity.sources import Keys, LikeCollector
from plaudit.authenticity.truth import write_truth
from plaudit.interactions.bulk import ingest
from plaudit.interactions.bulk_model import BulkItem
from plaudit.sim.devices import USER_AGENTS
from plaudit.store import Database
from plaudit.store.bulk import ACCOUNT_COLUMNS, PROFILE_COLUMNS, BulkSQL

__all__ = ["TRUTH_FILE", "load_attacks"]

TRUTH_FILE = "attacks-truth.json"
BATCH = 20_000
SIGN_UP_LEAD = 3 * 3600
"""A fake account is created this many seconds before its first like."""


def load_attacks(
    db: Database, collected: LikeCollector, attacks: list[Attack], seed: int, data_path: Path
) -> tuple[str, Path]:
    """Inject, store and write the truth; a one-line summary and the truth file's path."""
    organic, keys = collected.likes()
    likes, truths = inject_all(organic, attacks, seed)
    new = np.arange(len(organic), len(likes))
    fake = _new_accounts(attacks, truths)
    db.write(partial(_write_accounts, likes=likes, fake=fake))
    outcomes = Counter[str]()
    order = new[np.argsort(likes.ts[new], kind="stable")]
    for start in range(0, len(order), BATCH):
        items = _items(likes, keys, order[start : start + BATCH])
        results = db.write(partial(ingest, items=items))
        outcomes.update(result.status for result in results)
    path = data_path / TRUTH_FILE
    write_truth(path, len(organic), likes, attacks, truths, seed)
    refused = f", {outcomes['error']:,} refused" if outcomes["error"] else ""
    summary = (
        f"injected {len(attacks)} attack(s): {len(fake):,} new accounts, "
        f"{outcomes['created']:,} likes stored{refused}"
    )
    return summary, path


def _new_accounts(attacks: list[Attack], truths: list[Truth]) -> np.ndarray:
    made = [t.accounts for a, t in zip(attacks, truths, strict=True) if a.kind not in OWN_ACCOUNTS]
    return np.unique(np.concatenate(made)) if made else np.empty(0, dtype=np.int64)


def _write_accounts(conn: Connection, likes: Likes, fake: np.ndarray) -> None:
    """Fake accounts as fans, created a little before their first like, with empty profiles."""
    if len(fake) == 0:
        return
    mine = np.isin(likes.account, fake)
    order = np.argsort(likes.account[mine], kind="stable")
    accounts, ts = likes.account[mine][order], likes.ts[mine][order]
    first_at = np.minimum.reduceat(ts, np.flatnonzero(np.r_[True, accounts[1:] != accounts[:-1]]))
    created = [_at(int(t) - SIGN_UP_LEAD) for t in first_at]
    ids = [int(a) for a in np.unique(accounts)]
    sql = BulkSQL(conn)
    try:
        sql.insert(
            "accounts",
            ACCOUNT_COLUMNS,
            [
                (a, f"user{a}", "fan", f"user {a}", sql.time(at))
                for a, at in zip(ids, created, strict=True)
            ],
        )
        sql.insert(
            "profiles",
            PROFILE_COLUMNS,
            [
                (a, None, None, None, None, None, None, True, True, sql.time(at))
                for a, at in zip(ids, created, strict=True)
            ],
        )
        sql.sync_sequence("accounts")
    finally:
        sql.close()


def _items(likes: Likes, keys: Keys, rows: np.ndarray) -> list[BulkItem]:
    return [
        BulkItem(
            "like",
            int(likes.account[row]),
            int(likes.video[row]),
            _at(int(likes.ts[row])),
            device_key=keys.device_key(int(likes.device[row])),
            user_agent=USER_AGENTS[0],
            ip_prefix=keys.ip_prefix(int(likes.ip[row])),
        )
        for row in rows
    ]


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
