"""Bulk ingest: many interactions in one transaction with the same invariants as one by one.

Items are applied in order, as if sent one at a time: a like of a pair already liked returns
the existing like, an unlike needs an active like (possibly one made earlier in the same
batch), counters move by the net change, and every accepted item gets its seq in item order.
Invalid items get an error result and change nothing; the others still apply.

Speed matters here (gateways and the demo loader push 100,000 likes a second): state is looked
up once per batch, ids are reserved up front so rows are final tuples, and the writes are a
few executemany calls (`plaudit.store.bulk`).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, Protocol

from sqlalchemy.engine import Connection

from plaudit.errors import (
    AccountNotFound,
    Forbidden,
    InvalidInput,
    NotFollowing,
    NotLiked,
    PlauditError,
    VideoNotFound,
)
from plaudit.interactions.bulk_model import KINDS, BulkItem, ItemResult
from plaudit.interactions.model import (
    BASE_SOURCES,
    network_code,
    validate_body,
    validate_channel,
    validate_source,
)
from plaudit.store import authenticity as holds_sql
from plaudit.store.bulk import COMMENT_COLUMNS, FOLLOW_COLUMNS, LIKE_COLUMNS, SHARE_COLUMNS, BulkSQL
from plaudit.store.types import MAX_ID
from plaudit.store.writer import WriteFn

__all__ = [
    "DEFAULT_WINDOW",
    "MAX_CLOCK_SKEW",
    "Judge",
    "TimeWindow",
    "collector_paused",
    "ingest",
    "ingest_op",
]

MAX_CLOCK_SKEW = timedelta(minutes=5)


class TimeWindow(NamedTuple):
    """The times an interaction may carry: from `earliest` (the setting `platform_epoch`)
    to now plus `skew` (`clock_skew_s`). The ledger's time field starts at 1970, so the
    earliest is never before that (config.py checks it)."""

    earliest: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    skew: timedelta = MAX_CLOCK_SKEW

    def check(self, at: datetime, now: datetime, field: str = "at") -> datetime:
        """`at` in UTC when it lies in the window; InvalidInput naming the window otherwise."""
        if at.tzinfo is UTC and self.earliest <= at <= now + self.skew:  # the common case
            return at
        if at.tzinfo is None:
            raise InvalidInput(
                f"{field} has no time zone; send ISO 8601 with Z or +08:00", field=field
            )
        utc: datetime | None
        try:
            utc = at.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00:00+14:00 is before year 1 in UTC
            utc = datetime.max.replace(tzinfo=UTC) if at.year > 1 else None
        latest = now + self.skew
        window = (
            f"accepted: {self.earliest.isoformat()} (the platform epoch) to now plus "
            f"{self.skew.total_seconds():g} s of clock skew"
        )
        if utc is not None and utc > latest:
            raise InvalidInput(f"{field} {at.isoformat()} is in the future; {window}", field=field)
        if utc is None or utc < self.earliest:
            raise InvalidInput(
                f"{field} {at.isoformat()} is before the platform epoch; {window}", field=field
            )
        return utc


DEFAULT_WINDOW = TimeWindow()
_KIND_SET = frozenset(KINDS)
_PLAIN_SOURCES = frozenset(BASE_SOURCES)


class _CollectorPause:
    """Counts the batches in progress in any thread; the cyclic garbage collector is off
    while there is one and back on (if it was on) when the last ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._resume = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._active == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._active += 1
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1
                if self._active == 0 and self._resume:
                    gc.enable()


collector_paused = _CollectorPause()
"""`with collector_paused():` around a bulk batch's Python work. A batch allocates a few
objects per item (tuples, rows, results) next to the rules' windows of hundreds of
thousands of keys, so the cyclic collector ran its young generations every 700 allocations
and walked the old one now and then, for nothing: the batch makes no cycles (reference
counting frees all of it). Pausing it cut 15-30% of bulk ingest's CPU time (issue #18)."""
_VIDEO_KINDS = frozenset({"like", "unlike", "comment", "share"})
_FOLLOW_KINDS = frozenset({"follow", "unfollow"})
_LIKE_KINDS = frozenset({"like", "unlike"})
# positions in LIKE_COLUMNS, by name: a reordered column cannot move a hold to another field
_VIDEO = LIKE_COLUMNS.index("video_id")
_REMOVED_AT, _REMOVED_SOURCE = (
    LIKE_COLUMNS.index("removed_at"),
    LIKE_COLUMNS.index("removed_source"),
)
_FOLLOW_REMOVED_AT = 5  # position in FOLLOW_COLUMNS
# Incentivised sources go through the campaign policy (plaudit.campaigns.policy), which the
# single-like path runs inside the like's transaction; bulk has no such step, so it refuses
# them rather than write a `campaign:<id>` like that no campaign checked or recorded.
_CAMPAIGN_PREFIX = "campaign:"


class HoldLike(Protocol):
    """What bulk ingest needs of a hold (`plaudit.interactions.service.Hold`)."""

    @property
    def rule(self) -> str: ...

    @property
    def risk(self) -> int: ...


class Judge(Protocol):
    """The real-time rules as bulk ingest asks them: one like at a time, in item order, in
    the batch's transaction (`plaudit.interactions.service`).

    A like the rules admit counts in their windows at once; when it then is not created
    (already liked, or an unknown video) ingest takes it back before judging the next item,
    as sending the likes one at a time does. Judging the whole batch first let a like sent
    twice count twice for the likes after it (issue #18).
    """

    def learn_ages(self, created: Mapping[int, datetime]) -> None:
        """The creation times of the batch's accounts, read once in its transaction."""
        ...

    def admit(self, item: BulkItem) -> tuple[HoldLike | None, int] | PlauditError:
        """(the hold, or None when accepted; the risk), or the error refusing the like."""
        ...

    def take_back_last(self) -> None:
        """The like admitted last was not created: it counts in no window."""
        ...

    def admit_batch(
        self, likes: Sequence[BulkItem], created: Sequence[bool]
    ) -> Sequence[tuple[HoldLike | None, int]] | None:
        """All the batch's likes at once, in item order, `created` saying which were
        created (the others are taken back before the next like), with exactly the
        verdicts `admit` and `take_back_last` like by like give; None, having counted
        nothing, when only the like-by-like path can decide (a like would be refused)."""
        ...


# (status, row id, index of its event in the batch, or -1 when nothing was sequenced)
_Decision = tuple[str, int, int]


def _check(item: BulkItem, now: datetime, window: TimeWindow) -> BulkItem:
    """Validate one item's own fields (not yet against the database)."""
    if item.kind not in _KIND_SET:
        raise InvalidInput(f"kind {item.kind!r} is not one of {', '.join(KINDS)}", field="kind")
    if not (1 <= item.account_id <= MAX_ID and 1 <= item.target_id <= MAX_ID):
        for name, value in (("account_id", item.account_id), ("target_id", item.target_id)):
            if not 1 <= value <= MAX_ID:
                raise InvalidInput(f"{name} {value} is outside 1..{MAX_ID}", field=name)
    at = window.check(item.at, now)
    if at is not item.at:
        item = item._replace(at=at)
    if item.kind == "like" and item.source in _PLAIN_SOURCES:  # the common case, done
        return item
    if item.source != "app":
        validate_source(item.source)
        if item.source.startswith(_CAMPAIGN_PREFIX):
            raise InvalidInput(
                f"source {item.source} is not accepted in bulk: an incentivised action is "
                "checked against its campaign (opt-in, task videos, per-account limit, budget) "
                "and recorded as its progress one at a time; send it with "
                "POST /v1/videos/{video_id}/likes",
                field="source",
            )
    if item.kind == "comment":
        return item._replace(body=validate_body(item.body or ""))
    if item.kind == "share":
        validate_channel(item.channel or "")
    return item


def _checked(item: BulkItem, now: datetime, window: TimeWindow) -> BulkItem | ItemResult:
    try:
        return _check(item, now, window)
    except PlauditError as exc:
        return ItemResult("error", error_type=exc.type, detail=exc.detail)


class _Applier:
    """Applies items in order against state looked up once for the whole batch."""

    def __init__(
        self,
        conn: Connection,
        items: Sequence[BulkItem],
        holds: Mapping[int, HoldLike],
        db: BulkSQL,
        kinds: Mapping[int, str],
        judge: Judge | None = None,
        size: int = 0,
    ) -> None:
        self.conn = conn
        self.db = db
        # item position -> the hold a real-time rule decided; likes held here, by id
        self.holds = dict(holds)
        self.judge = judge
        # item position -> the risk `judge` gave the like (`size` positions)
        self.risks: list[int | None] = [None] * size
        self.position = -1
        self.held: dict[int, HoldLike] = {}
        # (like id, video id) of likes made before this batch that it removes
        self.removed_existing: list[tuple[int, int]] = []
        self.creators = db.video_creators(i.target_id for i in items if i.kind in _VIDEO_KINDS)
        follows = [(i.account_id, i.target_id) for i in items if i.kind in _FOLLOW_KINDS]
        wanted = {i.account_id for i in items}.union(t for _, t in follows)
        self.kinds = {account: kinds[account] for account in wanted if account in kinds}
        if judge is None:
            self.kinds.update(db.account_kinds(wanted.difference(self.kinds)))
        else:  # one read gives the rules the accounts' ages too
            read, created = db.kinds_and_created_times(wanted.difference(self.kinds))
            self.kinds.update(read)
            judge.learn_ages(created)
        self.likes: dict[tuple[int, int], int] = db.active_likes(
            (i.account_id, i.target_id) for i in items if i.kind in _LIKE_KINDS
        )
        self.follows: dict[tuple[int, int], int] = db.active_follows(follows)
        devices = [(i.device_key, i.user_agent or "") for i in items if i.device_key]
        first_seen = min((i.at for i in items), default=datetime.now(UTC))
        self.devices = db.device_ids(devices, first_seen) if devices else {}
        counts = {kind: sum(1 for i in items if i.kind == kind) for kind in KINDS}
        self.ids = {
            table: iter(db.reserve_ids(table, counts[kind]))
            for table, kind in (
                ("likes", "like"),
                ("follows", "follow"),
                ("comments", "comment"),
                ("shares", "share"),
            )
        }
        self.rows: dict[str, list[list[Any]]] = {t: [] for t in self.ids}
        self.like_ids, self.like_rows, self.time = self.ids["likes"], self.rows["likes"], db.time
        # id -> row of the likes and follows made in this batch (an unlike may still change it)
        self.new_likes: dict[int, list[Any]] = {}
        self.new_follows: dict[int, list[Any]] = {}
        self.like_removals: list[tuple[Any, ...]] = []
        self.follow_removals: list[tuple[Any, ...]] = []
        self.video_deltas: dict[int, list[int]] = {}
        self.creator_deltas: dict[int, list[int]] = {}
        self.events: list[tuple[str, int]] = []

    def apply(self, item: BulkItem, position: int = -1) -> _Decision | ItemResult:
        """Apply one item to the batch; an item that cannot apply gets its error result."""
        self.position = position
        try:
            if item.account_id not in self.kinds:
                raise AccountNotFound(f"account {item.account_id} does not exist")
            if self.judge is not None and item.kind == "like":
                return self._judged_like(self.judge, item)
            return _HANDLERS[item.kind](self, item)
        except PlauditError as exc:
            return ItemResult("error", error_type=exc.type, detail=exc.detail)

    def _judged_like(self, judge: Judge, item: BulkItem) -> _Decision:
        """A like the rules judge first; taken back at once unless it is created."""
        verdict = judge.admit(item)
        if isinstance(verdict, PlauditError):
            raise verdict
        hold, self.risks[self.position] = verdict
        if hold is not None:
            self.holds[self.position] = hold
        try:
            decision = self._like(item)
        except PlauditError:
            judge.take_back_last()
            raise
        if decision[0] != "created":
            judge.take_back_last()
        return decision

    def _accept(self, status: str, kind: str, row_id: int) -> _Decision:
        self.events.append((kind, row_id))
        return (status, row_id, len(self.events) - 1)

    def _video(self, video_id: int, column: int, delta: int) -> None:
        deltas = self.video_deltas.get(video_id)
        if deltas is None:
            deltas = self.video_deltas[video_id] = [0, 0, 0]
        deltas[column] += delta

    def _creator(self, creator_id: int, column: int, delta: int) -> None:
        deltas = self.creator_deltas.get(creator_id)
        if deltas is None:
            deltas = self.creator_deltas[creator_id] = [0, 0, 0]
        deltas[column] += delta

    def _creator_of(self, item: BulkItem) -> int:
        creator = self.creators.get(item.target_id)
        if creator is None:
            raise VideoNotFound(f"video {item.target_id} does not exist")
        return creator

    def _device(self, item: BulkItem) -> int | None:
        return self.devices[(item.device_key, item.user_agent or "")] if item.device_key else None

    def _like(self, item: BulkItem) -> _Decision:
        # The hot path of every bulk load: the helpers (`_creator_of`, `_device`, `_video`,
        # `_creator`, `_accept`) spelled out inline, the same steps in the same order
        # (issue #18: each call is about 0.1 µs of a like's budget of 10).
        account_id, video_id = item.account_id, item.target_id
        creator = self.creators.get(video_id)
        if creator is None:
            raise VideoNotFound(f"video {video_id} does not exist")
        pair = (account_id, video_id)
        existing = self.likes.get(pair)
        if existing is not None:
            return ("existing", existing, -1)
        like_id = next(self.like_ids)
        device_key, ip = item.device_key, item.ip_prefix
        row = [
            like_id,
            account_id,
            video_id,
            item.source,
            self.devices[(device_key, item.user_agent or "")] if device_key else None,
            ip,
            self.time(item.at),
            None,
            None,
            network_code(ip),
        ]
        self.like_rows.append(row)
        self.new_likes[like_id] = row
        self.likes[pair] = like_id
        deltas = self.video_deltas.get(video_id)
        if deltas is None:
            self.video_deltas[video_id] = [1, 0, 0]
        else:
            deltas[0] += 1
        deltas = self.creator_deltas.get(creator)
        if deltas is None:
            self.creator_deltas[creator] = [1, 0, 0]
        else:
            deltas[0] += 1
        hold = self.holds.get(self.position)
        if hold is not None:
            self.held[like_id] = hold
        events = self.events
        events.append(("like", like_id))
        return ("created", like_id, len(events) - 1)

    def _unlike(self, item: BulkItem) -> _Decision:
        creator = self._creator_of(item)
        like_id = self.likes.pop((item.account_id, item.target_id), None)
        if like_id is None:
            raise NotLiked(f"account {item.account_id} has not liked video {item.target_id}")
        at = self.db.time(item.at)
        row = self.new_likes.get(like_id)
        if row is not None:
            row[_REMOVED_AT], row[_REMOVED_SOURCE] = at, item.source
            self.held.pop(like_id, None)  # held and withdrawn in the same batch
        else:
            self.like_removals.append((at, item.source, like_id))
            self.removed_existing.append((like_id, item.target_id))
        self._video(item.target_id, 0, -1)
        self._creator(creator, 0, -1)
        return self._accept("removed", "unlike", like_id)

    def _comment(self, item: BulkItem) -> _Decision:
        self._creator_of(item)
        comment_id = next(self.ids["comments"])
        self.rows["comments"].append(
            [
                comment_id,
                item.account_id,
                item.target_id,
                item.body,
                item.source,
                self._device(item),
                item.ip_prefix,
                self.db.time(item.at),
            ]
        )
        self._video(item.target_id, 1, 1)
        return self._accept("created", "comment", comment_id)

    def _share(self, item: BulkItem) -> _Decision:
        self._creator_of(item)
        share_id = next(self.ids["shares"])
        self.rows["shares"].append(
            [
                share_id,
                item.account_id,
                item.target_id,
                item.channel,
                item.source,
                self._device(item),
                item.ip_prefix,
                self.db.time(item.at),
            ]
        )
        self._video(item.target_id, 2, 1)
        return self._accept("created", "share", share_id)

    def _follow(self, item: BulkItem) -> _Decision:
        kind = self.kinds.get(item.target_id)
        if kind is None:
            raise AccountNotFound(f"account {item.target_id} does not exist")
        if kind != "creator":
            raise InvalidInput(
                f"account {item.target_id} is not a creator; only creators can be followed",
                field="target_id",
            )
        if item.target_id == item.account_id:
            raise Forbidden("an account cannot follow itself")
        pair = (item.account_id, item.target_id)
        existing = self.follows.get(pair)
        if existing is not None:
            return ("existing", existing, -1)
        follow_id = next(self.ids["follows"])
        row = [follow_id, item.account_id, item.target_id, item.source, self.db.time(item.at), None]
        self.rows["follows"].append(row)
        self.new_follows[follow_id] = row
        self.follows[pair] = follow_id
        self._creator(item.target_id, 1, 1)
        return self._accept("created", "follow", follow_id)

    def _unfollow(self, item: BulkItem) -> _Decision:
        follow_id = self.follows.pop((item.account_id, item.target_id), None)
        if follow_id is None:
            raise NotFollowing(f"account {item.account_id} does not follow {item.target_id}")
        at = self.db.time(item.at)
        row = self.new_follows.get(follow_id)
        if row is not None:
            row[_FOLLOW_REMOVED_AT] = at
        else:
            self.follow_removals.append((at, follow_id))
        self._creator(item.target_id, 1, -1)
        return self._accept("removed", "unfollow", follow_id)

    def write(self) -> int:
        """Write everything decided; returns the seq of the batch's first event."""
        # Removals first: a pair unliked and liked again in this batch must free the unique
        # active-like slot before the new like takes it.
        self.db.remove("likes", self.like_removals, with_source=True)
        self.db.remove("follows", self.follow_removals, with_source=False)
        for table, columns in (
            ("likes", LIKE_COLUMNS),
            ("follows", FOLLOW_COLUMNS),
            ("comments", COMMENT_COLUMNS),
            ("shares", SHARE_COLUMNS),
        ):
            self.db.insert(table, columns, self.rows[table])
        self.db.add_video_counters(self.video_deltas)
        self.db.add_creator_counters(self.creator_deltas)
        self._write_holds()
        return self.db.append_events(self.events)

    def _write_holds(self) -> None:
        """Holds of the likes made in this batch; removed likes leave pending and revoked."""
        conn = self.conn
        now = datetime.now(UTC)
        holds_sql.release_removed_likes(conn, self.removed_existing, now)
        for like_id, hold in self.held.items():
            row = self.new_likes[like_id]
            holds_sql.insert_hold(conn, like_id, row[_VIDEO], hold.rule, hold.risk, now)


_HANDLERS: dict[str, Callable[[_Applier, BulkItem], _Decision]] = {
    "like": _Applier._like,
    "unlike": _Applier._unlike,
    "comment": _Applier._comment,
    "share": _Applier._share,
    "follow": _Applier._follow,
    "unfollow": _Applier._unfollow,
}
"""Each kind's step, as plain functions: a map of the applier's bound methods kept on the
applier was a reference cycle, so every batch's rows, maps and lists (about 40,000 objects
for 10,000 likes) waited for the cyclic collector instead of being freed at the batch's end,
and the collector's walks over them were 7% of bulk ingest's CPU time (issue #18)."""


def ingest(
    conn: Connection,
    items: Sequence[BulkItem],
    holds: Mapping[int, HoldLike] | None = None,
    window: TimeWindow = DEFAULT_WINDOW,
    risks: Sequence[int | None] | None = None,
    kinds: Mapping[int, str] | None = None,
    judge: Judge | None = None,
) -> list[ItemResult]:
    """Apply `items` in order inside the caller's transaction; one result per item.

    `holds` maps positions in `items` to the hold a real-time rule decided for that like;
    a held like that is created gets status `created` and `held` True. `risks`, by
    position, is the real-time rules' score each result carries (None: not judged).
    With `judge`, the rules judge each valid like in turn instead (`Judge`), and the holds
    and risks are theirs. `kinds` are accounts' kinds the caller already read (accounts are
    never deleted nor change kind); the others are read here. An item whose `at` is outside
    `window` is refused alone.
    """
    with collector_paused():
        return _ingest(conn, items, holds or {}, window, risks, kinds or {}, judge)


def _ingest(
    conn: Connection,
    items: Sequence[BulkItem],
    holds: Mapping[int, HoldLike],
    window: TimeWindow,
    risks: Sequence[int | None] | None,
    kinds: Mapping[int, str],
    judge: Judge | None = None,
) -> list[ItemResult]:
    now = datetime.now(UTC)
    earliest, latest = window.earliest, now + window.skew
    checked = [
        item  # the common case, spelled out: a plain like in UTC within the window
        if item.kind == "like"
        and item.source in _PLAIN_SOURCES
        and item.at.tzinfo is UTC
        and earliest <= item.at <= latest
        and 1 <= item.account_id <= MAX_ID
        and 1 <= item.target_id <= MAX_ID
        else _checked(item, now, window)
        for item in items
    ]
    db = BulkSQL(conn)
    try:
        valid = [c for c in checked if isinstance(c, BulkItem)]
        applier = _Applier(conn, valid, holds, db, kinds, judge, len(items))
        decisions = None if judge is None else _judged_together(applier, checked, judge)
        if decisions is None:
            if judge is not None:  # judged like by like, from the start
                applier = _Applier(conn, valid, holds, db, kinds, judge, len(items))
            decisions = [
                c if isinstance(c, ItemResult) else applier.apply(c, i)
                for i, c in enumerate(checked)
            ]
        first_seq = applier.write()
    finally:
        db.close()
    held = applier.held
    if judge is not None:
        risks = applier.risks
    return [
        _result(d, first_seq, held, risk)
        for d, risk in zip(decisions, risks or [None] * len(decisions), strict=True)
    ]


def _judged_together(
    applier: _Applier, checked: Sequence[BulkItem | ItemResult], judge: Judge
) -> list[_Decision | ItemResult] | None:
    """The batch applied first as if the rules admitted every like, then its likes judged
    together (`Judge.admit_batch`), knowing which of them that made; None when the judge
    says only like-by-like judging can decide, and then `applier` must not be written.

    When no like is refused, judging like by like admits them all, so each item does
    exactly what it did here, and the rules see the same likes created in the same order:
    the verdicts are the same, and so are the rows (issue #18: set-based rules per batch).
    """
    applier.judge = None
    decisions = [
        c if isinstance(c, ItemResult) else applier.apply(c, i) for i, c in enumerate(checked)
    ]
    applier.judge = judge
    kinds = applier.kinds
    judged: list[int] = []  # the likes the rules judge: those of existing accounts
    likes: list[BulkItem] = []
    for i, c in enumerate(checked):
        if isinstance(c, BulkItem) and c.kind == "like" and c.account_id in kinds:
            judged.append(i)
            likes.append(c)
    created = [_created(decisions[i]) for i in judged]
    verdicts = judge.admit_batch(likes, created)
    if verdicts is None:
        return None
    removed = _REMOVED_AT
    for position, made, (hold, risk) in zip(judged, created, verdicts, strict=True):
        applier.risks[position] = risk
        if hold is not None and made:
            like_id = decisions[position][1]
            assert isinstance(like_id, int)
            if applier.new_likes[like_id][removed] is None:  # not unliked later in the batch
                applier.held[like_id] = hold
    return decisions


def _created(decision: _Decision | ItemResult) -> bool:
    return not isinstance(decision, ItemResult) and decision[0] == "created"


def _result(
    decision: _Decision | ItemResult, first_seq: int, held: Mapping[int, object], risk: int | None
) -> ItemResult:
    if isinstance(decision, ItemResult):
        return decision if risk is None else decision._replace(risk=risk)
    status, row_id, event = decision
    seq = first_seq + event if event >= 0 else None
    return ItemResult(status, row_id, seq, None, None, row_id in held, risk)


def ingest_op(
    items: Sequence[BulkItem],
    holds: Mapping[int, HoldLike] | None = None,
    window: TimeWindow = DEFAULT_WINDOW,
    risks: Sequence[int | None] | None = None,
    kinds: Mapping[int, str] | None = None,
    judge: Judge | None = None,
) -> WriteFn[list[ItemResult]]:
    """`ingest` as a write function for the store's writer."""
    return lambda conn: ingest(conn, items, holds, window, risks, kinds, judge)
