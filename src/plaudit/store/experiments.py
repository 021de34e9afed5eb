"""SQL of experiments: definitions, exposures and the per-unit counts their metrics are made of."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, insert, select
from sqlalchemy.engine import Connection, Row

from plaudit.store.sequence import inserted_id
from plaudit.store.tables import (
    comments,
    experiment_exposures,
    experiments,
    follows,
    holds,
    likes,
    revocations,
    videos,
)

__all__ = [
    "exposure_of",
    "exposures",
    "get_experiment",
    "insert_experiment",
    "insert_exposure",
    "list_experiments",
    "metric_counts",
]

_CHUNK = 5000  # unit ids per IN list: well under SQLite's and PostgreSQL's parameter limits


def insert_experiment(conn: Connection, values: dict[str, Any]) -> int:
    return inserted_id(conn.execute(insert(experiments).values(values)))


def get_experiment(conn: Connection, experiment_id: int) -> Row[Any] | None:
    return conn.execute(select(experiments).where(experiments.c.id == experiment_id)).first()


def list_experiments(conn: Connection, owner_id: int | None) -> Sequence[Row[Any]]:
    stmt = select(experiments).order_by(experiments.c.id)
    if owner_id is not None:
        stmt = stmt.where(experiments.c.owner_id == owner_id)
    return conn.execute(stmt).all()


def exposure_of(conn: Connection, experiment_id: int, unit_id: int) -> Row[Any] | None:
    e = experiment_exposures
    stmt = select(e).where(e.c.experiment_id == experiment_id, e.c.unit_id == unit_id)
    return conn.execute(stmt).first()


def insert_exposure(
    conn: Connection, experiment_id: int, unit_id: int, arm: str, at: datetime
) -> None:
    values = {"experiment_id": experiment_id, "unit_id": unit_id, "arm": arm, "exposed_at": at}
    conn.execute(insert(experiment_exposures).values(values))


def exposures(conn: Connection, experiment_id: int) -> list[tuple[int, str]]:
    e = experiment_exposures
    stmt = select(e.c.unit_id, e.c.arm).where(e.c.experiment_id == experiment_id)
    return [(int(unit), str(arm)) for unit, arm in conn.execute(stmt.order_by(e.c.unit_id))]


def metric_counts(
    conn: Connection, metric: str, unit_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, int]:
    """Per unit, the count `metric` is made of in [start, end); units without any are absent."""
    counts: dict[int, int] = {}
    for chunk in _chunks(unit_ids):
        stmt = _METRIC_QUERIES[metric](chunk, start, end)
        counts.update((int(unit), int(n)) for unit, n in conn.execute(stmt))
    return counts


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield list(ids[i : i + _CHUNK])


def _received_likes(units: list[int], start: datetime, end: datetime) -> Select[Any]:
    return (
        select(videos.c.creator_id, func.count())
        .select_from(likes.join(videos, likes.c.video_id == videos.c.id))
        .where(
            videos.c.creator_id.in_(units),
            likes.c.created_at >= start,
            likes.c.created_at < end,
            likes.c.removed_at.is_(None),
        )
        .group_by(videos.c.creator_id)
    )


def _not_revoked_or_held() -> ColumnElement[bool]:
    """The like is authentic: no revocation in force, no hold pending (docs/authenticity.md)."""
    revoked = exists().where(
        revocations.c.like_id == likes.c.id, revocations.c.reinstated_at.is_(None)
    )
    held = exists().where(holds.c.like_id == likes.c.id, holds.c.released_at.is_(None))
    return and_(~revoked, ~held)


def _authentic_likes(units: list[int], start: datetime, end: datetime) -> Select[Any]:
    return _received_likes(units, start, end).where(_not_revoked_or_held())


def _received_comments(units: list[int], start: datetime, end: datetime) -> Select[Any]:
    return (
        select(videos.c.creator_id, func.count())
        .select_from(comments.join(videos, comments.c.video_id == videos.c.id))
        .where(
            videos.c.creator_id.in_(units),
            comments.c.created_at >= start,
            comments.c.created_at < end,
        )
        .group_by(videos.c.creator_id)
    )


def _new_followers(units: list[int], start: datetime, end: datetime) -> Select[Any]:
    return (
        select(follows.c.creator_id, func.count())
        .where(
            follows.c.creator_id.in_(units),
            follows.c.created_at >= start,
            follows.c.created_at < end,
        )
        .group_by(follows.c.creator_id)
    )


def _given_likes(units: list[int], start: datetime, end: datetime) -> Select[Any]:
    return (
        select(likes.c.account_id, func.count())
        .where(
            likes.c.account_id.in_(units),
            likes.c.created_at >= start,
            likes.c.created_at < end,
            likes.c.removed_at.is_(None),
        )
        .group_by(likes.c.account_id)
    )


def _given_comments(units: list[int], start: datetime, end: datetime) -> Select[Any]:
    return (
        select(comments.c.account_id, func.count())
        .where(
            comments.c.account_id.in_(units),
            comments.c.created_at >= start,
            comments.c.created_at < end,
        )
        .group_by(comments.c.account_id)
    )


_METRIC_QUERIES = {
    "likes_received": _received_likes,
    "authentic_likes_received": _authentic_likes,
    "comments_received": _received_comments,
    "followers_gained": _new_followers,
    "likes_given": _given_likes,
    "comments_given": _given_comments,
}
