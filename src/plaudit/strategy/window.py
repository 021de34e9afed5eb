"""The creator dashboard's window: the last N days (30 by default) as the anchors' first page
shows it: likes and their authentic rate, followers gained and lost, likes per day, and the
videos with the most authentic likes in the window.

Computed live from the rows (not stored like the daily insights), so the figures always end
now. Days are China days (UTC+8), as people read them; a like counts as authentic when it
stands, is not revoked and is not held.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from plaudit.strategy.activity import CHINA

__all__ = ["DEFAULT_DAYS", "DayLikes", "VideoWindow", "Window", "last_days"]

DEFAULT_DAYS = 30
TOP_VIDEOS = 10


@dataclass(frozen=True)
class DayLikes:
    day: date  # China day
    likes: int
    authentic: int
    revoked: int


@dataclass(frozen=True)
class VideoWindow:
    video_id: int
    title: str
    likes: int
    authentic: int
    revoked: int


@dataclass(frozen=True)
class Window:
    days: int
    since: datetime
    until: datetime
    likes: int
    authentic: int
    revoked: int
    pending: int
    gained: int
    lost: int
    per_day: list[DayLikes]
    top: list[VideoWindow]

    @property
    def authentic_rate(self) -> float:
        return self.authentic / self.likes if self.likes else 0.0


def _china_day(at: datetime) -> date:
    return (at + CHINA).date()


def last_days(
    likes: Sequence[Any],
    follows: Sequence[Any],
    titles: dict[int, str],
    now: datetime,
    days: int = DEFAULT_DAYS,
) -> Window:
    """The window ending at `now` from `likes` (video_id, created_at, revoked, pending, since
    the window's start) and every follow of the creator (follower_id, created_at, removed_at)."""
    since = now - timedelta(days=days)
    per_video: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])  # likes, authentic, revoked
    per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    pending = 0
    for row in likes:
        if row.created_at < since:
            continue
        authentic = not row.revoked and not row.pending
        pending += bool(row.pending and not row.revoked)
        for tally in (per_video[int(row.video_id)], per_day[_china_day(row.created_at)]):
            tally[0] += 1
            tally[1] += authentic
            tally[2] += bool(row.revoked)
    first = _china_day(since)
    day_rows = [
        DayLikes(day, *per_day.get(day, [0, 0, 0]))
        for day in (first + timedelta(days=i) for i in range((_china_day(now) - first).days + 1))
    ]
    ranked = sorted(per_video.items(), key=lambda item: (-item[1][1], -item[1][0], item[0]))
    top = [VideoWindow(v, titles.get(v, ""), *tally) for v, tally in ranked[:TOP_VIDEOS]]
    return Window(
        days=days,
        since=since,
        until=now,
        likes=sum(d.likes for d in day_rows),
        authentic=sum(d.authentic for d in day_rows),
        revoked=sum(d.revoked for d in day_rows),
        pending=pending,
        gained=sum(since <= f.created_at <= now for f in follows),
        lost=sum(f.removed_at is not None and since <= f.removed_at <= now for f in follows),
        per_day=day_rows,
        top=top,
    )
