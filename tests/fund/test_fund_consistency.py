"""Property: whatever happens in a period (likes, unlikes, re-likes, comments, shares,
follows, unfollows, revocations, reinstatements, campaign likes, self-interactions), the
payouts closing computes from the store are exactly what verify recomputes from the ledger."""

from __future__ import annotations

import tempfile
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from tests.fund.world import END, START, World, day

from plaudit.config import load_settings
from plaudit.errors import Conflict, Forbidden
from plaudit.fund import Rule, verify_period
from plaudit.interactions.service import unfollow_op
from plaudit.platform import Platform
from plaudit.store import tables

ACTIONS = ("like", "unlike", "comment", "share", "follow", "unfollow", "revoke", "reinstate")
Step = tuple[str, int, int, int, bool]

steps = st.lists(
    st.tuples(
        st.sampled_from(ACTIONS),
        st.integers(0, 4),  # actor: fans 0-3, 4 is creator 0 themself
        st.integers(0, 3),  # video (videos 0-1 of creator 0, 2-3 of creator 1)
        st.integers(-1, 7),  # day; -1 and 7 fall outside the period
        st.booleans(),  # through a campaign
    ),
    max_size=30,
)


def _apply(
    world: World, step: Step, fans: list[int], creators: list[int], videos: list[int]
) -> None:
    action, actor, video_index, day_index, campaign = step
    who = creators[0] if actor == 4 else fans[actor]
    video = videos[video_index]
    at = (
        day(day_index, hour=actor * 2 + video_index)
        if 0 <= day_index < 7
        else (START - timedelta(hours=1) if day_index < 0 else END + timedelta(hours=1))
    )
    try:
        if action == "like":
            world.like(who, video, at, source="campaign:1" if campaign else "app")
        elif action == "unlike":
            world.unlike(who, video, at)
        elif action == "comment":
            world.comment(who, video, at)
        elif action == "share":
            world.share(who, video, at)
        elif action == "follow":
            world.follow(who, creators[video_index // 2], at)
        elif action == "unfollow":
            world.platform.db.write(unfollow_op(who, creators[video_index // 2], at))
        elif action == "revoke":
            _revoke_active(world, who, video)
        else:
            _reinstate_one(world, who, video)
    except (Conflict, Forbidden):
        pass  # unlike without a like, a creator following themself: refused, nothing written


def _revoke_active(world: World, account: int, video: int) -> None:
    with world.platform.db.read() as conn:
        like = conn.execute(
            select(tables.likes.c.id).where(
                tables.likes.c.account_id == account,
                tables.likes.c.video_id == video,
                tables.likes.c.removed_at.is_(None),
            )
        ).scalar()
        revoked = conn.execute(
            select(tables.revocations.c.id).where(
                tables.revocations.c.like_id == like, tables.revocations.c.reinstated_at.is_(None)
            )
        ).scalar()
    if like is not None and revoked is None:
        world.revoke(like)


def _reinstate_one(world: World, account: int, video: int) -> None:
    with world.platform.db.read() as conn:
        found = conn.execute(
            select(tables.revocations.c.id)
            .join(tables.likes, tables.likes.c.id == tables.revocations.c.like_id)
            .where(
                tables.revocations.c.account_id == account,
                tables.revocations.c.video_id == video,
                tables.revocations.c.reinstated_at.is_(None),
                tables.likes.c.removed_at.is_(None),
            )
        ).scalar()
    if found is not None:
        world.reinstate(found)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps, st.integers(1, 10**9))
def test_closing_and_verifying_always_agree(script: list[Step], pool: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        platform = Platform(
            load_settings(flags={"data_dir": tmp, "sqlite_synchronous": "normal"}, env={})
        ).open()
        try:
            world = World(platform)
            creators = [world.account("creator") for _ in range(2)]
            fans = [world.account() for _ in range(4)]
            videos = [world.video(creators[n // 2]) for n in range(4)]
            for step in script:
                _apply(world, step, fans, creators, videos)
            period = platform.fund.create_period("p", START, END, pool, Rule(daily_cap=3))
            world.scan()
            closed = platform.fund.close(period.id, now=END + timedelta(days=1))
            world.integrate()
            report = verify_period(platform.db, platform.ledger, period.id)
            assert report.ok, report.lines()
            paid = sum(s.payout_fen for s in closed.statements)
            assert paid == (pool if closed.total_units else 0)
        finally:
            platform.close()


def test_a_shredded_fan_is_noted_not_failed(world: World) -> None:
    creator = world.account("creator")
    video = world.video(creator)
    fan = world.account()
    world.like(fan, video, day(1))
    period = world.platform.fund.create_period("p", START, END, 100, Rule())
    world.scan()
    world.platform.fund.close(period.id, now=END + timedelta(days=1))
    world.integrate()
    shred = (
        update(tables.account_secrets)
        .where(tables.account_secrets.c.account_id == fan)
        .values(secret=None)
    )
    world.platform.db.write(lambda conn: conn.execute(shred))
    report = verify_period(world.platform.db, world.platform.ledger, period.id)
    assert report.ok
    assert report.attributed == 0
    assert any(f"account {fan} is shredded" in note for note in report.notes)
