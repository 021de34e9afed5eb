"""InteractionService from a plain thread: library and CLI callers get the real-time rules
and the stored like, as API callers do."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from plaudit.config import Settings
from plaudit.errors import RateLimited
from plaudit.interactions import BulkItem
from plaudit.platform import Platform


@pytest.fixture
def tight(sqlite_settings: Settings) -> Iterator[Platform]:
    settings = sqlite_settings.with_values(
        rule_account_hold_per_min=1, rule_account_limit_per_min=3
    )
    platform = Platform(settings).open()
    yield platform
    platform.close()


def test_like_sync_passes_the_rules_and_a_repeat_is_the_stored_like(tight: Platform) -> None:
    creator = tight.accounts.create("maker", "creator")[0].id
    videos = [tight.videos.publish(creator, f"v{i}", "food").id for i in range(4)]
    fan = tight.accounts.create("fan")[0].id
    outcomes = [tight.interactions.like_sync(fan, v) for v in videos[:2]]
    assert [o.held for o in outcomes] == [False, True]
    again = tight.interactions.like_sync(fan, videos[1])
    assert not again.created
    assert (again.seq, again.risk, again.held) == (outcomes[1].seq, outcomes[1].risk, True)
    tight.interactions.like_sync(fan, videos[2])  # the repeat did not count: third like
    with pytest.raises(RateLimited):
        tight.interactions.like_sync(fan, videos[3])


def test_bulk_sync_screens_likes_in_order(tight: Platform) -> None:
    creator = tight.accounts.create("maker", "creator")[0].id
    videos = [tight.videos.publish(creator, f"v{i}", "food").id for i in range(4)]
    fan = tight.accounts.create("fan")[0].id
    now = datetime.now(UTC)
    results = tight.interactions.bulk_sync([BulkItem("like", fan, v, now) for v in videos])
    assert [r.status for r in results] == ["created", "created", "created", "error"]
    assert [r.held for r in results] == [False, True, True, False]
    assert results[3].error_type is not None
    assert results[3].error_type.endswith("rate-limited")
    assert all(isinstance(r.risk, int) for r in results[:3])
