"""The interactions service: like, unlike, comment, follow, unfollow, share, and their reads.

Each use case is one transaction (built by a `_..._op` function and run by the store's
writer): validate, write the interaction, update the counters, and give it its place in the
event sequence, all or nothing. `x()` runs it from a thread, `x_async()` from the event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Row

from plaudit.errors import (
    AccountNotFound,
    Forbidden,
    InvalidInput,
    NotFollowing,
    NotLiked,
    VideoNotFound,
)
from plaudit.interactions.bulk import DEFAULT_WINDOW, TimeWindow, ingest_op
from plaudit.interactions.bulk_model import BulkItem, ItemResult
from plaudit.interactions.model import (
    Comment,
    Device,
    Follow,
    Like,
    Share,
    validate_body,
    validate_channel,
    validate_source,
)
from plaudit.store import Database, utcnow
from plaudit.store import authenticity as holds_sql
from plaudit.store import catalog as catalog_sql
from plaudit.store import interactions as sql
from plaudit.store.writer import WriteFn

__all__ = ["NO_DEVICE", "FollowOutcome", "Hold", "InteractionService", "LikeOutcome"]

NO_DEVICE = Device()


@dataclass(frozen=True)
class Hold:
    """A real-time rule's decision to hold a like (plaudit.authenticity.rules): it is
    accepted and visible to its author, but pending in the counts until a scan decides."""

    rule: str
    risk: int


@dataclass(frozen=True)
class LikeOutcome:
    """The like, whether this call created it (False: it already existed), and its seq.

    `held` says whether the like is pending behind a hold (a new like held by a rule, or an
    existing like whose hold is still open).
    """

    like: Like
    created: bool
    seq: int | None
    held: bool = False


@dataclass(frozen=True)
class FollowOutcome:
    follow: Follow
    created: bool


def like_from_row(row: Row[Any]) -> Like:
    return Like(
        row.id,
        row.account_id,
        row.video_id,
        row.source,
        row.created_at,
        row.removed_at,
        row.ip_prefix,
        row.device_id,
    )


def _follow(row: Row[Any]) -> Follow:
    return Follow(
        row.id, row.follower_id, row.creator_id, row.source, row.created_at, row.removed_at
    )


def _creator_of(conn: Connection, video_id: int) -> int:
    creator_id = sql.video_creator(conn, video_id)
    if creator_id is None:
        raise VideoNotFound(f"video {video_id} does not exist", video_id=video_id)
    return creator_id


def _device_id(conn: Connection, device: Device, at: datetime) -> int | None:
    if not device.device_key:
        return None
    return sql.resolve_device(conn, device.device_key, device.user_agent or "", at)


def like_op(
    account_id: int,
    video_id: int,
    source: str,
    device: Device,
    at: datetime,
    hold: Hold | None = None,
) -> WriteFn[LikeOutcome]:
    """The transaction of one like; liking twice returns the existing like and counts once.

    A `hold` costs one more statement, only for the held like: an accepted like's
    transaction is exactly what it was.
    """

    def op(conn: Connection) -> LikeOutcome:
        outcome = _like(conn, account_id, video_id, source, device, at)
        if outcome.created and hold is not None:
            holds_sql.insert_hold(conn, outcome.like.id, video_id, hold.rule, hold.risk, at)
            return LikeOutcome(outcome.like, True, outcome.seq, held=True)
        return outcome

    return op


def _like(
    conn: Connection, account_id: int, video_id: int, source: str, device: Device, at: datetime
) -> LikeOutcome:
    if conn.dialect.name == "postgresql":
        return _like_postgres(conn, account_id, video_id, source, device, at)
    return _like_sqlite(conn, account_id, video_id, source, device, at)


def _like_sqlite(
    conn: Connection, account_id: int, video_id: int, source: str, device: Device, at: datetime
) -> LikeOutcome:
    creator_id = _creator_of(conn, video_id)
    if sql.active_like_id(conn, account_id, video_id) is not None:
        return _existing_like(conn, account_id, video_id)
    device_id = _device_id(conn, device, at)
    like_id = sql.insert_like(conn, account_id, video_id, source, device_id, device.ip_prefix, at)
    sql.bump_video(conn, video_id, "likes", 1)
    sql.bump_creator(conn, creator_id, "likes", 1)
    seq = sql.append_event(conn, "like", like_id)
    like = Like(like_id, account_id, video_id, source, at, None, device.ip_prefix, device_id)
    return LikeOutcome(like, created=True, seq=seq)


def _existing_like(conn: Connection, account_id: int, video_id: int) -> LikeOutcome:
    existing = sql.find_active_like(conn, account_id, video_id)
    assert existing is not None
    held = holds_sql.open_hold(conn, existing.id) is not None
    return LikeOutcome(like_from_row(existing), created=False, seq=None, held=held)


def _like_postgres(
    conn: Connection, account_id: int, video_id: int, source: str, device: Device, at: datetime
) -> LikeOutcome:
    """The same transaction as on SQLite, in one round trip (store.like_in_one_statement)."""
    device_id = _device_id(conn, device, at)
    creator_id, existing_id, like_id, seq = sql.like_in_one_statement(
        conn, account_id, video_id, source, device_id, device.ip_prefix, at
    )
    if creator_id is None:
        raise VideoNotFound(f"video {video_id} does not exist", video_id=video_id)
    if existing_id is not None:
        return _existing_like(conn, account_id, video_id)
    assert like_id is not None
    assert seq is not None
    like = Like(like_id, account_id, video_id, source, at, None, device.ip_prefix, device_id)
    return LikeOutcome(like, created=True, seq=seq)


def unlike_op(account_id: int, video_id: int, source: str, at: datetime) -> WriteFn[Like]:
    """The transaction of an unlike: the like row keeps its history with `removed_at` set."""

    def op(conn: Connection) -> Like:
        creator_id = _creator_of(conn, video_id)
        existing = sql.find_active_like(conn, account_id, video_id)
        if existing is None:
            raise NotLiked(
                f"account {account_id} has not liked video {video_id}, so there is nothing "
                "to unlike",
                video_id=video_id,
            )
        sql.mark_like_removed(conn, existing.id, at, source)
        holds_sql.release_removed_likes(conn, [(existing.id, video_id)], at)
        sql.bump_video(conn, video_id, "likes", -1)
        sql.bump_creator(conn, creator_id, "likes", -1)
        sql.append_event(conn, "unlike", existing.id)
        return Like(
            existing.id,
            account_id,
            video_id,
            existing.source,
            existing.created_at,
            at,
            existing.ip_prefix,
            existing.device_id,
        )

    return op


def comment_op(
    account_id: int, video_id: int, body: str, source: str, device: Device, at: datetime
) -> WriteFn[Comment]:
    def op(conn: Connection) -> Comment:
        _creator_of(conn, video_id)
        comment_id = sql.insert_comment(
            conn,
            {
                "account_id": account_id,
                "video_id": video_id,
                "body": body,
                "source": source,
                "device_id": _device_id(conn, device, at),
                "ip_prefix": device.ip_prefix,
                "created_at": at,
            },
        )
        sql.bump_video(conn, video_id, "comments", 1)
        sql.append_event(conn, "comment", comment_id)
        return Comment(comment_id, account_id, video_id, body, source, at)

    return op


def share_op(
    account_id: int, video_id: int, channel: str, source: str, device: Device, at: datetime
) -> WriteFn[Share]:
    def op(conn: Connection) -> Share:
        _creator_of(conn, video_id)
        share_id = sql.insert_share(
            conn,
            {
                "account_id": account_id,
                "video_id": video_id,
                "channel": channel,
                "source": source,
                "device_id": _device_id(conn, device, at),
                "ip_prefix": device.ip_prefix,
                "created_at": at,
            },
        )
        sql.bump_video(conn, video_id, "shares", 1)
        sql.append_event(conn, "share", share_id)
        return Share(share_id, account_id, video_id, channel, source, at)

    return op


def _check_creator(conn: Connection, follower_id: int, creator_id: int) -> None:
    creator = catalog_sql.get_account(conn, creator_id)
    if creator is None:
        raise AccountNotFound(f"account {creator_id} does not exist", account_id=creator_id)
    if creator.kind != "creator":
        raise InvalidInput(
            f"account {creator_id} is not a creator; only creators can be followed",
            field="creator_id",
        )
    if creator_id == follower_id:
        raise Forbidden("an account cannot follow itself")


def follow_op(
    follower_id: int, creator_id: int, source: str, at: datetime
) -> WriteFn[FollowOutcome]:
    def op(conn: Connection) -> FollowOutcome:
        _check_creator(conn, follower_id, creator_id)
        existing = sql.find_active_follow(conn, follower_id, creator_id)
        if existing is not None:
            return FollowOutcome(_follow(existing), created=False)
        follow_id = sql.insert_follow(
            conn,
            {
                "follower_id": follower_id,
                "creator_id": creator_id,
                "source": source,
                "created_at": at,
            },
        )
        sql.bump_creator(conn, creator_id, "followers", 1)
        sql.append_event(conn, "follow", follow_id)
        follow = Follow(follow_id, follower_id, creator_id, source, at, None)
        return FollowOutcome(follow, created=True)

    return op


def unfollow_op(follower_id: int, creator_id: int, at: datetime) -> WriteFn[Follow]:
    def op(conn: Connection) -> Follow:
        existing = sql.find_active_follow(conn, follower_id, creator_id)
        if existing is None:
            raise NotFollowing(f"account {follower_id} does not follow {creator_id}")
        sql.mark_follow_removed(conn, existing.id, at)
        sql.bump_creator(conn, creator_id, "followers", -1)
        sql.append_event(conn, "unfollow", existing.id)
        return Follow(
            existing.id, follower_id, creator_id, existing.source, existing.created_at, at
        )

    return op


# A check of incentivised likes (source `campaign:<id>`), run inside the like's transaction
# after the like is written: it may raise (the like rolls back) or record progress. Plain
# likes never call it (plaudit.campaigns.policy is the one implementation).
SourcePolicy = Callable[[Connection, str, LikeOutcome], None]
CAMPAIGN_PREFIX = "campaign:"


def _not_incentivised(source: str, kind: str) -> str:
    """A validated source that is not `campaign:<id>`: campaign tasks are likes, and only a
    like's campaign source is checked by the source policy; an unchecked `campaign:<id>`
    on a comment, share or follow would be counted in that campaign's quality score and
    disclosed as incentivised in the ledger without any campaign having asked for it."""
    validate_source(source)
    if source.startswith(CAMPAIGN_PREFIX):
        raise InvalidInput(
            f"source {source} is only for likes made through a campaign's task; a {kind} "
            "has source app, web, api or assistant",
            field="source",
        )
    return source


def _with_policy(
    op: WriteFn[LikeOutcome], source: str, policy: SourcePolicy
) -> WriteFn[LikeOutcome]:
    def checked(conn: Connection) -> LikeOutcome:
        outcome = op(conn)
        policy(conn, source, outcome)
        return outcome

    return checked


class InteractionService:
    """Use cases of interactions over one Database; inputs are validated before any write."""

    def __init__(self, db: Database, source_policy: SourcePolicy | None = None) -> None:
        self._db = db
        self._source_policy = source_policy

    async def like(
        self,
        account_id: int,
        video_id: int,
        source: str = "app",
        device: Device = NO_DEVICE,
        hold: Hold | None = None,
    ) -> LikeOutcome:
        op = like_op(account_id, video_id, validate_source(source), device, utcnow(), hold)
        if self._source_policy is not None and source.startswith(CAMPAIGN_PREFIX):
            op = _with_policy(op, source, self._source_policy)
        return await self._db.write_async(op)

    async def unlike(self, account_id: int, video_id: int, source: str = "app") -> Like:
        return await self._db.write_async(
            unlike_op(account_id, video_id, validate_source(source), utcnow())
        )

    async def comment(
        self,
        account_id: int,
        video_id: int,
        body: str,
        source: str = "app",
        device: Device = NO_DEVICE,
    ) -> Comment:
        op = comment_op(
            account_id,
            video_id,
            validate_body(body),
            _not_incentivised(source, "comment"),
            device,
            utcnow(),
        )
        return await self._db.write_async(op)

    async def share(
        self,
        account_id: int,
        video_id: int,
        channel: str,
        source: str = "app",
        device: Device = NO_DEVICE,
    ) -> Share:
        op = share_op(
            account_id,
            video_id,
            validate_channel(channel),
            _not_incentivised(source, "share"),
            device,
            utcnow(),
        )
        return await self._db.write_async(op)

    async def follow(self, follower_id: int, creator_id: int, source: str = "app") -> FollowOutcome:
        op = follow_op(follower_id, creator_id, _not_incentivised(source, "follow"), utcnow())
        return await self._db.write_async(op)

    async def unfollow(self, follower_id: int, creator_id: int) -> Follow:
        return await self._db.write_async(unfollow_op(follower_id, creator_id, utcnow()))

    async def bulk(
        self,
        items: Sequence[BulkItem],
        holds: Mapping[int, Hold] | None = None,
        window: TimeWindow = DEFAULT_WINDOW,
    ) -> list[ItemResult]:
        """Ingest a batch in one transaction (see `plaudit.interactions.bulk`); `holds` maps
        item positions to the holds the real-time rules decided for them; items dated
        outside `window` are refused one by one."""
        return await self._db.write_async(ingest_op(items, holds, window))

    def likes_of(self, account_id: int, before_id: int | None, limit: int) -> Sequence[Like]:
        """An account's likes (active and removed), newest first."""
        with self._db.read() as conn:
            if catalog_sql.get_account(conn, account_id) is None:
                raise AccountNotFound(f"account {account_id} does not exist")
            rows = sql.list_likes_of(conn, account_id, before_id, limit)
        return [like_from_row(row) for row in rows]
