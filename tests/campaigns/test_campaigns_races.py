"""Settlement racing an authenticity scan on PostgreSQL (READ COMMITTED: every statement of
a transaction sees what was committed when that statement started).

A scan commits its revocations and its `through_seq` mark in one transaction. A settler that
read the completion's likes before that commit and the scan mark after it would see the
like unrevoked AND cleared by the scan, and pay for a fake like. The scan is committed here
at the exact moment between the settler's statements (a cursor hook on the settler's own
engine), so the outcome is deterministic. SQLite has one writer and snapshot reads, so the
interleaving cannot happen there.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Connection

from plaudit.platform import Platform
from plaudit.store import authenticity as authenticity_sql
from plaudit.store import tables, utcnow
from tests.campaigns.conftest import World

SCAN_MARK = "max(authenticity_scans.through_seq)"


def _scan_revoking(world: World, like_id: int, fan: int, video: int) -> None:
    """What a platform scan that flags this like commits: verdict, revocation, scan mark."""

    def op(conn: Connection) -> None:
        now = utcnow()
        scan_id = authenticity_sql.insert_scan(conn, now)
        verdict = authenticity_sql.insert_verdict(conn, scan_id, "lockstep", 9.0, "{}", now)
        authenticity_sql.revoke(conn, verdict, [(like_id, fan, video)], now)
        through = authenticity_sql.max_seq(conn)
        authenticity_sql.finish_scan(conn, scan_id, now, through, 1, 1)

    world.platform.db.write(op)


def test_a_scan_committing_mid_settlement_never_gets_its_revoked_like_paid(
    world: World,
) -> None:
    if world.platform.db.dialect != "postgresql":
        pytest.skip("the interleaving needs two concurrent writers (PostgreSQL)")
    fan = world.fan()
    world.refresh_persona()
    campaign = world.campaign()
    world.platform.campaigns.opt_in(fan, campaign.id)
    like = world.like(fan, world.videos[0], f"campaign:{campaign.id}").like
    [completion_id] = world.platform.campaigns.pending()

    settler = Platform(world.platform.settings)  # its own engine and connections
    fired: list[str] = []

    def scan_commits_now(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if SCAN_MARK in statement.lower() and not fired:
            fired.append(statement)
            _scan_revoking(world, like.id, fan, like.video_id)

    event.listen(settler.db.write_engine, "before_cursor_execute", scan_commits_now)
    try:
        outcome = settler.campaigns.release(completion_id)
    finally:
        event.remove(settler.db.write_engine, "before_cursor_execute", scan_commits_now)
        settler.db.close()

    assert fired, "the settler never read the scan mark"
    assert outcome == "voided"
    with world.platform.db.read() as conn:
        rewards = conn.execute(select(tables.rewards.c.id)).all()
        spent = conn.execute(
            select(tables.campaigns.c.spent_fen).where(tables.campaigns.c.id == campaign.id)
        ).scalar_one()
    assert rewards == []
    assert spent == 0
