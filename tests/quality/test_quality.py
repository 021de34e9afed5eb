"""The interaction quality score: its definition on hand-made records, and the service on
SQLite and PostgreSQL (organic video scores, campaign scores for the campaign's brand)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from tests.fund.world import World, day, make_campaign

from plaudit.config import Settings
from plaudit.errors import CampaignNotFound, VideoNotFound
from plaudit.platform import Platform
from plaudit.quality import QualityService, quality_of

NOON = datetime(2026, 11, 3, 12, tzinfo=UTC)
CREATOR = 99


def like(account: int, revoked: bool = False, pending: bool = False):  # type: ignore[no-untyped-def]
    return ("like", account, CREATOR, NOON, revoked, pending)


def test_an_audience_that_each_liked_once_scores_100() -> None:
    score = quality_of("video", 1, [like(a) for a in range(10)], k=0)
    assert (score.score, score.reach, score.likes, score.weighted_points) == (100.0, 10, 10, 10.0)


def test_comments_and_shares_lift_the_score() -> None:
    records = [like(1), ("comment", 1, CREATOR, NOON, False, False), like(2)]
    # account 1: comment 3 + like 1/2; account 2: 1 -> 4.5 points over 2 accounts
    assert quality_of("video", 1, records, k=0).score == 225.0


def test_revoked_likes_count_in_reach_and_are_penalised() -> None:
    records = [like(1), like(2), like(3), like(4, revoked=True)]
    score = quality_of("video", 1, records, k=0)
    assert (score.reach, score.likes, score.revoked, score.revoked_share) == (4, 3, 1, 0.25)
    assert score.score == 56.25  # 100 x 3/4 x (1 - 1/4)


def test_held_likes_do_not_count_yet() -> None:
    score = quality_of("video", 1, [like(1), like(2, pending=True)], k=0)
    assert (score.score, score.pending) == (50.0, 1)


def test_one_account_cannot_lift_it_alone() -> None:
    spam = [("comment", 1, CREATOR, NOON + timedelta(seconds=n), False, False) for n in range(50)]
    score = quality_of("video", 1, spam, k=0)
    assert score.weighted_points is not None
    assert score.weighted_points < 3 * 2.72


def test_the_creators_own_interactions_are_left_out() -> None:
    score = quality_of("video", 1, [like(CREATOR), like(1)], k=0)
    assert (score.reach, score.score) == (1, 100.0)


def test_an_audience_below_k_is_suppressed() -> None:
    score = quality_of("campaign", 4, [like(1), like(2)], k=3)
    assert score.suppressed
    assert score.score is None
    assert score.reach is None
    assert not quality_of("campaign", 4, [like(1), like(2), like(3)], k=3).suppressed


def test_nothing_to_score_is_zero() -> None:
    score = quality_of("video", 1, [], k=0)
    assert (score.score, score.reach) == (0.0, 0)


@pytest.fixture
def world(backend_settings: Settings) -> Iterator[World]:
    platform = Platform(backend_settings).open()
    try:
        yield World(platform)
    finally:
        platform.close()


def test_video_scores_count_organic_and_campaign_scores_their_own_likes(world: World) -> None:
    creator = world.account("creator")
    video = world.video(creator)
    brand, stranger = world.account("brand"), world.account("brand")
    campaign_id = make_campaign(world.platform, brand)
    organic = [world.account() for _ in range(3)]
    for fan in organic:
        world.like(fan, video, day(1))
    bought = [world.account() for _ in range(2)]
    fake = world.like(bought[0], video, day(1), source=f"campaign:{campaign_id}")
    world.like(bought[1], video, day(1), source=f"campaign:{campaign_id}")
    world.revoke(fake)

    by_video = world.platform.quality.video(video)
    assert (by_video.reach, by_video.likes, by_video.score) == (3, 3, 100.0)

    service = QualityService(world.platform.db, privacy_k=2)
    by_campaign = service.campaign(campaign_id, brand)
    assert (by_campaign.reach, by_campaign.likes, by_campaign.revoked) == (2, 1, 1)
    assert by_campaign.score == 25.0  # 100 x 1/2 x (1 - 1/2)
    with pytest.raises(CampaignNotFound, match=f"campaign {campaign_id} does not exist"):
        service.campaign(campaign_id, stranger)  # another brand's campaign: as if absent
    assert QualityService(world.platform.db, privacy_k=3).campaign(campaign_id, brand).suppressed
    assert not QualityService(world.platform.db, privacy_k=3).campaign(campaign_id).suppressed


def test_unknown_videos_and_campaigns_are_not_found(world: World) -> None:
    with pytest.raises(VideoNotFound):
        world.platform.quality.video(12345)
    with pytest.raises(CampaignNotFound, match="campaign 777 does not exist"):
        world.platform.quality.campaign(777)


def test_several_videos_score_as_each_alone(world: World) -> None:
    creator = world.account("creator")
    quiet, busy = world.video(creator), world.video(creator)
    fans = [world.account() for _ in range(3)]
    for fan in fans:
        world.like(fan, busy, day(1))
    world.like(fans[0], quiet, day(1))
    scores = world.platform.quality.videos([busy, quiet])
    assert scores == [world.platform.quality.video(busy), world.platform.quality.video(quiet)]
    assert [s.reach for s in scores] == [3, 1]
    with pytest.raises(VideoNotFound):
        world.platform.quality.videos([busy, 12345])
