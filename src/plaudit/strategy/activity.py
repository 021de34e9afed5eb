"""What a creator's insights and plan are computed from: one read of their recent activity.

Everything downstream is pure computation over this snapshot, so insights and plans are
reproducible from the rows and testable without a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from plaudit.store import strategy as sql

__all__ = ["CHINA", "LOOKBACK", "Activity", "china_hour", "load_activity"]

LOOKBACK = timedelta(days=90)
CONVERSION_WINDOW = timedelta(days=7)
CHINA = timedelta(hours=8)  # hours are shown in China time (UTC+8), as in the persona tags


def china_hour(at: datetime) -> int:
    return (at + CHINA).hour


@dataclass
class Activity:
    """A creator's videos, all follows, and likes/comments/shares since `since`."""

    creator_id: int
    now: datetime
    since: datetime
    videos: list[Any]
    follows: list[Any]
    likes: list[Any]
    comments: list[Any]
    shares: list[Any]
    names: dict[int, tuple[str, str]] = field(default_factory=dict)

    def followers(self) -> set[int]:
        """Accounts following the creator now."""
        return {int(f.follower_id) for f in self.follows if f.removed_at is None}

    def follow_started(self) -> dict[int, datetime]:
        """Current followers -> when their current follow started."""
        return {int(f.follower_id): f.created_at for f in self.follows if f.removed_at is None}


def load_activity(conn: Connection, creator_id: int, now: datetime) -> Activity:
    """One consistent read of everything the insights and the plan need."""
    since = now - LOOKBACK - CONVERSION_WINDOW
    activity = Activity(
        creator_id,
        now,
        since,
        list(sql.videos_of(conn, creator_id)),
        list(sql.follows_of(conn, creator_id)),
        list(sql.likes_on(conn, creator_id, since)),
        list(sql.comments_on(conn, creator_id, since)),
        list(sql.shares_on(conn, creator_id, since)),
    )
    return activity
