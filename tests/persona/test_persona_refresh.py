"""Incremental refresh: only changed accounts are recomputed, and the result is the same index
a full rebuild gives; consent withdrawal takes effect at the next refresh."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from plaudit.cli.main import cli
from plaudit.config import load_settings
from plaudit.persona import TagIndex, compute_index
from plaudit.persona.index import index_dir
from plaudit.persona.refresh import FULL_EVERY, refresh_index
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community
from plaudit.store import tables
from plaudit.store.types import utcnow

SIZE = CommunitySize("refresh", accounts=300, creators=10, videos=40, interactions=2500, days=40)


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    settings = load_settings(flags={"data_dir": str(tmp_path / "data")}, env={})
    opened = Platform(settings).open(writer_thread=True)
    load_community(opened.db, SIZE, seed=3, end=utcnow(), show_progress=False)
    yield opened
    opened.close()


def _same(a: TagIndex, b: TagIndex) -> None:
    assert a.universe == b.universe
    assert a.tags == b.tags
    assert {y: m for y, m in a.ages.items() if m} == {y: m for y, m in b.ages.items() if m}


def _ids(platform: Platform, kind: str) -> list[int]:
    a = tables.accounts
    stmt = select(a.c.id).join(tables.profiles, tables.profiles.c.account_id == a.c.id)
    with platform.db.read() as conn:
        return [
            int(i) for i in conn.execute(stmt.where(a.c.kind == kind).order_by(a.c.id)).scalars()
        ]


def _video(platform: Platform, creator: int) -> int:
    v = tables.videos
    with platform.db.read() as conn:
        return int(
            conn.execute(select(v.c.id).where(v.c.creator_id == creator).limit(1)).scalar_one()
        )


def _profiles_updated_at(platform: Platform, iso: str) -> set[int]:
    p = tables.profiles
    stmt = select(p.c.account_id).where(p.c.updated_at == datetime.fromisoformat(iso))
    with platform.db.read() as conn:
        return {int(i) for i in conn.execute(stmt).scalars()}


def test_incremental_equals_a_full_rebuild_and_recomputes_only_changes(
    platform: Platform,
) -> None:
    data = platform.settings.data_path
    now = utcnow()
    first = refresh_index(platform.db, data, now)
    assert first.full
    assert first.reason == "no index yet"
    at_mark = _profiles_updated_at(platform, first.index.meta["profiles_at"])
    fans, creators = _ids(platform, "fan"), _ids(platform, "creator")
    withdrawn, moved, commenter, follower = fans[:4]
    platform.accounts.update_profile(withdrawn, {"consent_targeting": False})
    platform.accounts.update_profile(moved, {"city_tier": "5", "gender": "male"})
    video = _video(platform, creators[0])
    asyncio.run(platform.interactions.comment(commenter, video, "好看"))
    asyncio.run(platform.interactions.share(commenter, video, "wechat"))
    asyncio.run(platform.interactions.follow(follower, creators[1]))
    second = refresh_index(platform.db, data, now)
    assert not second.full
    changed = {withdrawn, moved, commenter, follower, creators[1]}
    # no time passed: nothing else can change, but the watermark is inclusive
    assert second.recomputed == len(changed | at_mark)
    _same(second.index, compute_index(platform.db, now))
    _same(TagIndex.load(data), second.index)
    assert withdrawn in first.index.universe
    assert withdrawn not in second.index.universe
    assert all(withdrawn not in bitmap for bitmap in second.index.tags.values())
    assert moved in second.index.tag("city_tier.5")
    assert moved in second.index.tag("gender.male")


def test_consent_withdrawal_leaves_every_segment_at_the_next_refresh(platform: Platform) -> None:
    data = platform.settings.data_path
    refresh_index(platform.db, data)
    account = _ids(platform, "fan")[5]
    assert platform.persona.contains("role.fan", account)
    platform.accounts.update_profile(account, {"consent_targeting": False})
    assert platform.persona.contains("role.fan", account)  # until the next refresh
    result = refresh_index(platform.db, data)
    assert not result.full
    assert not platform.persona.contains("role.fan", account)
    assert not platform.persona.contains("not role.fan", account)
    platform.accounts.update_profile(account, {"consent_targeting": True})
    refresh_index(platform.db, data)
    assert platform.persona.contains("role.fan", account)


def test_time_passing_recomputes_accounts_leaving_a_window(platform: Platform) -> None:
    data = platform.settings.data_path
    now = utcnow()
    refresh_index(platform.db, data, now)
    later = now + timedelta(days=2)
    result = refresh_index(platform.db, data, later)
    assert not result.full
    assert result.recomputed > 0  # interactions 30-32 and 90-92 days old, tenure steps
    full = compute_index(platform.db, later)
    for family in ("activity", "hours", "tenure"):
        for tag_id, bitmap in full.tags.items():
            if tag_id.startswith(family + "."):
                assert result.index.tags[tag_id] == bitmap, tag_id


def test_full_rebuilds_when_asked_or_stale(platform: Platform) -> None:
    data = platform.settings.data_path
    now = utcnow()
    refresh_index(platform.db, data, now)
    assert refresh_index(platform.db, data, now, full=True).reason == "--full"
    stale = refresh_index(platform.db, data, now + FULL_EVERY + timedelta(hours=1))
    assert stale.full
    assert "days old" in stale.reason
    manifest = index_dir(data) / "manifest.json"
    meta = json.loads(manifest.read_text())
    del meta["events_seq"]
    manifest.write_text(json.dumps(meta))
    assert "no watermarks" in refresh_index(platform.db, data, now).reason


def test_cli_refresh_is_incremental_after_the_first(platform: Platform) -> None:
    data = str(platform.settings.data_path)
    runner = CliRunner()
    first = runner.invoke(cli, ["persona", "refresh", "--data-dir", data])
    assert first.exit_code == 0, first.output
    assert first.stdout.strip().startswith("full (no index yet): ")
    again = runner.invoke(cli, ["persona", "refresh", "--data-dir", data])
    assert again.stdout.strip().startswith("incremental (")
    full = runner.invoke(cli, ["persona", "refresh", "--full", "--data-dir", data])
    assert full.stdout.strip().startswith("full (--full): ")


def test_an_empty_store_refreshes_to_an_empty_index(tmp_path: Path) -> None:
    settings = load_settings(flags={"data_dir": str(tmp_path / "empty")}, env={})
    empty = Platform(settings).open()
    try:
        assert refresh_index(empty.db, settings.data_path).full
        again = refresh_index(empty.db, settings.data_path)
        assert (again.full, again.recomputed) == (False, 0)
        assert empty.persona.size("age in 25..35 and gender = female") == 0
        assert empty.persona.count("role.fan")["count"] == "<100"
    finally:
        empty.close()
