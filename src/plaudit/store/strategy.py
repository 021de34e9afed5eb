"""SQL of the strategy engine: the interactions a creator's insights and plan are made of, the
stored plans, and the record of the assistant's approved actions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.engine import Connection, Row

from plaudit.store.sequence import inserted_id
from plaudit.store.tables import (
    accounts,
    assistant_actions,
    comments,
    creator_plans,
    follows,
    holds,
    likes,
    revocations,
    shares,
    video_counters,
    videos,
)

__all__ = [
    "account_names",
    "action_of",
    "actions_of",
    "comments_on",
    "creator_ids",
    "finish_action",
    "follows_of",
    "insert_action",
    "likes_on",
    "likes_with_status",
    "plan_of",
    "retry_action",
    "settled_targets",
    "shares_on",
    "store_plan",
    "videos_of",
]

_CHUNK = 5000


def creator_ids(conn: Connection) -> list[int]:
    stmt = select(accounts.c.id).where(accounts.c.kind == "creator").order_by(accounts.c.id)
    return [int(i) for i in conn.execute(stmt).scalars()]


def videos_of(conn: Connection, creator_id: int) -> Sequence[Any]:
    stmt = (
        select(
            videos.c.id,
            videos.c.title,
            videos.c.category,
            videos.c.published_at,
            video_counters.c.likes,
            video_counters.c.comments,
        )
        .join(video_counters, video_counters.c.video_id == videos.c.id)
        .where(videos.c.creator_id == creator_id)
        .order_by(videos.c.id)
    )
    return conn.execute(stmt).all()


def follows_of(conn: Connection, creator_id: int) -> Sequence[Any]:
    """Every follow of the creator, current and ended: (follower_id, created_at, removed_at)."""
    f = follows
    stmt = select(f.c.follower_id, f.c.created_at, f.c.removed_at).where(
        f.c.creator_id == creator_id
    )
    return conn.execute(stmt).all()


def likes_on(conn: Connection, creator_id: int, since: datetime) -> Sequence[Any]:
    """Likes given since `since` on the creator's videos: (account_id, video_id, created_at)."""
    stmt = (
        select(likes.c.account_id, likes.c.video_id, likes.c.created_at)
        .join(videos, videos.c.id == likes.c.video_id)
        .where(videos.c.creator_id == creator_id, likes.c.created_at >= since)
    )
    return conn.execute(stmt).all()


def likes_with_status(conn: Connection, creator_id: int, since: datetime) -> Sequence[Any]:
    """Standing likes given since `since` on the creator's videos, with their status:
    (video_id, created_at, revoked, pending); an unliked like is not counted."""
    revoked = exists().where(
        revocations.c.like_id == likes.c.id, revocations.c.reinstated_at.is_(None)
    )
    pending = exists().where(holds.c.like_id == likes.c.id, holds.c.released_at.is_(None))
    stmt = (
        select(
            likes.c.video_id, likes.c.created_at, revoked.label("revoked"), pending.label("pending")
        )
        .join(videos, videos.c.id == likes.c.video_id)
        .where(
            videos.c.creator_id == creator_id,
            likes.c.created_at >= since,
            likes.c.removed_at.is_(None),
        )
    )
    return conn.execute(stmt).all()


def comments_on(conn: Connection, creator_id: int, since: datetime) -> Sequence[Any]:
    """Comments since `since` on the creator's videos, by others, newest first."""
    stmt = (
        select(
            comments.c.id,
            comments.c.account_id,
            comments.c.video_id,
            comments.c.body,
            comments.c.created_at,
            videos.c.title,
        )
        .join(videos, videos.c.id == comments.c.video_id)
        .where(
            videos.c.creator_id == creator_id,
            comments.c.created_at >= since,
            comments.c.account_id != creator_id,
        )
        .order_by(comments.c.created_at.desc(), comments.c.id.desc())
    )
    return conn.execute(stmt).all()


def shares_on(conn: Connection, creator_id: int, since: datetime) -> Sequence[Any]:
    stmt = (
        select(shares.c.account_id, shares.c.video_id, shares.c.created_at)
        .join(videos, videos.c.id == shares.c.video_id)
        .where(videos.c.creator_id == creator_id, shares.c.created_at >= since)
    )
    return conn.execute(stmt).all()


def account_names(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """id -> (handle, display name) for the given accounts."""
    found: dict[int, tuple[str, str]] = {}
    unique = sorted(set(ids))
    for i in range(0, len(unique), _CHUNK):
        stmt = select(accounts.c.id, accounts.c.handle, accounts.c.display_name).where(
            accounts.c.id.in_(unique[i : i + _CHUNK])
        )
        found.update((int(r.id), (r.handle, r.display_name)) for r in conn.execute(stmt))
    return found


def store_plan(conn: Connection, creator_id: int, at: datetime, insights: str, plan: str) -> None:
    """Replace the creator's stored insights and plan (delete + insert: both engines)."""
    conn.execute(delete(creator_plans).where(creator_plans.c.creator_id == creator_id))
    conn.execute(
        insert(creator_plans).values(
            creator_id=creator_id, computed_at=at, insights=insights, plan=plan
        )
    )


def plan_of(conn: Connection, creator_id: int) -> Row[Any] | None:
    stmt = select(creator_plans).where(creator_plans.c.creator_id == creator_id)
    return conn.execute(stmt).first()


def action_of(conn: Connection, creator_id: int, kind: str, target_id: int) -> Row[Any] | None:
    a = assistant_actions
    stmt = select(a).where(
        a.c.creator_id == creator_id, a.c.kind == kind, a.c.target_id == target_id
    )
    return conn.execute(stmt).first()


def actions_of(conn: Connection, creator_id: int, limit: int) -> Sequence[Any]:
    a = assistant_actions
    stmt = select(a).where(a.c.creator_id == creator_id).order_by(a.c.id.desc()).limit(limit)
    return conn.execute(stmt).all()


def insert_action(conn: Connection, values: dict[str, Any]) -> int:
    return inserted_id(conn.execute(insert(assistant_actions).values(values)))


def retry_action(conn: Connection, action_id: int, values: dict[str, Any]) -> None:
    a = assistant_actions
    conn.execute(update(a).where(a.c.id == action_id).values(values))


def finish_action(
    conn: Connection,
    action_id: int,
    outcome: str,
    at: datetime,
    detail: str | None,
    comment_id: int | None,
) -> None:
    a = assistant_actions
    conn.execute(
        update(a)
        .where(a.c.id == action_id)
        .values(outcome=outcome, executed_at=at, detail=detail, comment_id=comment_id)
    )


def settled_targets(conn: Connection, creator_id: int) -> set[tuple[str, int]]:
    """(kind, target) of the creator's actions that ran or are running: not to be offered again."""
    a = assistant_actions
    stmt = select(a.c.kind, a.c.target_id).where(
        a.c.creator_id == creator_id, a.c.outcome.in_(("approved", "executed"))
    )
    return {(str(kind), int(target)) for kind, target in conn.execute(stmt)}
