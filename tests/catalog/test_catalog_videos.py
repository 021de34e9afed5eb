"""Videos: who may publish, what a video must have, counters from zero, paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from plaudit.catalog import CATEGORIES, CATEGORY_IDS
from plaudit.catalog.service import MAX_TITLE_CHARS, Video, validate_category
from plaudit.errors import AccountNotFound, Forbidden, InvalidInput, VideoNotFound
from plaudit.platform import Platform
from plaudit.store import tables


def creator(platform: Platform, handle: str = "maker") -> int:
    return platform.accounts.create(handle, "creator")[0].id


def videos_counter(platform: Platform, creator_id: int) -> int:
    cc = tables.creator_counters.c
    with platform.db.read() as conn:
        return int(conn.execute(select(cc.videos).where(cc.creator_id == creator_id)).scalar_one())


def test_categories_have_unique_ids_and_both_names() -> None:
    ids = [c.id for c in CATEGORIES]
    assert len(ids) == len(set(ids)) == len(CATEGORY_IDS)
    assert all(c.en.strip() and c.zh.strip() for c in CATEGORIES)


@pytest.mark.parametrize("category", sorted(CATEGORY_IDS))
def test_known_categories_are_accepted(category: str) -> None:
    assert validate_category(category) == category


@pytest.mark.parametrize("category", ["", "Food", "cooking", "food "])
def test_unknown_categories_are_rejected(category: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_category(category)
    assert caught.value.extensions == {"field": "category"}


def test_a_creator_publishes_a_video_with_zero_counts(platform: Platform) -> None:
    maker = creator(platform)
    video = platform.videos.publish(maker, "  Hotpot night  ", "food", duration_s=42)
    assert (video.creator_id, video.title, video.category, video.duration_s) == (
        maker,
        "Hotpot night",
        "food",
        42,
    )
    assert (video.likes, video.comments, video.shares) == (0, 0, 0)
    assert platform.videos.get(video.id) == video
    assert videos_counter(platform, maker) == 1


def test_published_at_keeps_the_instant_in_utc(platform: Platform) -> None:
    maker = creator(platform)
    when = datetime(2024, 2, 10, 20, 0, tzinfo=timezone(timedelta(hours=8)))
    video = platform.videos.publish(maker, "Spring festival", "culture", published_at=when)
    stored = platform.videos.get(video.id).published_at
    assert stored == when
    assert stored.utcoffset() == timedelta(0)


@pytest.mark.parametrize("kind", ["fan", "brand", "gateway"])
def test_only_creators_publish(platform: Platform, kind: str) -> None:
    account, _ = platform.accounts.create("someone", kind)
    with pytest.raises(Forbidden):
        platform.videos.publish(account.id, "clip", "food")
    assert platform.videos.page(None, 10) == []


def test_a_missing_creator_is_not_found(platform: Platform) -> None:
    with pytest.raises(AccountNotFound):
        platform.videos.publish(999, "clip", "food")


@pytest.mark.parametrize(
    ("title", "category", "duration_s", "field"),
    [
        ("", "food", 0, "title"),
        ("   ", "food", 0, "title"),
        ("x" * (MAX_TITLE_CHARS + 1), "food", 0, "title"),
        ("clip", "cooking", 0, "category"),
        ("clip", "food", -1, "duration_s"),
    ],
)
def test_invalid_videos_are_refused_and_not_stored(
    platform: Platform, title: str, category: str, duration_s: int, field: str
) -> None:
    maker = creator(platform)
    with pytest.raises(InvalidInput) as caught:
        platform.videos.publish(maker, title, category, duration_s)
    assert caught.value.extensions == {"field": field}
    assert platform.videos.page(None, 10) == []
    assert videos_counter(platform, maker) == 0


def test_a_title_of_exactly_the_limit_is_fine(platform: Platform) -> None:
    video = platform.videos.publish(creator(platform), "y" * MAX_TITLE_CHARS, "food")
    assert len(video.title) == MAX_TITLE_CHARS


def test_get_of_a_missing_video_is_not_found(platform: Platform) -> None:
    with pytest.raises(VideoNotFound) as caught:
        platform.videos.get(31337)
    assert caught.value.extensions == {"video_id": 31337}


def test_pages_follow_id_order_and_filter_by_creator(platform: Platform) -> None:
    first, second = creator(platform, "first"), creator(platform, "second")
    published = [
        platform.videos.publish(maker, f"clip {i}", "vlog", published_at=datetime.now(UTC))
        for i, maker in enumerate([first, second, first, first, second])
    ]
    ids = [v.id for v in published]
    page1 = platform.videos.page(None, 2)
    page2 = platform.videos.page(page1[-1].id, 2)
    page3 = platform.videos.page(page2[-1].id, 2)
    assert [v.id for v in [*page1, *page2, *page3]] == ids
    assert len(page3) == 1
    assert platform.videos.page(ids[-1], 2) == []
    assert [v.id for v in platform.videos.page(None, 10, creator_id=first)] == [
        ids[0],
        ids[2],
        ids[3],
    ]
    assert videos_counter(platform, first) == 3


def test_organic_leaves_out_incentivised_and_revoked_likes_counting_each_once() -> None:
    """10 likes: 4 from campaigns (1 of them revoked) and 2 more revoked: 4 organic."""
    video = Video(1, 1, "t", "food", 0, datetime.now(UTC), 10, 0, 0, 3, 0, 4, 1)
    assert video.organic == 10 - 4 - (3 - 1)
