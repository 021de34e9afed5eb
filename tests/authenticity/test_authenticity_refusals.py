"""Likes the real-time rules refuse are recorded where they are refused (single likes and
bulk items) and counted by rule; the record names no account, device or address."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from tests.campaigns.conftest import World, make_world

from plaudit.authenticity import REFUSING_RULES, count_refusals_by_rule
from plaudit.config import Settings
from plaudit.errors import InvalidInput, RateLimited, RefusedByRule
from plaudit.interactions import BulkItem, Device
from plaudit.store import tables, utcnow


@pytest.fixture
def world(backend_settings: Settings) -> Iterator[World]:
    """At most 2 likes a minute per account (the 2nd is held), 2 accounts per device."""
    strict = backend_settings.with_values(
        rule_account_hold_per_min=1,
        rule_account_limit_per_min=2,
        rule_device_accounts_hold=1,
        rule_device_accounts_limit=2,
    )
    yield from make_world(strict)


def _around_now() -> tuple[datetime, datetime]:
    now = utcnow()
    return now - timedelta(minutes=5), now + timedelta(minutes=5)


def test_a_refused_like_is_recorded_with_its_rule_video_and_time_only(world: World) -> None:
    fan = world.fan()
    interactions = world.platform.interactions
    world.like(fan, world.videos[0])
    assert world.like(fan, world.videos[1]).held
    with pytest.raises(RateLimited):
        world.like(fan, world.videos[2])
    with pytest.raises(RateLimited):  # the sync path (CLI, library) records it too
        interactions.like_sync(fan, world.videos[3])
    phone = Device(device_key="shared-phone")
    for other in (world.fan(), world.fan()):
        asyncio.run(interactions.like(other, world.videos[4], device=phone))
    with pytest.raises(RefusedByRule):
        asyncio.run(interactions.like(world.fan(), world.videos[4], device=phone))
    start, end = _around_now()
    counts = count_refusals_by_rule(world.platform.db, start, end)
    assert counts == {"account_velocity": 2, "device_velocity": 0, "device_accounts": 1}
    with world.platform.db.read() as conn:
        rows = conn.execute(select(tables.rule_refusals)).mappings().all()
    assert set(rows[0]) == {"id", "rule", "video_id", "refused_at"}
    assert sorted(r["video_id"] for r in rows) == sorted(
        [world.videos[2], world.videos[3], world.videos[4]]
    )
    # a like that is not refused (already liked, accepted, held) leaves no refusal
    world.like(world.fan(), world.videos[0])
    assert count_refusals_by_rule(world.platform.db, start, end) == counts


def test_refused_bulk_items_are_recorded_in_the_batch(world: World) -> None:
    fan = world.fan()
    now = utcnow()
    items = [BulkItem("like", fan, video, now) for video in world.videos[:4]]
    results = world.platform.interactions.bulk_sync(items)
    assert [r.status for r in results] == ["created", "created", "error", "error"]
    start, end = _around_now()
    assert count_refusals_by_rule(world.platform.db, start, end)["account_velocity"] == 2
    # outside the range: nothing
    earlier = count_refusals_by_rule(world.platform.db, start - timedelta(days=1), start)
    assert earlier == dict.fromkeys(REFUSING_RULES, 0)


def test_the_range_must_be_aware_and_in_order(world: World) -> None:
    db = world.platform.db
    with pytest.raises(InvalidInput, match="aware datetimes"):
        count_refusals_by_rule(db, datetime(2026, 12, 1), datetime(2026, 12, 2, tzinfo=UTC))
    with pytest.raises(InvalidInput, match="before it starts"):
        count_refusals_by_rule(
            db, datetime(2026, 12, 2, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
        )


def test_the_operators_rules_table_counts_refusals_beside_holds(world: World) -> None:
    fan = world.fan()
    world.like(fan, world.videos[0])
    assert world.like(fan, world.videos[1]).held
    with pytest.raises(RateLimited):
        world.like(fan, world.videos[2])
    platform = world.platform
    activity = platform.authenticity.oversight.rule_activity(platform.rules.settings, 1)
    velocity = next(a for a in activity if a.limit.rule == "account_velocity").counts
    assert (velocity["refused"], velocity["held"]) == (1, 1)
    assert all(a.counts["refused"] == 0 for a in activity if a.limit.rule != "account_velocity")
