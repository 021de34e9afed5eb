"""A run of likes queued together: the writer does them as one set of statements on SQLite
(`interactions.service._likes_together`) and as each like's one statement, all sent in one
round trip, on PostgreSQL; either way every like's rows, counters, seq, hold and answer are
those of the like done alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.store.test_store_writer import in_one_batch

from plaudit.config import Settings
from plaudit.errors import PlauditError, VideoNotFound
from plaudit.interactions import service as service_module
from plaudit.interactions.model import Device, network_code
from plaudit.interactions.service import NO_DEVICE, Hold, LikeOutcome, like_op, unlike_op
from plaudit.platform import Platform
from plaudit.store import tables

service_sql = service_module.sql
AT = datetime(2026, 12, 4, 12, tzinfo=UTC)
PHONE = Device("phone-1", "PlauditApp/3", "10.1.2.0/24")


@pytest.fixture
def served(backend_settings: Settings) -> Iterator[Platform]:
    """A platform with the writer thread started, as `plaudit serve` runs it."""
    platform = Platform(backend_settings).open(writer_thread=True)
    yield platform
    platform.close()


def _world(platform: Platform) -> tuple[int, list[int], list[int]]:
    creator = platform.accounts.create("maker", "creator")[0].id
    videos = [platform.videos.publish(creator, f"v{i}", "food").id for i in range(3)]
    fans = [platform.accounts.create(f"fan{i}")[0].id for i in range(5)]
    return creator, videos, fans


def _scalar(platform: Platform, statement: Any) -> Any:
    with platform.db.read() as conn:
        return conn.execute(statement).scalar()


def test_a_run_of_likes_writes_what_each_like_alone_writes(
    served: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    creator, (v1, v2, v3), fans = _world(served)
    before = served.db.write(like_op(fans[0], v1, "app", NO_DEVICE, AT))
    reads: list[int] = []  # the run's reads: one for the whole run on SQLite
    read_together = service_sql.creators_and_active_likes
    trips: list[int] = []  # PostgreSQL: the run's statements, sent in one round trip
    sent_together = service_sql.likes_in_one_round_trip

    def counted(conn: Any, pairs: Any) -> Any:
        reads.append(len(pairs))
        return read_together(conn, pairs)

    def sent(conn: Any, likes: Any) -> Any:
        trips.append(len(likes))
        return sent_together(conn, likes)

    monkeypatch.setattr(service_sql, "creators_and_active_likes", counted)
    monkeypatch.setattr(service_sql, "likes_in_one_round_trip", sent)
    ops = [
        like_op(fans[1], v1, "app", NO_DEVICE, AT),
        like_op(fans[2], v1, "web", NO_DEVICE, AT),
        like_op(fans[1], v1, "app", NO_DEVICE, AT),  # again, within the run
        like_op(fans[3], 999_999, "app", NO_DEVICE, AT),  # no such video
        like_op(fans[0], v1, "app", NO_DEVICE, AT),  # liked before the run
        like_op(fans[4], v2, "app", NO_DEVICE, AT, Hold("account_velocity", 70)),
        like_op(fans[2], v3, "app", PHONE, AT),
        like_op(fans[3], v3, "app", PHONE, AT),  # the same device, new in this run
    ]
    results = in_one_batch(served.db, ops)
    sqlite = served.db.dialect == "sqlite"
    assert (reads, trips) == (([8], []) if sqlite else ([], [8]))

    assert isinstance(results[3], VideoNotFound)
    outcomes: list[LikeOutcome] = [r for i, r in enumerate(results) if i != 3]
    assert [o.created for o in outcomes] == [True, True, False, False, True, True, True]
    first, second, again, old, held, phone_a, phone_b = outcomes
    assert (again.like.id, again.seq, again.created) == (first.like.id, first.seq, False)
    assert (old.like.id, old.seq) == (before.like.id, before.seq)
    assert second.like.source == "web"
    new = [first, second, held, phone_a, phone_b]
    assert [o.seq for o in new] == list(range(before.seq + 1, before.seq + 6)), "dense, in order"
    assert [o.like.id for o in new] == sorted(o.like.id for o in new)
    assert held.held
    assert not any(o.held for o in (first, second, phone_a, phone_b))
    assert phone_a.like.device_id is not None
    assert phone_a.like.device_id == phone_b.like.device_id
    assert phone_a.like.ip_prefix == "10.1.2.0/24"

    assert [served.videos.get(v).likes for v in (v1, v2, v3)] == [3, 1, 2]
    assert served.videos.get(v2).pending == 1
    counters = tables.creator_counters
    assert _scalar(served, select(counters.c.likes).where(counters.c.creator_id == creator)) == 6
    events = tables.events
    assert _scalar(served, select(func.count()).select_from(events)) == 6
    assert _scalar(served, select(func.max(events.c.seq))) == before.seq + 5
    for outcome in new:
        seq = select(events.c.seq).where(
            (events.c.ref_id == outcome.like.id) & (events.c.kind == "like")
        )
        assert _scalar(served, seq) == outcome.seq
    assert _scalar(served, select(tables.holds.c.risk)) == 70
    # liking again after the run answers from what the run stored
    repeat = served.db.write(like_op(fans[4], v2, "app", NO_DEVICE, AT))
    assert (repeat.created, repeat.seq, repeat.held, repeat.risk) == (False, held.seq, True, 70)


def test_a_run_of_likes_and_other_writes_keeps_their_order(served: Platform) -> None:
    """An unlike queued between two likes of the same pair runs between them: the pair ends
    liked again, with the history of both likes."""
    _, (v1, _, _), fans = _world(served)
    service = served.interactions
    results = in_one_batch(
        served.db,
        [
            like_op(fans[0], v1, "app", NO_DEVICE, AT),
            like_op(fans[1], v1, "app", NO_DEVICE, AT),
            unlike_op(fans[0], v1, "app", AT),
            like_op(fans[0], v1, "app", NO_DEVICE, AT),
            like_op(fans[2], v1, "app", NO_DEVICE, AT),
        ],
    )
    first, _, unliked, again, _ = results
    assert unliked.id == first.like.id
    assert unliked.removed_at is not None
    assert again.created
    assert again.like.id != first.like.id
    assert again.seq == unliked_seq(served, unliked.id) + 1
    assert served.videos.get(v1).likes == 3
    assert [like.id for like in service.likes_of(fans[0], None, 10)] == [
        again.like.id,
        first.like.id,
    ]


def unliked_seq(platform: Platform, like_id: int) -> int:
    events = tables.events
    statement = select(events.c.seq).where(
        (events.c.ref_id == like_id) & (events.c.kind == "unlike")
    )
    return int(_scalar(platform, statement))


def test_a_run_of_likes_keeps_each_like_s_network(served: Platform) -> None:
    """The platform scan groups likes by `likes.network` (issue 19): a like written in a
    run carries the same code as a like written alone."""
    _, (v1, v2, _), fans = _world(served)
    public = Device("phone-2", "PlauditApp/3", "81.2.69.0/24")
    results = in_one_batch(
        served.db,
        [
            like_op(fans[0], v1, "app", public, AT),
            like_op(fans[1], v1, "app", PHONE, AT),
            like_op(fans[2], v2, "app", NO_DEVICE, AT),
        ],
    )
    likes = tables.likes
    for outcome in results:
        stored = select(likes.c.network).where(likes.c.id == outcome.like.id)
        assert _scalar(served, stored) == network_code(outcome.like.ip_prefix)
    assert network_code("81.2.69.0/24") is not None


def test_a_like_that_fails_in_a_run_fails_alone_and_the_others_are_written(
    served: Platform,
) -> None:
    """A like whose statement fails (here an account that does not exist: a foreign key)
    fails the run's statements; the batch runs again like by like, so that like gets the
    error it gets alone and every other like of the run is written, in order."""
    _, (v1, v2, _), fans = _world(served)
    missing_account = 999_999
    alone = served.db.write
    with pytest.raises(PlauditError) as failed_alone:
        alone(like_op(missing_account, v2, "app", NO_DEVICE, AT))
    results = in_one_batch(
        served.db,
        [
            like_op(fans[0], v1, "app", NO_DEVICE, AT),
            like_op(missing_account, v1, "app", NO_DEVICE, AT),
            like_op(fans[1], v1, "app", NO_DEVICE, AT),
        ],
    )
    first, failed, last = results
    assert type(failed) is type(failed_alone.value)
    assert failed.status == failed_alone.value.status
    assert (first.created, last.created) == (True, True)
    assert last.seq == first.seq + 1, "the failed like took no place in the sequence"
    assert served.videos.get(v1).likes == 2
    events = tables.events
    assert _scalar(served, select(func.count()).select_from(events)) == 2
