"""The service's bulk likes against the same likes sent one at a time, rules on, both engines.

Bulk ingest promises the outcome of sending its items one by one, in order, through
`InteractionService.like_sync`: the same real-time rules decide the same holds, risks and
refusals, and the same rows, counters, holds and refusal records are written. Each example
makes two identical small worlds (a creator with two videos, four fans, their devices and
networks), sends a random sequence of likes to one as a bulk batch (split at random points)
and to the other one by one, and compares every result and every stored row between them.
The limits are low, so holds and refusals happen in most examples.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from plaudit.config import Settings
from plaudit.errors import PlauditError
from plaudit.interactions import BulkItem, ItemResult
from plaudit.interactions.model import Device
from plaudit.platform import Platform
from plaudit.store import tables

_worlds = itertools.count()


@pytest.fixture
def strict(backend_settings: Settings) -> Iterator[Platform]:
    """A platform whose rules hold and refuse after a few likes (memory windows)."""
    limits = backend_settings.with_values(
        rule_account_hold_per_min=2,
        rule_account_limit_per_min=4,
        rule_device_hold_per_min=3,
        rule_device_limit_per_min=5,
        rule_ip_hold_per_min=4,
        rule_device_accounts_hold=1,
        rule_device_accounts_limit=2,
        rule_new_account_hold_per_hour=3,
    )
    opened = Platform(limits).open()
    yield opened
    opened.close()


@dataclass(frozen=True)
class World:
    """Fresh accounts and videos, and device keys and networks no other world uses."""

    number: int
    fans: tuple[int, ...]
    videos: tuple[int, ...]

    def device(self, index: int) -> Device:
        if index == 0:
            return Device()
        # 8.8.0.0/16 and up are public: counted by the IP rule
        return Device(f"w{self.number}-dev{index}", "test/1", f"8.{self.number % 250}.{index}.0/24")


def make_world(platform: Platform) -> World:
    number = next(_worlds)
    creator = platform.accounts.create(f"maker{number}", "creator")[0].id
    videos = tuple(platform.videos.publish(creator, f"clip {i}", "food").id for i in range(2))
    fans = tuple(platform.accounts.create(f"fan{number}-{i}")[0].id for i in range(4))
    return World(number, fans, videos)


Like = tuple[int, int, int]  # (fan, video, device) indexes into a world

likes = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 1), st.integers(0, 2)), min_size=1, max_size=30
)


def one_by_one(platform: Platform, world: World, sent: list[Like]) -> list[tuple[object, ...]]:
    """Each like through `like_sync`: (status, held, risk, error type, like id, seq)."""
    outcomes: list[tuple[object, ...]] = []
    for fan, video, device in sent:
        try:
            got = platform.interactions.like_sync(
                world.fans[fan], world.videos[video], "app", world.device(device)
            )
        except PlauditError as exc:
            outcomes.append(("error", False, None, exc.type, None, None))
            continue
        status = "created" if got.created else "existing"
        outcomes.append((status, got.held, got.risk, None, got.like.id, got.seq))
    return outcomes


def in_bulk(
    platform: Platform, world: World, sent: list[Like], cuts: list[int]
) -> list[tuple[object, ...]]:
    """The same likes through `bulk_sync`, in batches split at `cuts`."""
    items = []
    for fan, video, device in sent:
        d = world.device(device)
        at = datetime.now(UTC)
        items.append(
            BulkItem(
                "like",
                world.fans[fan],
                world.videos[video],
                at,
                "app",
                d.device_key,
                d.user_agent,
                d.ip_prefix,
            )
        )
    results: list[ItemResult] = []
    bounds = sorted({0, len(items), *(c for c in cuts if c < len(items))})
    for start, stop in itertools.pairwise(bounds):
        results += platform.interactions.bulk_sync(items[start:stop])
    return [(r.status, r.held, r.risk, r.error_type, r.id, r.seq) for r in results]


def relative(outcomes: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """Outcomes with ids as ranks and seqs as offsets from the first created like's (the
    two worlds' likes have different ids, and PostgreSQL's id sequence may leave gaps; their
    order must be the same, and seqs are dense on both engines). A like sent again
    is compared by status and id only: bulk's answer for it carries no seq, hold or risk
    (`ItemResult`), where `like_sync` returns the stored like's."""
    created = [o for o in outcomes if o[0] == "created"]
    rank = {like_id: r for r, like_id in enumerate(sorted({o[4] for o in created}))}  # type: ignore[type-var]
    first_seq = created[0][5] if created else 0
    shifted = []
    for status, held, risk, error, like_id, seq in outcomes:
        if status == "existing":
            held = risk = seq = None
        shifted.append(
            (
                status,
                held,
                risk,
                error,
                rank.get(like_id),
                None if seq is None else seq - first_seq,  # type: ignore[operator]
            )
        )
    return shifted


def stored(platform: Platform, world: World) -> dict[str, object]:
    """A world's likes, holds, counters and refusal records, by index within the world."""
    fan_index = {fan: i for i, fan in enumerate(world.fans)}
    video_index = {video: i for i, video in enumerate(world.videos)}
    lk, hd, vc, rr = tables.likes, tables.holds, tables.video_counters, tables.rule_refusals
    with platform.db.read() as conn:
        rows = conn.execute(
            select(lk.c.id, lk.c.account_id, lk.c.video_id, lk.c.ip_prefix, lk.c.removed_at)
            .where(lk.c.video_id.in_(world.videos))
            .order_by(lk.c.id)
        ).all()
        held = dict(
            conn.execute(
                select(hd.c.like_id, hd.c.rule).where(hd.c.video_id.in_(world.videos))
            ).all()
        )
        counters = conn.execute(
            select(vc.c.video_id, vc.c.likes, vc.c.pending)
            .where(vc.c.video_id.in_(world.videos))
            .order_by(vc.c.video_id)
        ).all()
        refusals = conn.execute(
            select(rr.c.rule, rr.c.video_id).where(rr.c.video_id.in_(world.videos))
        ).all()
    return {
        "likes": [
            (fan_index[r.account_id], video_index[r.video_id], r.ip_prefix is None, r.removed_at)
            for r in rows
        ],
        "holds": [held.get(r.id) for r in rows],
        "counters": [(video_index[c.video_id], c.likes, c.pending) for c in counters],
        "refusals": Counter((r.rule, video_index[r.video_id]) for r in refusals),
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(likes, st.lists(st.integers(0, 30), max_size=4))
# one fan on one device: held at the third like of the minute, refused after the fourth
@example(sent=[(0, 0, 1), (0, 1, 1), (0, 0, 1), (1, 0, 1), (1, 1, 1), (2, 0, 1)], cuts=[])
# three fans on one device: the device-sharing rule holds the second, refuses the third
@example(sent=[(0, 0, 1), (1, 0, 1), (2, 0, 1), (2, 1, 2), (2, 1, 2)], cuts=[2])
def test_bulk_likes_match_the_same_likes_one_by_one(
    strict: Platform, sent: list[Like], cuts: list[int]
) -> None:
    alone, together = make_world(strict), make_world(strict)
    expected = one_by_one(strict, alone, sent)
    got = in_bulk(strict, together, sent, cuts)
    assert relative(got) == relative(expected)
    assert stored(strict, together) == stored(strict, alone)


def test_the_examples_exercise_holds_and_refusals(strict: Platform) -> None:
    """The limits above do make the rules hold and refuse (the property is not vacuous)."""
    world = make_world(strict)
    sent = [(0, 0, 1), (0, 1, 1), (0, 0, 1), (1, 0, 1), (1, 1, 1), (2, 0, 1)]
    statuses = [(o[0], o[1], o[3]) for o in in_bulk(strict, world, sent, [])]
    assert ("created", True, None) in statuses
    assert any(status == "error" and error for status, _, error in statuses)


# likes and unlikes: (fan, video, device, kind)
Item = tuple[int, int, int, str]
mixed = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.integers(0, 2),  # video 2 does not exist
        st.integers(0, 2),
        st.sampled_from(["like", "like", "like", "unlike"]),
    ),
    min_size=1,
    max_size=40,
)


def mixed_items(world: World, sent: list[Item]) -> list[BulkItem]:
    items = []
    for fan, video, device, kind in sent:
        d = world.device(device)
        target = world.videos[video] if video < len(world.videos) else max(world.videos) + 10**9
        items.append(
            BulkItem(
                kind,
                world.fans[fan],
                target,
                datetime.now(UTC),
                "app",
                d.device_key,
                d.user_agent,
                d.ip_prefix,
            )
        )
    return items


def bulk_outcomes(platform: Platform, items: list[BulkItem]) -> list[tuple[object, ...]]:
    results = platform.interactions.bulk_sync(items)
    outcomes = [(r.status, r.held, r.risk, r.error_type, r.id, r.seq) for r in results]
    created = [o for o in outcomes if o[0] in ("created", "removed")]
    rank = {like_id: r for r, like_id in enumerate(sorted({o[4] for o in created}))}  # type: ignore[type-var]
    first_seq = min((o[5] for o in created), default=0)  # type: ignore[type-var]
    return [
        (s, h, r, e, rank.get(i), None if q is None else q - first_seq)  # type: ignore[operator]
        for s, h, r, e, i, q in outcomes
    ]


def rows(platform: Platform, world: World) -> dict[str, object]:
    """`stored`, with each like's removal as whether it was removed."""
    got = stored(platform, world)
    got["likes"] = [(f, v, ip, removed is not None) for f, v, ip, removed in got["likes"]]  # type: ignore[attr-defined]
    return got


def judged_in_order(platform: Platform, items: list[BulkItem]) -> list[tuple[object, ...]]:
    """The batch through bulk ingest with the set-based judging declined, so its likes are
    judged one at a time in the batch's transaction (the path taken when one is refused)."""
    rules = platform.rules
    rules.admit_batch = lambda likes, counted: None  # type: ignore[method-assign]
    try:
        return bulk_outcomes(platform, items)
    finally:
        del rules.admit_batch


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mixed)
def test_likes_judged_together_match_likes_judged_in_order(
    loose: Platform, sent: list[Item]
) -> None:
    """Issue #18: a batch's likes judged set-based (`RuleEngine.admit_batch`) give every
    item the result, and the store the rows, that judging them one at a time gives: likes
    again, unknown videos, unlikes of likes made (and held) earlier in the batch."""
    together, in_order = make_world(loose), make_world(loose)
    got = bulk_outcomes(loose, mixed_items(together, sent))
    expected = judged_in_order(loose, mixed_items(in_order, sent))
    assert got == expected
    assert rows(loose, together) == rows(loose, in_order)


@pytest.fixture
def loose(backend_settings: Settings) -> Iterator[Platform]:
    """Limits that hold often and refuse rarely, so most batches are judged set-based; the
    windows in memory on both engines (PostgreSQL's shared windows are judged in order)."""
    limits = backend_settings.with_values(
        rules_counter_store="memory",
        rule_account_hold_per_min=2,
        rule_account_limit_per_min=100,
        rule_device_hold_per_min=3,
        rule_device_limit_per_min=100,
        rule_ip_hold_per_min=4,
        rule_device_accounts_hold=1,
        rule_device_accounts_limit=100,
        rule_new_account_hold_per_hour=3,
    )
    opened = Platform(limits).open()
    yield opened
    opened.close()


def test_a_batch_without_refusals_is_judged_together(loose: Platform) -> None:
    """The property above compares the set-based path, not the in-order one twice: a batch
    no limit refuses is judged by `admit_batch`, and its holds are kept."""
    world = make_world(loose)
    calls: list[object] = []
    judge = loose.rules.admit_batch

    def spy(likes: object, counted: object) -> object:
        calls.append(verdicts := judge(likes, counted))  # type: ignore[arg-type]
        return verdicts

    loose.rules.admit_batch = spy  # type: ignore[method-assign]
    try:
        results = loose.interactions.bulk_sync(
            mixed_items(world, [(0, 0, 1, "like"), (0, 1, 1, "like"), (1, 0, 1, "like")])
        )
    finally:
        del loose.rules.admit_batch
    assert len(calls) == 1
    assert calls[0] is not None
    assert [r.status for r in results] == ["created"] * 3
    assert any(r.held for r in results)
