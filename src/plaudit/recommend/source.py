"""Read what the recommender learns from out of the platform's store.

Training uses active likes (not unliked) that authenticity has not revoked (a fake like must
not teach the feed) of accounts that allow personalisation (an account that withdrew
consent is neither profiled for itself nor used as a signal for others). Videos come with
their creator and category so the engine can re-rank by category and suggest creators.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Select, case, exists, func, select
from sqlalchemy.engine import Connection

from plaudit.catalog.categories import CATEGORIES
from plaudit.errors import AccountNotFound
from plaudit.recommend.feedback import Feedback, ItemCategories
from plaudit.store import Database, tables

__all__ = [
    "CATEGORY_INDEX",
    "AccountState",
    "Catalogue",
    "read_account_state",
    "read_catalogue",
    "read_likes",
    "read_popular_creators",
    "read_popular_videos",
]

CATEGORY_INDEX = {category.id: number for number, category in enumerate(CATEGORIES)}
_CHUNK = 200_000


@dataclass(frozen=True)
class Catalogue:
    """Every video's creator and category number, sorted by video id."""

    video_ids: NDArray[np.int64]
    creators: NDArray[np.int64]
    categories: NDArray[np.int16]

    def item_categories(self) -> ItemCategories:
        return ItemCategories(self.video_ids, self.categories)

    def creators_of(self, video_ids: NDArray[np.int64]) -> NDArray[np.int64]:
        """Creator account ids of `video_ids` (each must be in the catalogue)."""
        return self.creators[np.searchsorted(self.video_ids, video_ids)]


def _epoch(conn: Connection, column: Any) -> ColumnElement[Any]:
    if conn.dialect.name == "sqlite":
        return (func.julianday(column) - 2440587.5) * 86400.0
    return func.extract("epoch", column)


def _rows(conn: Connection, stmt: Select[Any], width: int) -> NDArray[np.float64]:
    """All rows of a numeric query as one float64 matrix, streamed in chunks."""
    result = conn.execution_options(stream_results=True).execute(stmt)
    parts = [
        np.array([tuple(row) for row in part], dtype=np.float64).reshape(-1, width)
        for part in result.partitions(_CHUNK)
    ]
    return np.concatenate(parts) if parts else np.empty((0, width))


def _not_revoked() -> ColumnElement[bool]:
    r = tables.revocations
    revoked = exists().where(r.c.like_id == tables.likes.c.id, r.c.reinstated_at.is_(None))
    return ~revoked


def _consenting() -> ColumnElement[bool]:
    p = tables.profiles
    withdrawn = exists().where(
        p.c.account_id == tables.likes.c.account_id, p.c.consent_personalisation.is_(False)
    )
    return ~withdrawn


def read_likes(db: Database) -> Feedback:
    """Active, unrevoked likes of accounts that allow personalisation, as (account, video,
    seconds) pairs in like order."""
    likes = tables.likes
    with db.read() as conn:
        stmt = (
            select(likes.c.account_id, likes.c.video_id, _epoch(conn, likes.c.created_at))
            .where(likes.c.removed_at.is_(None), _not_revoked(), _consenting())
            .order_by(likes.c.id)
        )
        rows = _rows(conn, stmt, 3)
    return Feedback(rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64), rows[:, 2])


def read_catalogue(db: Database) -> Catalogue:
    """Every video's creator and category."""
    videos = tables.videos
    category = case(CATEGORY_INDEX, value=videos.c.category, else_=-1)
    with db.read() as conn:
        stmt = select(videos.c.id, videos.c.creator_id, category).order_by(videos.c.id)
        rows = _rows(conn, stmt, 3)
    return Catalogue(
        rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64), rows[:, 2].astype(np.int16)
    )


@dataclass(frozen=True)
class AccountState:
    """What a request needs to know about the account right now."""

    consent: bool
    liked: NDArray[np.int64]
    followed: NDArray[np.int64]


def read_account_state(db: Database, account_id: int) -> AccountState:
    """Consent, active likes and active follows of an account; AccountNotFound if none."""
    t = tables
    with db.read() as conn:
        if (
            conn.execute(select(t.accounts.c.id).where(t.accounts.c.id == account_id)).first()
            is None
        ):
            raise AccountNotFound(f"account {account_id} does not exist")
        consent = conn.execute(
            select(t.profiles.c.consent_personalisation).where(
                t.profiles.c.account_id == account_id
            )
        ).scalar()
        liked = conn.execute(
            select(t.likes.c.video_id).where(
                t.likes.c.account_id == account_id, t.likes.c.removed_at.is_(None)
            )
        ).scalars()
        liked_ids = np.fromiter(liked, dtype=np.int64)
        followed = conn.execute(
            select(t.follows.c.creator_id).where(
                t.follows.c.follower_id == account_id, t.follows.c.removed_at.is_(None)
            )
        ).scalars()
        followed_ids = np.fromiter(followed, dtype=np.int64)
    return AccountState(consent is None or bool(consent), liked_ids, followed_ids)


def read_popular_videos(db: Database, limit: int) -> list[tuple[int, int, str, int]]:
    """The most-liked videos by their live counters, revoked and held likes not counted:
    (video, creator, category, likes)."""
    v, c = tables.videos, tables.video_counters
    counted = c.c.likes - c.c.revoked - c.c.pending
    stmt = (
        select(v.c.id, v.c.creator_id, v.c.category, counted)
        .select_from(v.join(c, c.c.video_id == v.c.id))
        .order_by(counted.desc(), v.c.id)
        .limit(limit)
    )
    with db.read() as conn:
        return [(int(r[0]), int(r[1]), str(r[2]), int(r[3])) for r in conn.execute(stmt)]


def read_popular_creators(db: Database, limit: int) -> list[tuple[int, int]]:
    """The creators with the most likes by their live counters: (creator, likes)."""
    c = tables.creator_counters
    stmt = select(c.c.creator_id, c.c.likes).order_by(c.c.likes.desc(), c.c.creator_id)
    with db.read() as conn:
        return [(int(r[0]), int(r[1])) for r in conn.execute(stmt.limit(limit))]
