"""Check-in streaks, like-to-donate, and every way a campaign like can be wrong: each a precise
problem, never a double reward (service level, SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plaudit.errors import (
    AlreadyCheckedIn,
    BudgetExhausted,
    CampaignNotActive,
    InvalidInput,
    LikedBeforeCampaign,
    NotEligible,
    NotOptedIn,
    RewardLimitReached,
    StreakEnded,
)
from plaudit.store import utcnow
from tests.campaigns.conftest import World, days_ago


def _streak(world: World, miss: str) -> int:
    return world.campaign(
        name="study check-in",
        task="streak",
        streak_days=3,
        streak_miss=miss,
        video_ids=tuple(world.videos),
        reward_fen=500,
    ).id


def test_three_days_in_a_row_complete_a_streak(instant_world: World) -> None:
    world = instant_world
    fan = world.fan()
    world.refresh_persona()
    campaign_id = _streak(world, "reset")
    world.platform.campaigns.opt_in(fan, campaign_id)
    source = f"campaign:{campaign_id}"
    world.like_at(fan, world.videos[0], source, days_ago(5))
    with pytest.raises(AlreadyCheckedIn):
        world.like_at(fan, world.videos[1], source, days_ago(5, hour_utc=10))
    world.like_at(fan, world.videos[1], source, days_ago(4))
    # 15:30 UTC is 23:30 in Shanghai: still day -4 there, so it is the same day again
    with pytest.raises(AlreadyCheckedIn):
        world.like_at(fan, world.videos[2], source, days_ago(4, hour_utc=15))
    world.like_at(fan, world.videos[2], source, days_ago(3))
    progress = world.platform.campaigns.progress(fan, campaign_id)
    assert [c.status for c in progress.completions] == ["pending"]
    assert world.platform.campaigns.settle().counts == {"released": 1}
    [reward] = world.platform.campaigns.rewards_of(fan)
    assert (reward.kind, reward.amount_fen) == ("coupon", 500)


def test_a_missed_day_resets_or_ends_the_streak(instant_world: World) -> None:
    world = instant_world
    fan = world.fan()
    world.refresh_persona()
    reset, end = _streak(world, "reset"), _streak(world, "end")
    for campaign_id in (reset, end):
        world.platform.campaigns.opt_in(fan, campaign_id)
    world.like_at(fan, world.videos[0], f"campaign:{reset}", days_ago(6))
    world.like_at(fan, world.videos[1], f"campaign:{reset}", days_ago(5))
    world.like_at(fan, world.videos[2], f"campaign:{reset}", days_ago(3))  # missed day -4
    assert world.platform.campaigns.progress(fan, reset).completions == []

    world.like_at(fan, world.videos[3], f"campaign:{end}", days_ago(6))
    with pytest.raises(StreakEnded):
        world.like_at(fan, world.videos[4], f"campaign:{end}", days_ago(4))
    progress = world.platform.campaigns.progress(fan, end)
    assert (progress.streak, progress.streak_ended) == (0, True)


def test_like_to_donate_pays_per_authentic_like_up_to_the_cap(instant_world: World) -> None:
    world = instant_world
    fans = [world.fan() for _ in range(3)]
    world.refresh_persona()
    campaign = world.campaign(
        name="like for trees",
        task="donate",
        charity="China Green Foundation",
        reward_fen=50,
        budget_fen=100,
        per_account_limit=5,
    )
    source = f"campaign:{campaign.id}"
    for fan in fans:
        world.platform.campaigns.opt_in(fan, campaign.id)
        world.like(fan, world.videos[0], source)
    assert world.platform.campaigns.settle().counts == {"released": 2, "unfunded": 1}
    totals = world.platform.campaigns.donations(campaign.id)
    assert totals["donated_fen"] == 100
    assert totals["likes"] == 2
    assert totals["charity"] == "China Green Foundation"
    with pytest.raises(BudgetExhausted):
        world.like(fans[0], world.videos[1], source)


def test_every_wrong_campaign_like_is_a_precise_problem(world: World) -> None:
    fan, other = world.fan(), world.fan()
    world.refresh_persona()
    campaign = world.campaign()
    source = f"campaign:{campaign.id}"
    with pytest.raises(NotOptedIn):
        world.like(fan, world.videos[0], source)
    world.platform.campaigns.opt_in(fan, campaign.id)
    with pytest.raises(InvalidInput, match="not part of campaign"):
        world.like(fan, world.videos[4], source)
    world.like(other, world.videos[1])  # an organic like first
    world.platform.campaigns.opt_in(other, campaign.id)
    with pytest.raises(LikedBeforeCampaign):
        world.like(other, world.videos[1], source)

    first = world.like(fan, world.videos[0], source)
    again = world.like(fan, world.videos[0], source)  # the same like: idempotent
    assert (again.created, again.like.id) == (False, first.like.id)
    with pytest.raises(RewardLimitReached):
        world.like(fan, world.videos[1], source)
    assert len(world.platform.campaigns.progress(fan, campaign.id).completions) == 1
    assert world.likes_of(world.videos[4], fan) == 0  # the refused like left nothing behind


def test_expired_and_ended_campaigns_refuse_opt_ins_and_likes(world: World) -> None:
    fan = world.fan()
    world.refresh_persona()
    now = utcnow()
    with pytest.raises(InvalidInput, match=r"ends_at .* is already past"):
        world.campaign(starts_at=now - timedelta(days=9), ends_at=now - timedelta(days=1))
    past = world.campaign(starts_at=now - timedelta(days=9), ends_at=now + timedelta(days=1))
    world.move_end(past.id, now - timedelta(days=1))  # time passes: it ended yesterday
    with pytest.raises(CampaignNotActive, match="ended at"):
        world.platform.campaigns.opt_in(fan, past.id)
    running = world.campaign()
    world.platform.campaigns.opt_in(fan, running.id)
    world.platform.campaigns.end_campaign(world.brand, running.id)
    with pytest.raises(CampaignNotActive, match="was ended"):
        world.like(fan, world.videos[0], f"campaign:{running.id}")


def test_withdrawn_targeting_consent_makes_an_account_ineligible(world: World) -> None:
    fan = world.fan()
    world.refresh_persona()
    campaign = world.campaign()
    world.platform.accounts.update_profile(fan, {"consent_targeting": False})
    with pytest.raises(NotEligible):
        world.platform.campaigns.opt_in(fan, campaign.id)
    assert world.platform.campaigns.tasks_for(fan) == []


def test_a_campaign_that_has_not_started_takes_opt_ins_but_not_likes(world: World) -> None:
    fan = world.fan()
    world.refresh_persona()
    now = utcnow()
    soon = world.campaign(starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=8))
    world.platform.campaigns.opt_in(fan, soon.id)
    with pytest.raises(CampaignNotActive, match="starts at"):
        world.like(fan, world.videos[0], f"campaign:{soon.id}")
    assert world.likes_of(world.videos[0], fan) == 0


def test_a_report_before_any_persona_refresh_has_no_eligible_count(world: World) -> None:
    campaign = world.campaign()
    report = world.platform.campaigns.report(world.brand, campaign.id)
    assert report.eligible is None
    assert (report.likes, report.cost_per_authentic_fen, report.authentic_rate_bp) == (
        0,
        None,
        None,
    )
    with pytest.raises(NotOptedIn):
        world.platform.campaigns.progress(world.fan(), campaign.id)
