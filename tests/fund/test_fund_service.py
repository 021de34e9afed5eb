"""Periods end to end on SQLite and PostgreSQL: preview, close (frozen once), statements, and
`verify` recomputing every payout from the ledger, catching a tampered payout or store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from tests.fund.world import END, START, World, day

from plaudit.errors import Conflict, InvalidInput, NotFound
from plaudit.fund import Rule, verify_period
from plaudit.fund.replay import time_us_of
from plaudit.ledger.entries import Kind
from plaudit.store import tables

AFTER = END + timedelta(days=1)
DEFAULT_RULE = Rule()


def period(world: World, pool: int = 1000, name: str = "nov-w1", rule: Rule = DEFAULT_RULE) -> int:
    return world.platform.fund.create_period(name, START, END, pool, rule).id


def two_creators(world: World) -> tuple[int, int, int, int]:
    """Creator a: fan 1 likes and comments on day 0; creator b: fan 2 likes on day 0."""
    a, b = world.account("creator"), world.account("creator")
    fan1, fan2 = world.account(), world.account()
    va, vb = world.video(a), world.video(b)
    world.like(fan1, va, day(0))
    world.comment(fan1, va, day(0, 13))
    world.like(fan2, vb, day(0))
    return a, b, va, vb


def close(world: World, ref: int) -> None:
    world.scan()
    world.platform.fund.close(ref, now=AFTER)
    world.integrate()


def test_a_preview_divides_the_pool_by_weighted_score(world: World) -> None:
    a, b, _, _ = two_creators(world)
    preview = world.platform.fund.compute(period(world))
    by = {s.creator_id: s for s in preview.statements}
    # a: comment 3 + like 1/2 = 3.5 points (2940 units); b: 1 point (840): 777.78 / 222.22
    assert (by[a].score_units, by[b].score_units) == (2940, 840)
    assert (by[a].payout_fen, by[b].payout_fen) == (778, 222)
    assert (by[a].likes, by[a].comments, by[a].fans) == (1, 1, 1)
    assert by[a].score_points == "3.5000"
    assert by[a].share_percent == "77.7778"


def test_interactions_outside_the_period_or_unliked_do_not_count(world: World) -> None:
    a, b, va, vb = two_creators(world)
    fan = world.account()
    world.like(fan, va, START - timedelta(microseconds=1))
    world.like(world.account(), va, END)  # the end is exclusive
    other = world.account()
    world.like(other, vb, day(1))
    world.unlike(other, vb, day(2))
    preview = world.platform.fund.compute(period(world))
    assert [(s.creator_id, s.likes) for s in preview.statements] == [(a, 1), (b, 1)]


def test_revoked_and_incentivised_likes_are_excluded(world: World) -> None:
    a, b, va, vb = two_creators(world)
    fake = world.like(world.account(), vb, day(1))
    world.revoke(fake)
    world.like(world.account(), vb, day(1), source="campaign:3")
    given_back = world.like(world.account(), va, day(2))
    world.reinstate(world.revoke(given_back))
    by = {s.creator_id: s for s in world.platform.fund.compute(period(world)).statements}
    assert (by[b].likes, by[b].excluded_revoked, by[b].excluded_incentivised) == (1, 1, 1)
    assert (by[a].likes, by[a].excluded_revoked) == (2, 0)


def test_closing_freezes_payouts_that_sum_to_the_pool(world: World) -> None:
    a, b, va, _ = two_creators(world)
    ref = period(world, pool=100_001)
    close(world, ref)
    world.like(world.account(), va, day(3))  # after the close: never changes the statement
    statements = world.platform.fund.statements(ref)
    assert sum(s.payout_fen for s in statements) == 100_001
    assert [s.creator_id for s in statements] == [a, b]
    assert world.platform.fund.statement(ref, a).likes == 1
    totals = world.platform.fund.totals(ref)
    assert (totals.payout_fen, totals.creators, totals.likes, totals.comments) == (100_001, 2, 2, 1)


def test_closing_twice_is_a_precise_conflict_and_changes_nothing(world: World) -> None:
    two_creators(world)
    ref = period(world)
    close(world, ref)
    before = world.platform.fund.statements(ref)
    with pytest.raises(Conflict, match=r"was closed at .* payouts are frozen"):
        world.platform.fund.close(ref, now=AFTER)
    assert world.platform.fund.statements(ref) == before


def test_a_period_closes_only_after_its_end(world: World) -> None:
    two_creators(world)
    world.scan()
    with pytest.raises(Conflict, match="runs until"):
        world.platform.fund.close(period(world), now=day(3))


def test_closing_waits_for_held_likes_and_for_a_scan(world: World) -> None:
    _, _, va, _ = two_creators(world)
    ref = period(world)
    no_scan = "no authenticity scan has finished yet; run `plaudit authenticity scan`"
    with pytest.raises(Conflict, match=no_scan):
        world.platform.fund.close(ref, now=AFTER)
    held = world.like(world.account(), va, day(4))
    world.hold(held, va)
    world.scan()
    with pytest.raises(Conflict, match=r"1 likes .* are still held"):
        world.platform.fund.close(ref, now=AFTER)
    world.release(held)
    assert world.platform.fund.close(ref, now=AFTER).period.closed


def test_statements_of_an_open_period_and_unknown_periods_are_errors(world: World) -> None:
    ref = period(world)
    with pytest.raises(Conflict, match="not closed"):
        world.platform.fund.statements(ref)
    with pytest.raises(NotFound, match="no fund period 'nope'"):
        world.platform.fund.compute("nope")
    close(world, ref)
    with pytest.raises(NotFound, match="creator 999 has no statement"):
        world.platform.fund.statement(ref, 999)


@pytest.mark.parametrize(
    ("name", "start", "end", "pool", "message"),
    [
        ("", START, END, 1, "name must have"),
        ("42", START, END, 1, "must not be all digits"),
        ("p", END, START, 1, "must be after start"),
        ("p", START.replace(tzinfo=None), END, 1, "has no time zone"),
        ("p", START, END, 0, "positive whole number of fen"),
    ],
)
def test_bad_periods_are_refused(world: World, name, start, end, pool, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match=message):
        world.platform.fund.create_period(name, start, end, pool, Rule())


def test_periods_have_unique_names_and_never_overlap(world: World) -> None:
    period(world)
    with pytest.raises(Conflict, match="named 'nov-w1' exists"):
        period(world)
    with pytest.raises(Conflict, match="overlaps period 'nov-w1'"):
        world.platform.fund.create_period("later", END - timedelta(hours=1), AFTER, 5, Rule())
    world.platform.fund.create_period("next", END, AFTER, 5, Rule())  # touching is fine


def test_a_past_periods_rule_is_kept(world: World) -> None:
    a, _, _, _ = two_creators(world)
    ref = period(world, rule=Rule(like=0, comment=7, daily_cap=3))
    stored = world.platform.fund.period(ref)
    assert (stored.rule.like, stored.rule.comment, stored.rule.daily_cap) == (0, 7, 3)
    close(world, ref)
    only = world.platform.fund.statements(ref)
    assert [(s.creator_id, s.payout_fen) for s in only if s.payout_fen] == [(a, 1000)]


# --- verify ---------------------------------------------------------------------------------


def busy_period(world: World) -> tuple[int, int, int]:
    """Several fans, kinds and days, an unlike, a follow, a farm and a campaign like."""
    a, b, va, vb = two_creators(world)
    fans = [world.account() for _ in range(4)]
    va2 = world.video(a)
    for n, fan in enumerate(fans):
        world.like(fan, va if n % 2 else vb, day(n))
        world.share(fan, va2, day(n, 15))
    world.follow(fans[0], b, day(1))
    world.like(fans[1], va2, day(1))
    world.unlike(fans[1], va2, day(2))
    farmer = world.account()
    for _ in range(12):
        video = world.video(b)
        world.like(farmer, video, day(5))
    world.like(fans[2], va2, day(3), source="campaign:9")
    ref = period(world, pool=987_654)
    close(world, ref)
    return ref, a, b


def test_verify_recomputes_every_payout_from_the_ledger(world: World) -> None:
    ref, _a, _b = busy_period(world)
    report = verify_period(world.platform.db, world.platform.ledger, ref)
    assert report.ok, report.lines()
    assert report.standing >= 18
    assert report.attributed == report.standing
    assert report.lines()[0].startswith("OK: period 'nov-w1'")


def test_verify_detects_a_tampered_payout(world: World) -> None:
    ref, a, _b = busy_period(world)
    bump = (
        update(tables.fund_payouts)
        .where(tables.fund_payouts.c.creator_id == a)
        .values(payout_fen=tables.fund_payouts.c.payout_fen + 100)
    )
    world.platform.db.write(lambda conn: conn.execute(bump))
    report = verify_period(world.platform.db, world.platform.ledger, ref)
    assert not report.ok
    assert any(f"creator {a}: payout_fen stored" in line for line in report.differences)
    assert any("not the 987654 fen owed" in line for line in report.differences)


def test_verify_detects_a_store_that_moves_likes_between_accounts(world: World) -> None:
    ref, _a, _b = busy_period(world)
    farmer_like = world.platform.db.write(
        lambda conn: conn.execute(
            tables.likes.select()
            .where(tables.likes.c.source == "app")
            .order_by(tables.likes.c.id.desc())
        ).first()
    )
    assert farmer_like is not None
    # spread the farmer's likes over another account, as if they came from a second fan
    someone = world.account()
    move = (
        update(tables.likes).where(tables.likes.c.id == farmer_like.id).values(account_id=someone)
    )
    world.platform.db.write(lambda conn: conn.execute(move))
    report = verify_period(world.platform.db, world.platform.ledger, ref)
    assert not report.ok
    assert any(
        f"attributes it to account {someone}, whose commitment does not match" in line
        for line in report.tampered
    )


def test_verify_needs_a_closed_period(world: World) -> None:
    ref = period(world)
    with pytest.raises(Conflict, match="not closed"):
        verify_period(world.platform.db, world.platform.ledger, ref)


def test_time_us_is_exact() -> None:
    assert time_us_of(START + timedelta(microseconds=7)) - time_us_of(START) == 7


needs_revoke_entries = pytest.mark.skipif(
    "REVOKE" not in Kind.__members__, reason="the ledger has no REVOKE entries yet (issue 4)"
)


@needs_revoke_entries
def test_verify_follows_revocations_and_reinstatements_in_the_ledger(world: World) -> None:
    a, b, va, vb = two_creators(world)
    fake = world.like(world.account(), vb, day(2))
    world.revoke(fake)
    back = world.like(world.account(), va, day(2))
    world.reinstate(world.revoke(back))
    later = world.like(world.account(), va, day(3))
    ref = period(world)
    close(world, ref)
    world.revoke(later)  # after the close: neither the statement nor verify may change
    world.integrate()
    by = {s.creator_id: s for s in world.platform.fund.statements(ref)}
    assert (by[b].excluded_revoked, by[a].likes) == (1, 3)
    report = verify_period(world.platform.db, world.platform.ledger, ref)
    assert report.ok, report.lines()


@needs_revoke_entries
def test_verify_detects_a_revocation_the_store_dropped(world: World) -> None:
    _a, b, _va, vb = two_creators(world)
    revocation = world.revoke(world.like(world.account(), vb, day(2)))
    # the store "forgets" the revocation without a reinstate entry in the ledger
    forget = (
        update(tables.revocations)
        .where(tables.revocations.c.id == revocation)
        .values(reinstated_at=END)
    )
    world.platform.db.write(lambda conn: conn.execute(forget))
    ref = period(world)
    close(world, ref)
    report = verify_period(world.platform.db, world.platform.ledger, ref)
    assert f"creator {b}: likes stored 2, recomputed from the ledger 1" in report.differences
    assert f"creator {b}: excluded_revoked stored 0, recomputed from the ledger 1" in (
        report.differences
    )
