"""The Done-when story of issue 7 through the service, on SQLite and PostgreSQL: a brand
targets "tier-1 cities, 25-35, spend above 5,000 CNY, women" with a like-to-get-coupon
campaign; fans complete it; rewards arrive only after the authenticity hold; a revoked like
voids; the brand sees ROI and conversion."""

from __future__ import annotations

import pytest

from plaudit.errors import (
    CampaignNotFound,
    CouponAlreadyRedeemed,
    CouponAlreadyShown,
    CouponNotFound,
    Forbidden,
    NotEligible,
    OrganisationNotFound,
)
from tests.campaigns.conftest import World


def _statuses(world: World, account: int, campaign_id: int) -> list[str]:
    return [c.status for c in world.platform.campaigns.progress(account, campaign_id).completions]


def test_a_coupon_campaign_pays_after_the_hold_and_voids_a_revoked_like(world: World) -> None:
    alice, bea = world.fan(), world.fan()
    outsider = world.fan({"birth_year": 1995, "gender": "male", "city_tier": "1"})
    world.refresh_persona()
    campaign = world.campaign()
    service = world.platform.campaigns

    assert [c.id for c, _ in service.tasks_for(alice)] == [campaign.id]
    assert service.tasks_for(outsider) == []
    with pytest.raises(NotEligible):
        service.opt_in(outsider, campaign.id)
    service.opt_in(alice, campaign.id)
    service.opt_in(bea, campaign.id)

    source = f"campaign:{campaign.id}"
    world.like(alice, world.videos[0], source)
    fake = world.like(bea, world.videos[1], source).like
    assert _statuses(world, alice, campaign.id) == ["pending"]

    assert service.settle().counts == {"pending": 2}  # no scan yet: the hold has not cleared
    world.revoke(fake.id, bea, fake.video_id)
    world.scan()
    assert service.settle().counts == {"released": 1, "voided": 1}
    assert service.settle().counts == {}  # nothing left: each completion settles once

    assert _statuses(world, alice, campaign.id) == ["released"]
    assert _statuses(world, bea, campaign.id) == ["voided"]
    assert service.rewards_of(bea) == []
    [reward] = service.rewards_of(alice)
    assert (reward.kind, reward.amount_fen) == ("coupon", 1_000)

    code = service.reveal_coupon(alice, reward.id)
    assert len(code.replace("-", "")) == 20
    with pytest.raises(CouponAlreadyShown):
        service.reveal_coupon(alice, reward.id)
    with pytest.raises(CouponNotFound):
        service.reveal_coupon(bea, reward.id)

    redemption = service.redeem(world.brand, code.lower())
    assert (redemption.reward_id, redemption.amount_fen) == (reward.id, 1_000)
    with pytest.raises(CouponAlreadyRedeemed):
        service.redeem(world.brand, code)

    report = service.report(world.brand, campaign.id)
    assert report.eligible == "<100"  # two women match: suppressed below privacy_k
    assert (report.opted_in, report.likes, report.authentic_likes) == (2, 2, 1)
    assert report.authentic_rate_bp == 5_000
    assert report.completions == {"pending": 0, "released": 1, "voided": 1, "unfunded": 0}
    assert (report.spent_fen, report.cost_per_authentic_fen) == (1_000, 1_000)
    assert report.rewards_left == 9  # 9,000 fen of the 10,000 budget left, 1,000 a coupon
    assert (report.coupons_issued, report.coupons_redeemed) == (1, 1)
    assert report.redemption_rate_bp == 10_000
    assert sum(day.likes for day in report.days) == 2


def test_disclosure_lists_the_campaigns_a_videos_likes_came_through(world: World) -> None:
    fans = [world.fan() for _ in range(3)]
    world.refresh_persona()
    campaign = world.campaign()
    for fan in fans[:2]:
        world.platform.campaigns.opt_in(fan, campaign.id)
        world.like(fan, world.videos[0], f"campaign:{campaign.id}")
    world.like(fans[2], world.videos[0])  # organic

    [through] = world.platform.campaigns.video_campaigns(world.videos[0])
    assert through == {
        "campaign_id": campaign.id,
        "name": "winter coupons",
        "task": "coupon",
        "organisation": "Acme Cosmetics",
        "likes": 2,
    }
    assert world.platform.campaigns.video_campaigns(world.videos[3]) == []


def test_other_organisations_cannot_see_or_redeem(world: World) -> None:
    fan = world.fan()
    world.refresh_persona()
    campaign = world.campaign()
    rival, _ = world.platform.accounts.create("rival_brand", "brand")
    service = world.platform.campaigns
    service.create_organisation(rival.id, "Rival")
    with pytest.raises(CampaignNotFound):
        service.report(rival.id, campaign.id)
    with pytest.raises(OrganisationNotFound, match="does not exist"):  # as a missing one
        service.campaigns_of(rival.id, world.organisation.id)
    analyst, _ = world.platform.accounts.create("acme_analyst", "brand")
    service.set_member(world.brand, world.organisation.id, analyst.id, "analyst")
    assert service.report(analyst.id, campaign.id).campaign_id == campaign.id
    with pytest.raises(Forbidden):
        service.end_campaign(analyst.id, campaign.id)
    with pytest.raises(Forbidden):
        service.set_member(analyst.id, world.organisation.id, fan, "owner")
