"""Bulk ingest against a reference model: statuses, ids, counters and the event sequence.

Bulk promises the semantics of sending the items one at a time, in order. The property test
applies a random sequence of items over a few accounts and videos, split into random
batches, and compares every result, every counter and every event with a small in-memory
model that applies the items one by one.
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from plaudit.config import Settings
from plaudit.interactions import BulkItem, ItemResult, ingest_op
from plaudit.interactions.bulk import collector_paused
from plaudit.interactions.bulk_model import KINDS
from plaudit.platform import Platform
from plaudit.store import EVENTS, tables

MISSING = 10**9  # an id no account or video has
_handles = itertools.count()


@pytest.fixture
def fast_platform(sqlite_settings: Settings) -> Iterator[Platform]:
    """The `platform` fixture with synchronous=normal: the property test commits a lot."""
    opened = Platform(sqlite_settings.with_values(sqlite_synchronous="normal")).open()
    yield opened
    opened.close()


@dataclass(frozen=True)
class World:
    """Fresh accounts and videos made for one example, so examples do not see each other."""

    accounts: tuple[int, ...]  # two fans, then two creators
    kinds: dict[int, str]
    videos: tuple[int, ...]  # two videos of the first creator, one of the second
    creator_of: dict[int, int]


def make_world(platform: Platform) -> World:
    ids: list[int] = []
    kinds: dict[int, str] = {}
    for kind in ("fan", "fan", "creator", "creator"):
        account, _ = platform.accounts.create(f"user{next(_handles)}", kind)
        ids.append(account.id)
        kinds[account.id] = kind
    creators = [ids[2], ids[2], ids[3]]
    videos = [platform.videos.publish(c, "clip", "food").id for c in creators]
    return World(tuple(ids), kinds, tuple(videos), dict(zip(videos, creators, strict=True)))


@dataclass
class Reference:
    """Applies items one by one, as the single-item use cases would."""

    world: World
    now: datetime
    likes: dict[tuple[int, int], int] = field(default_factory=dict)
    follows: dict[tuple[int, int], int] = field(default_factory=dict)
    comments: Counter[int] = field(default_factory=Counter)
    shares: Counter[int] = field(default_factory=Counter)

    def expect(self, item: BulkItem) -> tuple[str, str | None]:
        """(status, error type) the item must get in the current state."""
        if item.kind not in KINDS or item.at.tzinfo is None or item.at > self.now:
            return ("error", "invalid-input")
        if item.source not in ("app", "web"):  # campaign sources go one at a time
            return ("error", "invalid-input")
        if item.kind == "comment" and not (item.body or "").strip():
            return ("error", "invalid-input")
        if item.kind == "share" and item.channel not in ("wechat", "link"):
            return ("error", "invalid-input")
        if item.account_id not in self.world.kinds:
            return ("error", "account-not-found")
        if item.kind in ("like", "unlike", "comment", "share"):
            if item.target_id not in self.world.creator_of:
                return ("error", "video-not-found")
            pair = (item.account_id, item.target_id)
            if item.kind == "like":
                return ("existing", None) if pair in self.likes else ("created", None)
            if item.kind == "unlike":
                return ("removed", None) if pair in self.likes else ("error", "not-liked")
            return ("created", None)
        pair = (item.account_id, item.target_id)
        if item.kind == "follow":
            kind = self.world.kinds.get(item.target_id)
            if kind is None:
                return ("error", "account-not-found")
            if kind != "creator":
                return ("error", "invalid-input")
            if item.target_id == item.account_id:
                return ("error", "forbidden")
            return ("existing", None) if pair in self.follows else ("created", None)
        return ("removed", None) if pair in self.follows else ("error", "not-following")

    def record(self, item: BulkItem, result: ItemResult) -> None:
        """Check the ids of existing/removed rows and remember the ids of new ones."""
        pair = (item.account_id, item.target_id)
        state = self.likes if item.kind in ("like", "unlike") else self.follows
        if result.status == "existing":
            assert result.id == state[pair]
        elif result.status == "removed":
            assert result.id == state.pop(pair)
        elif result.status == "created":
            assert result.id is not None
            if item.kind in ("like", "follow"):
                state[pair] = result.id
            elif item.kind == "comment":
                self.comments[item.target_id] += 1
            else:
                self.shares[item.target_id] += 1


@dataclass(frozen=True)
class Spec:
    """An item before the world exists: indexes into the world's accounts and videos."""

    kind: str
    actor: int  # index into accounts; 4 = a missing account
    video: int  # index into videos; 3 = a missing video
    creator: int  # index into accounts for follows: 2 and 3 are creators, 4 is missing
    source: str
    when: str  # past, soon (within the allowed clock skew), future, naive
    body: str
    channel: str


def mostly(common: str, *rare: str) -> st.SearchStrategy[str]:
    """`common` about four times in five, else one of `rare` (invalid values stay rare so
    that most items apply and the state gets interesting)."""
    return st.sampled_from([common] * 4 * len(rare) + list(rare))


specs = st.builds(
    Spec,
    kind=st.sampled_from(
        ["like"] * 4 + ["unlike"] * 3 + ["follow", "unfollow"] * 2 + ["comment", "share", "repost"]
    ),
    # Few accounts and videos, some favoured, so the same pairs come back often.
    actor=st.sampled_from([0, 0, 0, 0, 2, 2, 1, 3, 4]),
    video=st.sampled_from([0, 0, 0, 1, 1, 2, 3]),
    creator=st.sampled_from([3, 3, 3, 3, 2, 0, 4]),
    source=mostly("app", "web", "campaign:3", "campaign:0"),
    when=mostly("past", "soon", "future", "naive"),
    body=mostly("nice clip", "  trimmed  ", "   "),
    channel=mostly("wechat", "link", "fax"),
)


def build(spec: Spec, world: World, now: datetime, index: int) -> BulkItem:
    accounts = (*world.accounts, MISSING)
    if spec.kind in ("follow", "unfollow"):
        target = accounts[spec.creator]
    else:
        target = (*world.videos, MISSING)[spec.video]
    at = {
        "past": now - timedelta(hours=1, seconds=index),
        "soon": now + timedelta(minutes=2),
        "future": now + timedelta(minutes=10),
        "naive": datetime(2024, 5, 1, 12, 0),
    }[spec.when]
    return BulkItem(
        spec.kind,
        accounts[spec.actor],
        target,
        at,
        source=spec.source,
        body=spec.body,
        channel=spec.channel,
    )


def next_seq(conn: Connection) -> int:
    stmt = select(tables.sequencer.c.next_value).where(tables.sequencer.c.name == EVENTS)
    return int(conn.execute(stmt).scalar_one())


def split(items: Sequence[BulkItem], cuts: Sequence[int]) -> list[Sequence[BulkItem]]:
    points = sorted({c % (len(items) + 1) for c in cuts} | {0, len(items)})
    return [items[a:b] for a, b in itertools.pairwise(points)]


def video_counts(conn: Connection, video_id: int) -> tuple[int, int, int]:
    vc = tables.video_counters.c
    row = conn.execute(
        select(vc.likes, vc.comments, vc.shares).where(vc.video_id == video_id)
    ).one()
    return (int(row[0]), int(row[1]), int(row[2]))


def rows_of(conn: Connection, video_id: int) -> tuple[int, int, int]:
    """What the counters must equal: active likes, comments and shares of a video."""
    lk, cm, sh = tables.likes, tables.comments, tables.shares

    def count(table: object, *where: object) -> int:
        stmt = select(func.count()).select_from(table).where(*where)  # type: ignore[arg-type]
        return int(conn.execute(stmt).scalar_one())

    return (
        count(lk, lk.c.video_id == video_id, lk.c.removed_at.is_(None)),
        count(cm, cm.c.video_id == video_id),
        count(sh, sh.c.video_id == video_id),
    )


def creator_counts(conn: Connection, creator_id: int) -> tuple[int, int, int]:
    cc = tables.creator_counters.c
    row = conn.execute(
        select(cc.videos, cc.likes, cc.followers).where(cc.creator_id == creator_id)
    ).one()
    return (int(row[0]), int(row[1]), int(row[2]))


def creator_rows(conn: Connection, creator_id: int) -> tuple[int, int, int]:
    """What a creator's counters must equal: videos, active likes on them, active follows."""
    v, lk, fl = tables.videos, tables.likes, tables.follows
    videos = conn.execute(
        select(func.count()).select_from(v).where(v.c.creator_id == creator_id)
    ).scalar_one()
    likes = conn.execute(
        select(func.count())
        .select_from(lk.join(v, v.c.id == lk.c.video_id))
        .where(v.c.creator_id == creator_id, lk.c.removed_at.is_(None))
    ).scalar_one()
    followers = conn.execute(
        select(func.count())
        .select_from(fl)
        .where(fl.c.creator_id == creator_id, fl.c.removed_at.is_(None))
    ).scalar_one()
    return (int(videos), int(likes), int(followers))


LIKE = Spec("like", 0, 0, 3, "app", "past", "nice clip", "wechat")
FOLLOW = Spec("follow", 0, 0, 3, "app", "past", "nice clip", "wechat")


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(specs, min_size=1, max_size=60),
    st.lists(st.integers(min_value=0, max_value=60), max_size=10),
)
# A like stored by an earlier batch, then unlike and like again in one batch.
@example(item_specs=[LIKE, dataclasses.replace(LIKE, kind="unlike"), LIKE], cuts=[1])
@example(item_specs=[FOLLOW, dataclasses.replace(FOLLOW, kind="unfollow"), FOLLOW], cuts=[1])
def test_bulk_matches_one_by_one_reference(
    fast_platform: Platform, item_specs: list[Spec], cuts: list[int]
) -> None:
    platform = fast_platform
    world = make_world(platform)
    now = datetime.now(UTC)
    items = [build(spec, world, now, i) for i, spec in enumerate(item_specs)]
    with platform.db.read() as conn:
        first_seq = next_seq(conn)

    results: list[ItemResult] = []
    for batch in split(items, cuts):
        results += platform.db.write(ingest_op(batch))

    assert len(results) == len(items)
    model = Reference(world, now + timedelta(minutes=5))
    sequenced: list[tuple[str, int]] = []
    for item, result in zip(items, results, strict=True):
        status, error_type = model.expect(item)
        assert (result.status, result.error_type) == (status, error_type), (item, result)
        if status == "error":
            assert result.id is None
            assert result.seq is None
            assert result.detail
        elif status == "existing":
            assert result.seq is None
        else:
            assert result.seq == first_seq + len(sequenced), "seqs are dense, in item order"
            assert result.id is not None
            sequenced.append((item.kind, result.id))
        model.record(item, result)

    with platform.db.read() as conn:
        assert next_seq(conn) == first_seq + len(sequenced)
        events = conn.execute(
            select(tables.events.c.kind, tables.events.c.ref_id)
            .where(tables.events.c.seq >= first_seq)
            .order_by(tables.events.c.seq)
        ).all()
        assert [tuple(e) for e in events] == sequenced
        for video in world.videos:
            expected = (
                sum(1 for (_, v) in model.likes if v == video),
                model.comments[video],
                model.shares[video],
            )
            assert video_counts(conn, video) == rows_of(conn, video) == expected
        for creator in world.accounts[2:]:
            own = [v for v, c in world.creator_of.items() if c == creator]
            expected_creator = (
                len(own),
                sum(1 for (_, v) in model.likes if v in own),
                sum(1 for (_, c) in model.follows if c == creator),
            )
            assert creator_counts(conn, creator) == creator_rows(conn, creator)
            assert creator_counts(conn, creator) == expected_creator


def _item(
    kind: str, account: int, target: int, at: datetime | None = None, **fields: str
) -> BulkItem:
    when = at or datetime.now(UTC) - timedelta(minutes=1)
    return BulkItem(kind, account, target, when, **fields)


def test_like_unlike_like_in_one_batch_keeps_history(platform: Platform) -> None:
    world = make_world(platform)
    fan, video = world.accounts[0], world.videos[0]
    results = platform.db.write(
        ingest_op(
            [
                _item("like", fan, video),
                _item("like", fan, video),
                _item("unlike", fan, video, source="web"),
                _item("unlike", fan, video),
                _item("like", fan, video),
            ]
        )
    )
    assert [r.status for r in results] == ["created", "existing", "removed", "error", "created"]
    assert results[0].id == results[1].id == results[2].id != results[4].id
    assert results[3].error_type == "not-liked"
    assert [r.seq for r in results] == [0, None, 1, None, 2]
    with platform.db.read() as conn:
        rows = conn.execute(
            select(tables.likes.c.id, tables.likes.c.removed_at, tables.likes.c.removed_source)
            .where(tables.likes.c.video_id == video)
            .order_by(tables.likes.c.id)
        ).all()
        assert video_counts(conn, video) == (1, 0, 0)
    assert [r.id for r in rows] == [results[0].id, results[4].id]
    assert rows[0].removed_at is not None
    assert rows[0].removed_source == "web"
    assert rows[1].removed_at is None


def test_unlike_and_like_again_of_a_stored_like_in_one_batch(platform: Platform) -> None:
    world = make_world(platform)
    fan, video = world.accounts[0], world.videos[0]
    [first] = platform.db.write(ingest_op([_item("like", fan, video)]))
    removed, again = platform.db.write(
        ingest_op([_item("unlike", fan, video), _item("like", fan, video)])
    )
    assert (removed.status, removed.id, removed.seq) == ("removed", first.id, 1)
    assert (again.status, again.seq) == ("created", 2)
    assert again.id not in (None, first.id)
    with platform.db.read() as conn:
        assert video_counts(conn, video) == (1, 0, 0)
        assert creator_counts(conn, world.creator_of[video]) == (2, 1, 0)


def test_unfollow_and_follow_again_of_a_stored_follow_in_one_batch(platform: Platform) -> None:
    world = make_world(platform)
    fan, creator = world.accounts[0], world.accounts[3]
    [first] = platform.db.write(ingest_op([_item("follow", fan, creator)]))
    removed, again = platform.db.write(
        ingest_op([_item("unfollow", fan, creator), _item("follow", fan, creator)])
    )
    assert (removed.status, removed.id) == ("removed", first.id)
    assert again.status == "created"
    assert again.id != first.id
    with platform.db.read() as conn:
        assert creator_counts(conn, creator) == (1, 0, 1)


def test_future_naive_and_unknown_items_fail_alone(platform: Platform) -> None:
    world = make_world(platform)
    fan, video = world.accounts[0], world.videos[0]
    now = datetime.now(UTC)
    items = [
        _item("like", fan, video, at=now + timedelta(minutes=6)),
        _item("comment", fan, video, body="first!"),
        _item("like", fan, video, at=datetime(2024, 1, 1, 8, 0)),
        _item("share", fan, video, channel="wechat", at=now + timedelta(minutes=4)),
        _item("repost", fan, video),
        _item("like", fan, video, at=now - timedelta(days=400)),
    ]
    results = platform.db.write(ingest_op(items))
    assert [(r.status, r.error_type) for r in results] == [
        ("error", "invalid-input"),
        ("created", None),
        ("error", "invalid-input"),
        ("created", None),
        ("error", "invalid-input"),
        ("created", None),
    ]
    assert "future" in (results[0].detail or "")
    assert "time zone" in (results[2].detail or "")
    assert "repost" in (results[4].detail or "")
    assert [r.seq for r in results] == [None, 0, None, 1, None, 2]
    with platform.db.read() as conn:
        assert video_counts(conn, video) == (1, 1, 1)


def test_times_in_other_zones_are_stored_as_the_same_instant(platform: Platform) -> None:
    world = make_world(platform)
    at = datetime(2024, 6, 1, 20, 30, tzinfo=timezone(timedelta(hours=8)))
    item = _item("like", world.accounts[0], world.videos[0], at=at)
    [result] = platform.db.write(ingest_op([item]))
    with platform.db.read() as conn:
        stored = conn.execute(
            select(tables.likes.c.created_at).where(tables.likes.c.id == result.id)
        ).scalar_one()
    assert stored == at
    assert stored.utcoffset() == timedelta(0)


def test_comment_bodies_are_stored_stripped(platform: Platform) -> None:
    world = make_world(platform)
    [result] = platform.db.write(
        ingest_op([_item("comment", world.accounts[1], world.videos[2], body="  好看 \n")])
    )
    with platform.db.read() as conn:
        body = conn.execute(
            select(tables.comments.c.body).where(tables.comments.c.id == result.id)
        ).scalar_one()
    assert body == "好看"


def test_one_device_key_is_one_device(platform: Platform) -> None:
    world = make_world(platform)
    fan, other = world.accounts[0], world.accounts[1]
    results = platform.db.write(
        ingest_op(
            [
                _item("like", fan, world.videos[0], device_key="dev-1", user_agent="App/1"),
                _item("like", other, world.videos[1], device_key="dev-1", user_agent="App/1"),
                _item("like", fan, world.videos[2], device_key="dev-2", user_agent="App/1"),
            ]
        )
    )
    with platform.db.read() as conn:
        device_ids = [
            conn.execute(
                select(tables.likes.c.device_id).where(tables.likes.c.id == r.id)
            ).scalar_one()
            for r in results
        ]
    assert device_ids[0] == device_ids[1] != device_ids[2]
    assert None not in device_ids


def test_follow_rules(platform: Platform) -> None:
    world = make_world(platform)
    fan, other_fan, creator, other_creator = world.accounts
    results = platform.db.write(
        ingest_op(
            [
                _item("follow", fan, creator),
                _item("follow", fan, creator),
                _item("follow", fan, other_fan),
                _item("follow", creator, creator),
                _item("follow", creator, other_creator),
                _item("unfollow", other_fan, creator),
                _item("unfollow", fan, creator),
                _item("follow", MISSING, creator),
            ]
        )
    )
    assert [(r.status, r.error_type) for r in results] == [
        ("created", None),
        ("existing", None),
        ("error", "invalid-input"),
        ("error", "forbidden"),
        ("created", None),
        ("error", "not-following"),
        ("removed", None),
        ("error", "account-not-found"),
    ]
    with platform.db.read() as conn:
        assert creator_counts(conn, creator) == (2, 0, 0)
        assert creator_counts(conn, other_creator) == (1, 0, 1)


def test_campaign_sources_are_refused_per_item_and_write_nothing(platform: Platform) -> None:
    """A `campaign:<id>` like must pass the campaign policy (opt-in, task videos, limits,
    budget) and be recorded as progress; bulk has no such step, so it refuses the item
    precisely instead of writing an incentivised like that no campaign checked."""
    world = make_world(platform)
    fan, video = world.accounts[0], world.videos[0]
    items = [
        _item("like", fan, video, source="campaign:3"),
        _item("comment", fan, video, body="nice", source="campaign:3"),
        _item("like", fan, world.videos[1], source="web"),
    ]
    results = platform.db.write(ingest_op(items))
    assert [(r.status, r.error_type) for r in results] == [
        ("error", "invalid-input"),
        ("error", "invalid-input"),
        ("created", None),
    ]
    assert "campaign:3" in (results[0].detail or "")
    assert "POST /v1/videos/{video_id}/likes" in (results[0].detail or "")
    with platform.db.read() as conn:
        assert video_counts(conn, video) == (0, 0, 0)
        incentivised = conn.execute(
            select(func.count())
            .select_from(tables.likes)
            .where(tables.likes.c.source.like("campaign:%"))
        ).scalar_one()
    assert incentivised == 0


def test_an_empty_batch_changes_nothing(platform: Platform) -> None:
    assert platform.db.write(ingest_op([])) == []
    with platform.db.read() as conn:
        assert next_seq(conn) == 0


def test_the_collector_is_paused_while_any_batch_runs_and_restored_after() -> None:
    assert gc.isenabled()
    inner_started, outer_may_end = threading.Event(), threading.Event()

    def other_batch() -> None:
        with collector_paused():
            inner_started.set()
            outer_may_end.wait(5)

    with collector_paused():
        assert not gc.isenabled()
        worker = threading.Thread(target=other_batch)
        worker.start()
        inner_started.wait(5)
    assert not gc.isenabled()  # the other thread's batch still runs
    outer_may_end.set()
    worker.join(5)
    assert gc.isenabled()
    gc.disable()  # a process that turned the collector off keeps it off
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
