"""Authenticity writes racing each other on PostgreSQL, where two servers write at once.

Each interleaving is forced with a cursor hook on one side's own engine, so it is
deterministic; SQLite has a single writer, so these cannot interleave there.

Two appeals of one verdict decided at the same time: the fan whose like was revoked and
the creator of the video may each appeal the same verdict, and both appeals are about the
same revocation. When operators reinstate both at once, the revocation must be given back
once: one REINSTATE event, the video's `revoked` count down by one, never below zero. The
second decision is run up to its UPDATE, then the first commits.

A scan deciding the holds while the fan unlikes a held like: the hold is closed once
(withdrawn), and `pending` goes down once.

An appeal reinstating a like while the fan unlikes it: the like leaves `revoked` once.

A verdict revoking a like while the fan unlikes it: either the revocation comes first and
the unlike takes it out of `revoked`, or the unlike comes first and nothing is revoked;
never a revoked count for a like that is gone.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Connection
from tests.races import start_and_wait_blocked

from plaudit.config import Settings
from plaudit.interactions.service import NO_DEVICE, Hold, like_op, unlike_op
from plaudit.ledger.sources import StoreLog
from plaudit.ledgerstore.audit import StoreCounts, audit
from plaudit.platform import Platform
from plaudit.store import authenticity as authenticity_sql
from plaudit.store import tables, utcnow


@pytest.fixture
def platform(backend_settings: Settings) -> Iterator[Platform]:
    opened = Platform(backend_settings).open(writer_thread=True)
    yield opened
    opened.close()


def _audit_ok(platform: Platform) -> None:
    platform.integrator.catch_up()
    report = audit(StoreLog(platform.ledger), StoreCounts(platform.videos), platform.ledger.vkey)
    assert report.ok, report.lines()


def _postgres_only(platform: Platform) -> None:
    if platform.db.dialect != "postgresql":
        pytest.skip("the interleaving needs two concurrent writers (PostgreSQL)")


def _revoked_like(platform: Platform) -> tuple[int, int, int, int]:
    """(verdict id, fan, creator, video) of one like revoked by an operator's verdict."""
    creator = platform.accounts.create("maker", "creator")[0].id
    fan = platform.accounts.create("fan")[0].id
    video = platform.videos.publish(creator, "clip", "food").id
    like = asyncio.run(platform.interactions.like(fan, video)).like

    def op(conn: Connection) -> int:
        verdict = authenticity_sql.insert_verdict(conn, None, "operator", 1.0, "{}", utcnow())
        authenticity_sql.revoke(conn, verdict, [(like.id, fan, video)], utcnow())
        return verdict

    return platform.db.write(op), fan, creator, video


def test_two_appeals_reinstating_one_revocation_at_once_give_it_back_once(
    platform: Platform,
) -> None:
    _postgres_only(platform)
    verdict, fan, creator, video = _revoked_like(platform)
    assert platform.videos.get(video).revoked == 1
    by_fan = platform.authenticity.appeal(verdict, fan, "I liked it myself")
    by_creator = platform.authenticity.appeal(verdict, creator, "a real fan of mine")

    second = Platform(platform.settings)  # another server's operator, its own connections
    decided: list[int] = []
    first = threading.Thread(
        target=lambda: decided.append(
            platform.authenticity.decide(by_fan.id, "reinstate").likes_reinstated
        )
    )

    waited: list[bool] = []  # did the second writer wait for our locks?

    def first_decision_now(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if statement.lower().startswith("update revocations") and first.ident is None:
            waited.append(start_and_wait_blocked(first, platform.db))

    event.listen(second.db.write_engine, "before_cursor_execute", first_decision_now)
    try:
        decided.append(second.authenticity.decide(by_creator.id, "reinstate").likes_reinstated)
    finally:
        event.remove(second.db.write_engine, "before_cursor_execute", first_decision_now)
        second.db.close()
    first.join()
    assert waited == [True], "the forced interleaving did not happen"

    assert sorted(decided) == [0, 1]  # both appeals decided; the like given back once
    assert platform.videos.get(video).revoked == 0
    with platform.db.read() as conn:
        reinstated = conn.execute(
            select(func.count())
            .select_from(tables.events)
            .where(tables.events.c.kind == "reinstate")
        ).scalar_one()
    assert reinstated == 1
    _audit_ok(platform)


def test_a_held_like_unliked_while_a_scan_decides_the_holds_leaves_pending_once(
    platform: Platform,
) -> None:
    _postgres_only(platform)
    creator = platform.accounts.create("maker", "creator")[0].id
    fan = platform.accounts.create("fan")[0].id
    video = platform.videos.publish(creator, "clip", "food").id
    held = platform.db.write(
        like_op(fan, video, "app", NO_DEVICE, utcnow(), Hold("account_velocity", 80))
    )
    assert held.held
    assert platform.videos.get(video).pending == 1

    scanner = Platform(platform.settings)
    fired: list[bool] = []

    def fan_unlikes_now(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if statement.lower().startswith("update holds") and not fired:
            fired.append(True)
            platform.db.write(unlike_op(fan, video, "app", utcnow()))

    event.listen(scanner.db.write_engine, "before_cursor_execute", fan_unlikes_now)
    try:
        scanner.authenticity.scan()
    finally:
        event.remove(scanner.db.write_engine, "before_cursor_execute", fan_unlikes_now)
        scanner.db.close()

    assert fired
    after = platform.videos.get(video)
    assert (after.likes, after.pending, after.revoked) == (0, 0, 0)
    with platform.db.read() as conn:
        outcome = conn.execute(
            select(tables.holds.c.outcome).where(tables.holds.c.like_id == held.like.id)
        ).scalar_one()
    assert outcome == "withdrawn"
    _audit_ok(platform)


def test_a_like_unliked_while_a_verdict_revokes_it_is_never_counted_revoked(
    platform: Platform,
) -> None:
    _postgres_only(platform)
    creator = platform.accounts.create("maker", "creator")[0].id
    fan = platform.accounts.create("fan")[0].id
    video = platform.videos.publish(creator, "clip", "food").id
    like = asyncio.run(platform.interactions.like(fan, video)).like

    scanner = Platform(platform.settings)
    unliker = threading.Thread(
        target=lambda: platform.db.write(unlike_op(fan, video, "app", utcnow()))
    )

    waited: list[bool] = []  # did the second writer wait for our locks?

    def fan_unlikes_now(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if statement.lower().startswith("insert into verdicts") and not unliker.ident:
            waited.append(start_and_wait_blocked(unliker, platform.db))

    def op(conn: Connection) -> int:
        targets = authenticity_sql.still_revocable(conn, [like.id])
        if not targets:
            return 0
        verdict = authenticity_sql.insert_verdict(conn, None, "lockstep", 9.0, "{}", utcnow())
        return authenticity_sql.revoke(conn, verdict, targets, utcnow())

    event.listen(scanner.db.write_engine, "before_cursor_execute", fan_unlikes_now)
    try:
        scanner.db.write(op)
    finally:
        event.remove(scanner.db.write_engine, "before_cursor_execute", fan_unlikes_now)
        scanner.db.close()
    unliker.join()
    assert waited == [True], "the forced interleaving did not happen"

    after = platform.videos.get(video)
    assert (after.likes, after.revoked, after.authentic) == (0, 0, 0)
    _audit_ok(platform)


def test_a_like_unliked_while_its_appeal_is_reinstating_it_leaves_revoked_once(
    platform: Platform,
) -> None:
    _postgres_only(platform)
    verdict, fan, _creator, video = _revoked_like(platform)
    appeal = platform.authenticity.appeal(verdict, fan, "I liked it myself")

    decider = Platform(platform.settings)
    unliker = threading.Thread(
        target=lambda: platform.db.write(unlike_op(fan, video, "app", utcnow()))
    )

    waited: list[bool] = []  # did the second writer wait for our locks?

    def fan_unlikes_now(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if statement.lower().startswith("update revocations") and unliker.ident is None:
            waited.append(start_and_wait_blocked(unliker, platform.db))

    event.listen(decider.db.write_engine, "before_cursor_execute", fan_unlikes_now)
    try:
        decider.authenticity.decide(appeal.id, "reinstate")
    finally:
        event.remove(decider.db.write_engine, "before_cursor_execute", fan_unlikes_now)
        decider.db.close()
    unliker.join()
    assert waited == [True], "the forced interleaving did not happen"

    after = platform.videos.get(video)
    assert (after.likes, after.revoked, after.authentic) == (0, 0, 0)
    _audit_ok(platform)
