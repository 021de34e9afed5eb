"""Budgets never overspend: 64 completions released at once by 64 threads (each its own
transaction on its own connection, as separate settler processes would) against a budget
for 10 rewards pay exactly 10, on SQLite and PostgreSQL; settling again pays nothing more."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from plaudit.errors import CouponAlreadyRedeemed
from plaudit.platform import Platform
from plaudit.store import tables
from tests.campaigns.conftest import World

FANS = 64


async def _like_all(world: World, fans: list[int], video: int, source: str) -> None:
    await asyncio.gather(*(world.platform.interactions.like(f, video, source) for f in fans))


def test_64_concurrent_releases_against_a_budget_for_10_pay_exactly_10(
    instant_world: World,
) -> None:
    world = instant_world
    fans = [world.fan() for _ in range(FANS)]
    world.refresh_persona()
    campaign = world.campaign(budget_fen=10 * 1_000, reward_fen=1_000)
    for fan in fans:
        world.platform.campaigns.opt_in(fan, campaign.id)
    asyncio.run(_like_all(world, fans, world.videos[0], f"campaign:{campaign.id}"))
    with world.platform.db.read() as conn:
        c = tables.completions
        completion_ids = list(conn.execute(select(c.c.id).order_by(c.c.id)).scalars())
    assert len(completion_ids) == FANS

    settler = Platform(world.platform.settings)  # no writer thread: each release commits alone
    try:
        with ThreadPoolExecutor(max_workers=FANS) as pool:
            outcomes = list(pool.map(settler.campaigns.release, completion_ids * 2))
    finally:
        settler.db.close()

    assert outcomes.count("released") == 10
    assert outcomes.count("unfunded") == FANS - 10
    assert outcomes.count("settled") == FANS  # the second release of each found nothing to do
    with world.platform.db.read() as conn:
        spent = conn.execute(
            select(tables.campaigns.c.spent_fen).where(tables.campaigns.c.id == campaign.id)
        ).scalar_one()
        rewards = conn.execute(select(func.count()).select_from(tables.rewards)).scalar_one()
        statuses = dict(
            conn.execute(
                select(tables.completions.c.status, func.count()).group_by(
                    tables.completions.c.status
                )
            ).all()
        )
    assert spent == 10 * 1_000
    assert rewards == 10
    assert statuses == {"released": 10, "unfunded": FANS - 10}
    assert world.platform.campaigns.settle().counts == {}


def test_a_coupon_redeemed_by_16_threads_at_once_is_redeemed_once(instant_world: World) -> None:
    world = instant_world
    fan = world.fan()
    world.refresh_persona()
    campaign = world.campaign()
    world.platform.campaigns.opt_in(fan, campaign.id)
    world.like(fan, world.videos[0], f"campaign:{campaign.id}")
    world.platform.campaigns.settle()
    [reward] = world.platform.campaigns.rewards_of(fan)
    code = world.platform.campaigns.reveal_coupon(fan, reward.id)

    shop = Platform(world.platform.settings)

    def redeem(_: int) -> str:
        try:
            shop.campaigns.redeem(world.brand, code)
        except CouponAlreadyRedeemed:
            return "replay"
        return "redeemed"

    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            outcomes = list(pool.map(redeem, range(16)))
    finally:
        shop.db.close()
    assert sorted(outcomes) == ["redeemed"] + ["replay"] * 15
