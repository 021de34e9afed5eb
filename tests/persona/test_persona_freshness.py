"""What an operator sees of the persona index: its freshness from the manifest, a refresh
through the service, and the exact-count access log (DATA_DIR/persona-access.log)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from plaudit.config import Settings
from plaudit.persona.service import ACCESS_LOG
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community

SMALL = CommunitySize("fresh", accounts=300, creators=8, videos=30, interactions=3000, days=20)


@pytest.fixture
def loaded(backend_settings: Settings) -> Iterator[Platform]:
    platform = Platform(backend_settings).open()
    load_community(platform.db, SMALL, seed=2, end=datetime.now(UTC), show_progress=False)
    yield platform
    platform.close()


def test_freshness_follows_refreshes_and_new_events(loaded: Platform) -> None:
    persona = loaded.persona
    assert persona.freshness() is None  # no index yet
    stages: list[str] = []
    first = persona.refresh(progress=stages.append)
    assert first.full
    assert stages == ["profiles", "interactions", "interests", "devices", "follows", "bitmaps"]
    fresh = persona.freshness()
    assert fresh is not None
    assert fresh.mode == "full"
    assert fresh.events_behind == 0
    assert fresh.accounts_since == 0
    assert fresh.accounts == len(first.index.universe)
    assert fresh.full_due == ""
    newcomer = loaded.accounts.create("newcomer", "fan")[0].id
    loaded.interactions.like_sync(newcomer, 1)
    loaded.interactions.like_sync(newcomer, 2)
    behind = persona.freshness()
    assert behind is not None
    assert (behind.events_behind, behind.accounts_since) == (2, 1)
    persona.refresh()
    after = persona.freshness()
    assert after is not None
    assert after.mode == "incremental"
    assert after.as_of > fresh.as_of
    assert after.events_behind == 0


def test_the_access_log_lists_exact_counts_newest_first(loaded: Platform) -> None:
    persona = loaded.persona
    assert persona.access_log() == (0, [])
    persona.refresh()
    persona.exact_count("gender = female", "account:7")
    persona.exact_count("age >= 30", "account:8")
    total, entries = persona.access_log(1)
    assert total == 2
    assert [(e["operator"], e["action"], e["expr"]) for e in entries] == [
        ("account:8", "exact-count", "age >= 30")
    ]
    # a line cut short (a crash mid-write) is shown as it is, never dropped
    with (loaded.settings.data_path / ACCESS_LOG).open("a") as handle:
        handle.write('{"at": "2026-12-0\n')
    total, entries = persona.access_log()
    assert total == 3
    assert entries[0]["action"] == "unreadable"
    assert [e["expr"] for e in entries[1:]] == ["age >= 30", "gender = female"]
