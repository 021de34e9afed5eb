"""Videos and their public counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Row

from plaudit.catalog.categories import CATEGORY_IDS
from plaudit.errors import AccountNotFound, Forbidden, InvalidInput, VideoNotFound
from plaudit.store import Database, utcnow
from plaudit.store import catalog as sql

__all__ = ["Video", "VideoService", "validate_category"]

MAX_TITLE_CHARS = 200


@dataclass(frozen=True)
class Video:
    """A video with its live counters: `likes` is every active like (the total), of which
    `revoked` were revoked by a verdict, `pending` are held by a real-time rule and
    `incentivised` came from a campaign (`campaign:<id>` source, disclosed), of which
    `revoked_incentivised` were also revoked."""

    id: int
    creator_id: int
    title: str
    category: str
    duration_s: int
    published_at: datetime
    likes: int
    comments: int
    shares: int
    revoked: int = 0
    pending: int = 0
    incentivised: int = 0
    revoked_incentivised: int = 0

    @property
    def authentic(self) -> int:
        """Active likes neither revoked by a verdict nor pending behind a hold."""
        return self.likes - self.revoked - self.pending

    @property
    def organic(self) -> int:
        """Active likes neither incentivised by a campaign nor revoked by a verdict (a
        revoked like is fake, whatever its source)."""
        return self.likes - self.incentivised - (self.revoked - self.revoked_incentivised)


def _video(row: Row[Any]) -> Video:
    return Video(
        row.id,
        row.creator_id,
        row.title,
        row.category,
        row.duration_s,
        row.published_at,
        row.likes,
        row.comments,
        row.shares,
        row.revoked,
        row.pending,
        row.incentivised,
        row.revoked_incentivised,
    )


def validate_category(category: str) -> str:
    if category not in CATEGORY_IDS:
        raise InvalidInput(
            f"category {category!r} is not known; use one of {', '.join(sorted(CATEGORY_IDS))}",
            field="category",
        )
    return category


def _validate_title(title: str) -> str:
    text = title.strip()
    if not text or len(text) > MAX_TITLE_CHARS:
        raise InvalidInput(f"title must have 1 to {MAX_TITLE_CHARS} characters", field="title")
    return text


class VideoService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def publish(
        self,
        creator_id: int,
        title: str,
        category: str,
        duration_s: int = 0,
        published_at: datetime | None = None,
    ) -> Video:
        """Publish a video for a creator account; counters start at zero."""
        title = _validate_title(title)
        validate_category(category)
        if duration_s < 0:
            raise InvalidInput("duration_s must be 0 or more seconds", field="duration_s")
        when = published_at or utcnow()

        def op(conn: Connection) -> int:
            creator = sql.get_account(conn, creator_id)
            if creator is None:
                raise AccountNotFound(f"account {creator_id} does not exist")
            if creator.kind != "creator":
                raise Forbidden(
                    f"account {creator_id} is a {creator.kind}; only creator "
                    "accounts publish videos"
                )
            return sql.insert_video(
                conn,
                {
                    "creator_id": creator_id,
                    "title": title,
                    "category": category,
                    "duration_s": duration_s,
                    "published_at": when,
                },
            )

        video_id = self._db.write(op)
        return Video(video_id, creator_id, title, category, duration_s, when, 0, 0, 0)

    def get(self, video_id: int) -> Video:
        with self._db.read() as conn:
            row = sql.get_video(conn, video_id)
        if row is None:
            raise VideoNotFound(f"video {video_id} does not exist", video_id=video_id)
        return _video(row)

    def page(
        self, after_id: int | None, limit: int, creator_id: int | None = None
    ) -> Sequence[Video]:
        with self._db.read() as conn:
            rows = sql.list_videos(conn, after_id, limit, creator_id)
        return [_video(row) for row in rows]
