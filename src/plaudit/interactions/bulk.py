"""Bulk ingest: many interactions in one transaction with the same invariants as one by one.

Items are applied in order, as if sent one at a time: a like of a pair already liked returns
the existing like, an unlike needs an active like (possibly one made earlier in the same
batch), counters move by the net change, and every accepted item gets its seq in item order.
Invalid items get an error result and change nothing; the others still apply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from plaudit.errors import (
    AccountNotFound,
    InvalidInput,
    NotFollowing,
    NotLiked,
    PlauditError,
    VideoNotFound,
)
from plaudit.interactions.bulk_model import KINDS, BulkItem, ItemResult
from plaudit.interactions.model import (
    validate_body,
    validate_channel,
    validate_source,
)
from plaudit.store import bulk as sql
from plaudit.store import tables
from plaudit.store.writer import WriteFn

__all__ = ["MAX_CLOCK_SKEW", "ingest", "ingest_op"]

MAX_CLOCK_SKEW = timedelta(minutes=5)
_VIDEO_KINDS = frozenset({"like", "unlike", "comment", "share"})


@dataclass
class _Pending:
    """A row to insert; `id` is filled in after the insert."""

    row: dict[str, Any]
    id: int | None = None


# (status, the row, index of its event in the batch or -1 when nothing new was sequenced)
_Decision = tuple[str, "int | _Pending", int]


@dataclass
class _Batch:
    """What applying the items in order decided: rows to write, counters, events, results."""

    new_likes: list[_Pending] = field(default_factory=list)
    new_follows: list[_Pending] = field(default_factory=list)
    new_comments: list[_Pending] = field(default_factory=list)
    new_shares: list[_Pending] = field(default_factory=list)
    like_removals: list[dict[str, Any]] = field(default_factory=list)
    follow_removals: list[dict[str, Any]] = field(default_factory=list)
    video_deltas: dict[int, list[int]] = field(default_factory=dict)
    creator_deltas: dict[int, list[int]] = field(default_factory=dict)
    events: list[tuple[str, int | _Pending]] = field(default_factory=list)

    def video(self, video_id: int, column: int, delta: int) -> None:
        self.video_deltas.setdefault(video_id, [0, 0, 0])[column] += delta

    def creator(self, creator_id: int, column: int, delta: int) -> None:
        self.creator_deltas.setdefault(creator_id, [0, 0])[column] += delta

    def accept(self, status: str, kind: str, ref: int | _Pending) -> _Decision:
        self.events.append((kind, ref))
        return (status, ref, len(self.events) - 1)


def _check(item: BulkItem, now: datetime) -> BulkItem:
    """Validate one item's own fields (not yet against the database)."""
    if item.kind not in KINDS:
        raise InvalidInput(f"kind {item.kind!r} is not one of {', '.join(KINDS)}", field="kind")
    if item.at.tzinfo is None:
        raise InvalidInput(
            "at has no time zone; send an ISO 8601 time with Z or +08:00", field="at"
        )
    if item.at - now > MAX_CLOCK_SKEW:
        raise InvalidInput(f"at {item.at.isoformat()} is in the future", field="at")
    validate_source(item.source)
    if item.kind == "comment":
        return item._replace(body=validate_body(item.body or ""))
    if item.kind == "share":
        validate_channel(item.channel or "")
    return item


class _Applier:
    """Applies items in order against state looked up once for the whole batch."""

    def __init__(self, conn: Connection, items: Sequence[BulkItem]) -> None:
        video_ids = [i.target_id for i in items if i.kind in _VIDEO_KINDS]
        self.creators = sql.video_creators(conn, video_ids)
        account_ids = [i.account_id for i in items]
        account_ids += [i.target_id for i in items if i.kind in ("follow", "unfollow")]
        self.kinds = sql.account_kinds(conn, account_ids)
        like_pairs = [(i.account_id, i.target_id) for i in items if i.kind in ("like", "unlike")]
        self.likes: dict[tuple[int, int], int | _Pending] = dict(sql.active_likes(conn, like_pairs))
        follow_pairs = [
            (i.account_id, i.target_id) for i in items if i.kind in ("follow", "unfollow")
        ]
        self.follows: dict[tuple[int, int], int | _Pending] = dict(
            sql.active_follows(conn, follow_pairs)
        )
        device_keys = [(i.device_key, i.user_agent or "") for i in items if i.device_key]
        first_seen = min((i.at for i in items), default=datetime.now(UTC))
        self.devices = sql.device_ids(conn, device_keys, first_seen) if device_keys else {}
        self.batch = _Batch()
        self.handlers: dict[str, Callable[[BulkItem], _Decision]] = {
            "like": self._like,
            "unlike": self._unlike,
            "comment": self._comment,
            "share": self._share,
            "follow": self._follow,
            "unfollow": self._unfollow,
        }

    def apply(self, item: BulkItem) -> _Decision | ItemResult:
        """Apply one item to the batch; an item that cannot apply gets its error result."""
        try:
            if item.account_id not in self.kinds:
                raise AccountNotFound(f"account {item.account_id} does not exist")
            return self.handlers[item.kind](item)
        except PlauditError as exc:
            return ItemResult("error", error_type=exc.type, detail=exc.detail)

    def _creator_of(self, item: BulkItem) -> int:
        creator = self.creators.get(item.target_id)
        if creator is None:
            raise VideoNotFound(f"video {item.target_id} does not exist")
        return creator

    def _device(self, item: BulkItem) -> int | None:
        return self.devices[(item.device_key, item.user_agent or "")] if item.device_key else None

    def _like(self, item: BulkItem) -> _Decision:
        creator = self._creator_of(item)
        pair = (item.account_id, item.target_id)
        existing = self.likes.get(pair)
        if existing is not None:
            return ("existing", existing, -1)
        pending = _Pending(
            {
                "account_id": item.account_id,
                "video_id": item.target_id,
                "source": item.source,
                "device_id": self._device(item),
                "ip_prefix": item.ip_prefix,
                "created_at": item.at,
                "removed_at": None,
                "removed_source": None,
            }
        )
        self.batch.new_likes.append(pending)
        self.likes[pair] = pending
        self.batch.video(item.target_id, 0, 1)
        self.batch.creator(creator, 0, 1)
        return self.batch.accept("created", "like", pending)

    def _unlike(self, item: BulkItem) -> _Decision:
        creator = self._creator_of(item)
        pair = (item.account_id, item.target_id)
        existing = self.likes.pop(pair, None)
        if existing is None:
            raise NotLiked(f"account {item.account_id} has not liked video {item.target_id}")
        if isinstance(existing, _Pending):
            existing.row["removed_at"] = item.at
            existing.row["removed_source"] = item.source
        else:
            self.batch.like_removals.append(
                {"b_id": existing, "b_removed_at": item.at, "b_removed_source": item.source}
            )
        self.batch.video(item.target_id, 0, -1)
        self.batch.creator(creator, 0, -1)
        return self.batch.accept("removed", "unlike", existing)

    def _comment(self, item: BulkItem) -> _Decision:
        self._creator_of(item)
        pending = _Pending(
            {
                "account_id": item.account_id,
                "video_id": item.target_id,
                "body": item.body,
                "source": item.source,
                "device_id": self._device(item),
                "ip_prefix": item.ip_prefix,
                "created_at": item.at,
            }
        )
        self.batch.new_comments.append(pending)
        self.batch.video(item.target_id, 1, 1)
        return self.batch.accept("created", "comment", pending)

    def _share(self, item: BulkItem) -> _Decision:
        self._creator_of(item)
        pending = _Pending(
            {
                "account_id": item.account_id,
                "video_id": item.target_id,
                "channel": item.channel,
                "source": item.source,
                "device_id": self._device(item),
                "ip_prefix": item.ip_prefix,
                "created_at": item.at,
            }
        )
        self.batch.new_shares.append(pending)
        self.batch.video(item.target_id, 2, 1)
        return self.batch.accept("created", "share", pending)

    def _check_followable(self, item: BulkItem) -> None:
        if self.kinds.get(item.target_id) != "creator":
            raise InvalidInput(f"account {item.target_id} is not a creator", field="target_id")
        if item.target_id == item.account_id:
            raise InvalidInput("an account cannot follow itself", field="target_id")

    def _follow(self, item: BulkItem) -> _Decision:
        self._check_followable(item)
        pair = (item.account_id, item.target_id)
        existing = self.follows.get(pair)
        if existing is not None:
            return ("existing", existing, -1)
        pending = _Pending(
            {
                "follower_id": item.account_id,
                "creator_id": item.target_id,
                "source": item.source,
                "created_at": item.at,
                "removed_at": None,
            }
        )
        self.batch.new_follows.append(pending)
        self.follows[pair] = pending
        self.batch.creator(item.target_id, 1, 1)
        return self.batch.accept("created", "follow", pending)

    def _unfollow(self, item: BulkItem) -> _Decision:
        pair = (item.account_id, item.target_id)
        existing = self.follows.pop(pair, None)
        if existing is None:
            raise NotFollowing(f"account {item.account_id} does not follow {item.target_id}")
        if isinstance(existing, _Pending):
            existing.row["removed_at"] = item.at
        else:
            self.batch.follow_removals.append({"b_id": existing, "b_removed_at": item.at})
        self.batch.creator(item.target_id, 1, -1)
        return self.batch.accept("removed", "unfollow", existing)


def _ref_id(ref: int | _Pending) -> int:
    if isinstance(ref, _Pending):
        assert ref.id is not None
        return ref.id
    return ref


def _write(conn: Connection, batch: _Batch) -> int:
    for table, pendings in (
        (tables.likes, batch.new_likes),
        (tables.follows, batch.new_follows),
        (tables.comments, batch.new_comments),
        (tables.shares, batch.new_shares),
    ):
        ids = sql.insert_returning_ids(conn, table, [p.row for p in pendings])
        for pending, new_id in zip(pendings, ids, strict=True):
            pending.id = new_id
    sql.remove_rows(conn, tables.likes, batch.like_removals)
    sql.remove_rows(conn, tables.follows, batch.follow_removals)
    sql.add_counters(conn, batch.video_deltas, batch.creator_deltas)
    return sql.append_events(conn, [(kind, _ref_id(ref)) for kind, ref in batch.events])


def _checked(item: BulkItem, now: datetime) -> BulkItem | ItemResult:
    try:
        return _check(item, now)
    except PlauditError as exc:
        return ItemResult("error", error_type=exc.type, detail=exc.detail)


def ingest(conn: Connection, items: Sequence[BulkItem]) -> list[ItemResult]:
    """Apply `items` in order inside the caller's transaction; one result per item."""
    now = datetime.now(UTC)
    checked = [_checked(item, now) for item in items]
    applier = _Applier(conn, [c for c in checked if isinstance(c, BulkItem)])
    decisions = [c if isinstance(c, ItemResult) else applier.apply(c) for c in checked]
    first_seq = _write(conn, applier.batch)
    return [_result(d, first_seq) for d in decisions]


def _result(decision: _Decision | ItemResult, first_seq: int) -> ItemResult:
    if isinstance(decision, ItemResult):
        return decision
    status, ref, event_index = decision
    seq = first_seq + event_index if event_index >= 0 else None
    return ItemResult(status, id=_ref_id(ref), seq=seq)


def ingest_op(items: Sequence[BulkItem]) -> WriteFn[list[ItemResult]]:
    """`ingest` as a write function for the store's writer."""
    return lambda conn: ingest(conn, items)
