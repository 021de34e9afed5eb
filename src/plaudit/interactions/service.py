"""The interactions service: like, unlike, comment, follow, unfollow, share, and their reads.

Each use case is one transaction (built by a `..._op` function and run by the store's
writer): validate, write the interaction, update the counters, and give it its place in the
event sequence, all or nothing. `x()` awaits it on the event loop (the API); `x_sync()` runs
it from a plain thread (the CLI and library callers), so neither starts an event loop.

A like passes the real-time rules first (plaudit.authenticity.rules: accept, hold or refuse)
here, not in the routers, so every caller of the service gets the same rules. A refusal is
recorded here too (`rule_refusals`: the rule, the video, the time; never who), so the
transparency report can count the likes prevented at ingest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy.engine import Connection, Row

from plaudit.errors import (
    AccountNotFound,
    Forbidden,
    InvalidInput,
    NotFollowing,
    NotLiked,
    PlauditError,
    RateLimited,
    RefusedByRule,
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
    network_code,
    validate_body,
    validate_channel,
    validate_source,
)
from plaudit.store import Database, utcnow
from plaudit.store import authenticity as holds_sql
from plaudit.store import catalog as catalog_sql
from plaudit.store import interactions as sql
from plaudit.store import refusals as refusals_sql
from plaudit.store.refusals import Refusal
from plaudit.store.writer import GroupedWrite, WriteFn

if TYPE_CHECKING:
    from plaudit.authenticity.rules import Admission, BatchAdmission, RuleEngine

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
    existing like whose hold is still open). `risk` is the rules' score of the like when it
    was created (for an existing like: the stored score of its hold, None when it was
    accepted, since an accepted like's score is not stored); it is never re-scored.
    """

    like: Like
    created: bool
    seq: int | None
    held: bool = False
    risk: int | None = None


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


class _LikeArgs(NamedTuple):
    account_id: int
    video_id: int
    source: str
    device: Device
    at: datetime
    hold: Hold | None


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
    transaction is exactly what it was. The writer runs a run of queued likes together
    (`_likes_together`), with the same rows and outcomes as one by one.
    """
    args = _LikeArgs(account_id, video_id, source, device, at, hold)

    def op(conn: Connection) -> LikeOutcome:
        outcome = _like(conn, account_id, video_id, source, device, at)
        if outcome.created and hold is not None:
            holds_sql.insert_hold(conn, outcome.like.id, video_id, hold.rule, hold.risk, at)
            return LikeOutcome(outcome.like, True, outcome.seq, held=True)
        return outcome

    return GroupedWrite(op, _likes_together, args)


def _likes_together(
    conn: Connection, writes: Sequence[GroupedWrite[Any]]
) -> list[LikeOutcome | PlauditError] | None:
    """A run of likes in one set of statements (SQLite): one read of every like's video and
    active like, each new like's insert, then the run's events and counters at once. A
    like of a pair liked earlier in the run answers as liking again does, after the run's
    inserts. On PostgreSQL, `_likes_together_postgres`.

    Per like this is 1 statement (2 with a device key, 2 more when held) instead of 8
    (the like's savepoint and statements, its two counters, its seq and event).
    """
    likes: list[_LikeArgs] = [write.args for write in writes]
    if conn.dialect.name == "postgresql":
        return _likes_together_postgres(conn, likes)
    if conn.dialect.name != "sqlite":
        return None
    found = sql.creators_and_active_likes(conn, [(a.account_id, a.video_id) for a in likes])
    outcomes: list[LikeOutcome | PlauditError | None] = [None] * len(likes)
    again: list[int] = []  # already liked, or liked earlier in this run
    created: dict[tuple[int, int], int] = {}  # (account, video) -> like id
    per_video: dict[int, int] = {}
    per_creator: dict[int, int] = {}
    new: list[tuple[int, Like]] = []  # (position, like)
    for position, (like, (creator_id, existing_id)) in enumerate(zip(likes, found, strict=True)):
        pair = (like.account_id, like.video_id)
        if creator_id is None:
            outcomes[position] = VideoNotFound(
                f"video {like.video_id} does not exist", video_id=like.video_id
            )
            continue
        if existing_id is not None or pair in created:
            again.append(position)
            continue
        device_id = _device_id(conn, like.device, like.at)
        ip = like.device.ip_prefix
        like_id = sql.insert_like(
            conn,
            like.account_id,
            like.video_id,
            like.source,
            device_id,
            ip,
            network_code(ip),
            like.at,
        )
        created[pair] = like_id
        per_video[like.video_id] = per_video.get(like.video_id, 0) + 1
        per_creator[creator_id] = per_creator.get(creator_id, 0) + 1
        stored = Like(
            like_id, like.account_id, like.video_id, like.source, like.at, None, ip, device_id
        )
        new.append((position, stored))
    if new:
        sql.add_like_counts(conn, per_video, per_creator)
        first = sql.append_events(conn, "like", [stored.id for _, stored in new])
        for offset, (position, stored) in enumerate(new):
            hold = likes[position].hold
            if hold is not None:
                holds_sql.insert_hold(
                    conn, stored.id, stored.video_id, hold.rule, hold.risk, likes[position].at
                )
            outcomes[position] = LikeOutcome(stored, True, first + offset, held=hold is not None)
    for position in again:
        outcomes[position] = _existing_like(
            conn, likes[position].account_id, likes[position].video_id
        )
    return [outcome for outcome in outcomes if outcome is not None]


def _likes_together_postgres(
    conn: Connection, likes: Sequence[_LikeArgs]
) -> list[LikeOutcome | PlauditError]:
    """A run of likes on PostgreSQL: each like's one statement (`_like_postgres`), all sent
    in one round trip and without a savepoint each (a statement there is all or nothing;
    one that fails fails the run, which the writer then runs again like by like). A pair
    liked earlier in the run sees that like, as the statements run in order in one
    transaction. Per like: 1 round trip for the whole run instead of 3 (savepoint,
    statement, release), plus the device's and the hold's statements when there are some.
    """
    device_ids = [_device_id(conn, like.device, like.at) for like in likes]
    rows = sql.likes_in_one_round_trip(
        conn,
        [
            (
                like.account_id,
                like.video_id,
                like.source,
                device_id,
                like.device.ip_prefix,
                network_code(like.device.ip_prefix),
                like.at,
            )
            for like, device_id in zip(likes, device_ids, strict=True)
        ],
    )
    outcomes: list[LikeOutcome | PlauditError] = []
    for like, (creator_id, existing_id, like_id, seq), device_id in zip(
        likes, rows, device_ids, strict=True
    ):
        if creator_id is None:
            outcomes.append(
                VideoNotFound(f"video {like.video_id} does not exist", video_id=like.video_id)
            )
        elif existing_id is not None:
            outcomes.append(_existing_like(conn, like.account_id, like.video_id))
        else:
            assert like_id is not None
            assert seq is not None
            stored = Like(
                like_id,
                like.account_id,
                like.video_id,
                like.source,
                like.at,
                None,
                like.device.ip_prefix,
                device_id,
            )
            if like.hold is not None:
                holds_sql.insert_hold(
                    conn, like_id, like.video_id, like.hold.rule, like.hold.risk, like.at
                )
            outcomes.append(LikeOutcome(stored, True, seq, held=like.hold is not None))
    return outcomes


def _like(
    conn: Connection, account_id: int, video_id: int, source: str, device: Device, at: datetime
) -> LikeOutcome:
    if conn.dialect.name == "postgresql":
        return _like_postgres(conn, account_id, video_id, source, device, at)
    return _like_sqlite(conn, account_id, video_id, source, device, at)


def _like_sqlite(
    conn: Connection, account_id: int, video_id: int, source: str, device: Device, at: datetime
) -> LikeOutcome:
    creator_id, existing_id = sql.creator_and_active_like(conn, account_id, video_id)
    if creator_id is None:
        raise VideoNotFound(f"video {video_id} does not exist", video_id=video_id)
    if existing_id is not None:
        return _existing_like(conn, account_id, video_id)
    device_id = _device_id(conn, device, at)
    network = network_code(device.ip_prefix)
    like_id = sql.insert_like(
        conn, account_id, video_id, source, device_id, device.ip_prefix, network, at
    )
    sql.bump_video(conn, video_id, "likes", 1)
    sql.bump_creator(conn, creator_id, "likes", 1)
    seq = sql.append_event(conn, "like", like_id)
    like = Like(like_id, account_id, video_id, source, at, None, device.ip_prefix, device_id)
    return LikeOutcome(like, created=True, seq=seq)


def _existing_like(conn: Connection, account_id: int, video_id: int) -> LikeOutcome:
    """The stored like as it was written: its seq and the risk stored with its hold."""
    stored = sql.active_like_as_stored(conn, account_id, video_id)
    assert stored is not None
    like = Like(
        stored.id,
        account_id,
        video_id,
        stored.source,
        stored.created_at,
        None,
        stored.ip_prefix,
        stored.device_id,
    )
    return LikeOutcome(like, created=False, seq=stored.seq, held=stored.held, risk=stored.risk)


def _like_postgres(
    conn: Connection, account_id: int, video_id: int, source: str, device: Device, at: datetime
) -> LikeOutcome:
    """The same transaction as on SQLite, in one round trip (store.like_in_one_statement)."""
    device_id = _device_id(conn, device, at)
    network = network_code(device.ip_prefix)
    creator_id, existing_id, like_id, seq = sql.like_in_one_statement(
        conn, account_id, video_id, source, device_id, device.ip_prefix, network, at
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


def _unlike(account_id: int, video_id: int, source: str) -> WriteFn[Like]:
    return unlike_op(account_id, video_id, validate_source(source), utcnow())


def _comment(
    account_id: int, video_id: int, body: str, source: str, device: Device
) -> WriteFn[Comment]:
    body = validate_body(body)
    source = _not_incentivised(source, "comment")
    return comment_op(account_id, video_id, body, source, device, utcnow())


def _share(
    account_id: int, video_id: int, channel: str, source: str, device: Device
) -> WriteFn[Share]:
    channel = validate_channel(channel)
    source = _not_incentivised(source, "share")
    return share_op(account_id, video_id, channel, source, device, utcnow())


def _follow_op(follower_id: int, creator_id: int, source: str) -> WriteFn[FollowOutcome]:
    return follow_op(follower_id, creator_id, _not_incentivised(source, "follow"), utcnow())


class _BatchJudge:
    """The real-time rules of one bulk batch, asked by `ingest` like by like in item order
    inside the batch's transaction (`plaudit.interactions.bulk.Judge`).

    A like that is then not created (already liked, an unknown video) is taken back before
    the next like is judged, so every like is judged against the same windows as when the
    likes are sent one at a time through `like_sync`. Judging the whole batch before its
    write let a like sent again count for the likes after it: holds and refusals that
    sending them one by one does not give (issue #18). The refusals are recorded in the
    batch's transaction; an attempt of it that is undone (the writer runs a failed batch
    again) takes its admissions back first (`take_back_all`).

    When no like of the batch is refused, `ingest` asks for all of them at once instead
    (`admit_batch`, set-based, the same verdicts; issue #18).
    """

    def __init__(self, rules: RuleEngine) -> None:
        self._rules = rules
        self._now = utcnow()
        self.kept: list[Admission] = []
        self.batches: list[BatchAdmission] = []
        self.refusals: list[Refusal] = []

    def learn_ages(self, created: Mapping[int, datetime]) -> None:
        self._rules.learn_ages(created)

    def admit(self, item: BulkItem) -> tuple[Hold | None, int] | PlauditError:
        try:
            admission = self._rules.admit(item.account_id, item.device_key, item.ip_prefix, item.at)
        except PlauditError as exc:
            if (refusal := _refusal(exc, item.target_id, self._now)) is not None:
                self.refusals.append(refusal)
            return exc
        self.kept.append(admission)
        return _hold_of(admission), admission.risk

    def take_back_last(self) -> None:
        self._rules.cancel(self.kept.pop())

    def admit_batch(
        self, likes: Sequence[BulkItem], created: Sequence[bool]
    ) -> list[tuple[Hold | None, int]] | None:
        """The batch's likes judged together (`RuleEngine.admit_batch`): the verdicts of
        `admit` like by like, or None when only that path can decide."""
        batch = self._rules.admit_batch(
            [(like.account_id, like.device_key, like.ip_prefix, like.at) for like in likes],
            created,
        )
        if batch is None:
            return None
        self.batches.append(batch)
        return [
            (None if rule is None else Hold(rule, risk), risk)
            for rule, risk in zip(batch.holds, batch.risks, strict=True)
        ]

    def take_back_all(self) -> None:
        """Undo every admission (newest first) and forget the refusals: the transaction
        that made them did not commit."""
        while self.batches:
            self._rules.cancel_batch(self.batches.pop())
        while self.kept:
            self.take_back_last()
        self.refusals.clear()


def _bulk_op(
    items: Sequence[BulkItem], judge: _BatchJudge | None, window: TimeWindow
) -> WriteFn[list[ItemResult]]:
    """The batch's write: its items judged and applied in order, and the refusals recorded.

    It runs with SQLite's foreign-key checks off (`Database.write(..., unchecked=True)`):
    `ingest` reads every account, video and device its rows refer to in the same
    transaction (the accounts once, their kinds for ingest and their ages for the rules),
    and writes nothing for an item whose references are missing.
    """

    def op(conn: Connection) -> list[ItemResult]:
        if judge is not None:
            judge.take_back_all()  # nothing unless an earlier attempt was undone
        results = ingest_op(items, window=window, judge=judge)(conn)
        if judge is not None and judge.refusals:
            refusals_sql.insert_refusals(conn, judge.refusals)
        return results

    return op


def _refusal(exc: PlauditError, video_id: int, at: datetime) -> Refusal | None:
    """The record of a like a real-time rule refused; None for any other error."""
    rule = exc.extensions.get("rule")
    if not isinstance(exc, RateLimited | RefusedByRule) or not rule:
        return None
    return Refusal(str(rule), video_id, at)


def _refusals_op(refusals: Sequence[Refusal]) -> WriteFn[None]:
    def op(conn: Connection) -> None:
        refusals_sql.insert_refusals(conn, refusals)

    return op


def _hold_of(admission: Admission | None) -> Hold | None:
    if admission is None or not admission.held:
        return None
    return Hold(admission.rule or "", admission.risk)


class InteractionService:
    """Use cases of interactions over one Database; inputs are validated before any write.

    With `rules`, every like is admitted by the real-time rules before its transaction; an
    admission whose like is not created (already liked, unknown video, an error) is
    cancelled, so it counts in no window.
    """

    def __init__(
        self,
        db: Database,
        source_policy: SourcePolicy | None = None,
        rules: RuleEngine | None = None,
    ) -> None:
        self._db = db
        self._source_policy = source_policy
        self._rules = rules

    async def like(
        self, account_id: int, video_id: int, source: str = "app", device: Device = NO_DEVICE
    ) -> LikeOutcome:
        """Like a video; liking it again returns the stored like (its seq, its risk)."""
        source = validate_source(source)
        at = utcnow()
        try:
            if self._rules is not None and not self._rules.admits_without_io(account_id):
                # shared windows, or an account whose age is not known yet: a round trip
                admission = await asyncio.to_thread(self._admit, account_id, device, at)
            else:
                admission = self._admit(account_id, device, at)
        except PlauditError as exc:
            if (refusal := _refusal(exc, video_id, at)) is not None:
                await self._db.write_async(_refusals_op([refusal]))
            raise
        op = self._like_op(account_id, video_id, source, device, at, admission)
        try:  # `_cancelled_on_error` by hand: a generator context manager costs more here
            outcome = await self._db.write_async(op)
        except BaseException:
            self._cancel(admission)
            raise
        return self._settled(admission, outcome)

    def like_sync(
        self, account_id: int, video_id: int, source: str = "app", device: Device = NO_DEVICE
    ) -> LikeOutcome:
        """`like` from a plain thread."""
        source = validate_source(source)
        at = utcnow()
        try:
            admission = self._admit(account_id, device, at)
        except PlauditError as exc:
            if (refusal := _refusal(exc, video_id, at)) is not None:
                self._db.write(_refusals_op([refusal]))
            raise
        op = self._like_op(account_id, video_id, source, device, at, admission)
        with self._cancelled_on_error([admission]):
            outcome = self._db.write(op)
        return self._settled(admission, outcome)

    def _admit(self, account_id: int, device: Device, at: datetime) -> Admission | None:
        """The rules' decision (raises RateLimited or RefusedByRule to refuse the like)."""
        if self._rules is None:
            return None
        return self._rules.admit(account_id, device.device_key, device.ip_prefix, at)

    def _cancel(self, admission: Admission | None) -> None:
        if self._rules is not None and admission is not None:
            self._rules.cancel(admission)

    @contextmanager
    def _cancelled_on_error(self, admissions: Iterable[Admission | None]) -> Iterator[None]:
        """An error in the write cancels the admissions (their likes never existed)."""
        try:
            yield
        except BaseException:
            for admission in admissions:
                self._cancel(admission)
            raise

    def _settled(self, admission: Admission | None, outcome: LikeOutcome) -> LikeOutcome:
        """A created like carries the risk it was admitted with; an existing like keeps its
        stored one, and its admission is taken back (it is not a new like in any window)."""
        if not outcome.created:
            self._cancel(admission)
            return outcome
        risk = admission.risk if admission is not None else None
        return LikeOutcome(outcome.like, True, outcome.seq, outcome.held, risk)

    def _like_op(
        self,
        account_id: int,
        video_id: int,
        source: str,
        device: Device,
        at: datetime,
        admission: Admission | None,
    ) -> WriteFn[LikeOutcome]:
        op = like_op(account_id, video_id, source, device, at, _hold_of(admission))
        if self._source_policy is not None and source.startswith(CAMPAIGN_PREFIX):
            op = _with_policy(op, source, self._source_policy)
        return op

    async def unlike(self, account_id: int, video_id: int, source: str = "app") -> Like:
        return await self._db.write_async(_unlike(account_id, video_id, source))

    def unlike_sync(self, account_id: int, video_id: int, source: str = "app") -> Like:
        return self._db.write(_unlike(account_id, video_id, source))

    async def comment(
        self,
        account_id: int,
        video_id: int,
        body: str,
        source: str = "app",
        device: Device = NO_DEVICE,
    ) -> Comment:
        return await self._db.write_async(_comment(account_id, video_id, body, source, device))

    def comment_sync(
        self,
        account_id: int,
        video_id: int,
        body: str,
        source: str = "app",
        device: Device = NO_DEVICE,
    ) -> Comment:
        return self._db.write(_comment(account_id, video_id, body, source, device))

    async def share(
        self,
        account_id: int,
        video_id: int,
        channel: str,
        source: str = "app",
        device: Device = NO_DEVICE,
    ) -> Share:
        return await self._db.write_async(_share(account_id, video_id, channel, source, device))

    def share_sync(
        self,
        account_id: int,
        video_id: int,
        channel: str,
        source: str = "app",
        device: Device = NO_DEVICE,
    ) -> Share:
        return self._db.write(_share(account_id, video_id, channel, source, device))

    async def follow(self, follower_id: int, creator_id: int, source: str = "app") -> FollowOutcome:
        return await self._db.write_async(_follow_op(follower_id, creator_id, source))

    def follow_sync(self, follower_id: int, creator_id: int, source: str = "app") -> FollowOutcome:
        return self._db.write(_follow_op(follower_id, creator_id, source))

    async def unfollow(self, follower_id: int, creator_id: int) -> Follow:
        return await self._db.write_async(unfollow_op(follower_id, creator_id, utcnow()))

    def unfollow_sync(self, follower_id: int, creator_id: int) -> Follow:
        return self._db.write(unfollow_op(follower_id, creator_id, utcnow()))

    async def bulk(
        self, items: Sequence[BulkItem], window: TimeWindow = DEFAULT_WINDOW
    ) -> list[ItemResult]:
        """Ingest a batch in one transaction (see `plaudit.interactions.bulk`), a result per
        item in order; each like passes the real-time rules at its own time first, as if
        sent alone (`_BatchJudge`), and a refused like is that item's error result; items
        dated outside `window` are refused one by one."""
        judge = self._judge(items)
        write = self._db.write_async(_bulk_op(items, judge, window), unchecked=True)
        try:
            return await write
        except BaseException:
            if judge is not None:
                judge.take_back_all()
            raise

    def bulk_sync(
        self, items: Sequence[BulkItem], window: TimeWindow = DEFAULT_WINDOW
    ) -> list[ItemResult]:
        """`bulk` from a plain thread."""
        judge = self._judge(items)
        try:
            return self._db.write(_bulk_op(items, judge, window), unchecked=True)
        except BaseException:
            if judge is not None:
                judge.take_back_all()
            raise

    def _judge(self, items: Sequence[BulkItem]) -> _BatchJudge | None:
        """The rules of this batch; None without rules or without likes to judge."""
        if self._rules is None or not any(item.kind == "like" for item in items):
            return None
        return _BatchJudge(self._rules)

    def likes_of(self, account_id: int, before_id: int | None, limit: int) -> Sequence[Like]:
        """An account's likes (active and removed), newest first."""
        with self._db.read() as conn:
            if catalog_sql.get_account(conn, account_id) is None:
                raise AccountNotFound(f"account {account_id} does not exist")
            rows = sql.list_likes_of(conn, account_id, before_id, limit)
        return [like_from_row(row) for row in rows]
