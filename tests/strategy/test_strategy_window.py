"""The dashboard's 30-day window: the pure computation on made-up rows, and the service over
a real store on both engines (standing likes only, revoked ones counted apart, follows gained
and lost inside the window)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

import pytest
from sqlalchemy.engine import Connection

from plaudit.config import Settings
from plaudit.errors import InvalidInput
from plaudit.platform import Platform
from plaudit.strategy.window import last_days

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


class LikeRow(NamedTuple):
    video_id: int
    created_at: datetime
    revoked: bool
    pending: bool


class FollowRow(NamedTuple):
    follower_id: int
    created_at: datetime
    removed_at: datetime | None


def test_only_the_last_30_days_count_with_their_status() -> None:
    likes = [
        LikeRow(1, NOW - timedelta(days=31), False, False),  # before the window
        LikeRow(1, NOW - timedelta(days=29), False, False),
        LikeRow(1, NOW - timedelta(days=1), True, False),  # revoked
        LikeRow(2, NOW - timedelta(hours=2), False, True),  # held: pending
        LikeRow(2, NOW - timedelta(hours=1), False, False),
        LikeRow(2, NOW - timedelta(minutes=5), False, False),
    ]
    follows = [
        FollowRow(10, NOW - timedelta(days=40), NOW - timedelta(days=2)),  # lost inside
        FollowRow(11, NOW - timedelta(days=3), None),  # gained inside
        FollowRow(12, NOW - timedelta(days=3), NOW - timedelta(days=1)),  # both
        FollowRow(13, NOW - timedelta(days=60), NOW - timedelta(days=45)),  # outside
    ]
    window = last_days(likes, follows, {1: "one", 2: "two"}, NOW)
    assert (window.likes, window.authentic, window.revoked, window.pending) == (5, 3, 1, 1)
    assert window.authentic_rate == pytest.approx(3 / 5)
    assert (window.gained, window.lost) == (2, 2)
    assert [(v.video_id, v.authentic) for v in window.top] == [(2, 2), (1, 1)]
    assert window.top[0].title == "two"
    # one row per China day from the window's start to today, every day present
    assert window.per_day[0].day == date(2026, 11, 4)
    assert window.per_day[-1].day == date(2026, 12, 4)
    assert len(window.per_day) == 31
    assert sum(d.likes for d in window.per_day) == window.likes


def test_days_are_china_days() -> None:
    late = datetime(2026, 12, 3, 17, 30, tzinfo=UTC)  # 01:30 on 4 December in Beijing
    window = last_days([LikeRow(1, late, False, False)], [], {}, NOW, days=7)
    [day] = [d for d in window.per_day if d.likes]
    assert day.day == date(2026, 12, 4)


@pytest.fixture
def platform(backend_settings: Settings) -> Iterator[Platform]:
    opened = Platform(backend_settings).open()
    try:
        yield opened
    finally:
        opened.close()


def test_the_service_reads_standing_likes_and_revocations(platform: Platform) -> None:
    from plaudit.store import authenticity as authenticity_sql
    from plaudit.store import utcnow

    creator = platform.accounts.create("maker", "creator")[0].id
    video = platform.videos.publish(creator, "茶 tea", "food").id
    fans = [platform.accounts.create(f"fan{i}", "fan")[0].id for i in range(4)]
    for fan in fans:
        platform.interactions.like_sync(fan, video)
        platform.interactions.follow_sync(fan, creator)
    platform.interactions.unlike_sync(fans[0], video)  # an unliked like does not stand
    platform.interactions.unfollow_sync(fans[0], creator)
    revoked = platform.interactions.likes_of(fans[1], None, 1)[0]

    def revoke(conn: Connection) -> None:
        verdict = authenticity_sql.insert_verdict(conn, None, "operator", 1.0, "{}", utcnow())
        authenticity_sql.revoke(conn, verdict, [(revoked.id, fans[1], video)], utcnow())

    platform.db.write(revoke)
    window = platform.strategy.last_days(creator)
    assert (window.likes, window.authentic, window.revoked) == (3, 2, 1)
    assert (window.gained, window.lost) == (4, 1)
    assert [(v.video_id, v.likes, v.authentic) for v in window.top] == [(video, 3, 2)]
    with pytest.raises(InvalidInput, match="days must be from 1 to 366"):
        platform.strategy.last_days(creator, days=0)
