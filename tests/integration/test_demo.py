"""The demo community: loads through the bulk path with every invariant, on both engines."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from plaudit.config import Settings
from plaudit.errors import Conflict
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community
from plaudit.sim.records import Chunk, ColumnsChunk
from plaudit.store import tables
from plaudit.store.bulkload import DEFERRABLE_INDEXES, missing_indexes
from plaudit.web import read_demo_signins

TINY = CommunitySize("tiny", accounts=600, creators=30, videos=120, interactions=6000, days=30)
END = datetime(2026, 11, 1, tzinfo=UTC)


def _invariants(platform: Platform) -> dict[str, int]:
    t = tables
    with platform.db.read() as conn:

        def one(stmt: object) -> int:
            return int(conn.execute(stmt).scalar_one())  # type: ignore[call-overload]

        active_likes = one(select(func.count()).where(t.likes.c.removed_at.is_(None)))
        counted_likes = one(select(func.coalesce(func.sum(t.video_counters.c.likes), 0)))
        creator_likes = one(select(func.coalesce(func.sum(t.creator_counters.c.likes), 0)))
        follows = one(select(func.count()).where(t.follows.c.removed_at.is_(None)))
        followers = one(select(func.coalesce(func.sum(t.creator_counters.c.followers), 0)))
        events = one(select(func.count()).select_from(t.events))
        max_seq = one(select(func.coalesce(func.max(t.events.c.seq), -1)))
        videos = one(select(func.coalesce(func.sum(t.creator_counters.c.videos), 0)))
    assert active_likes == counted_likes == creator_likes
    assert follows == followers
    assert max_seq == events - 1
    return {"likes": active_likes, "events": events, "videos": videos}


def test_demo_keeps_invariants_and_is_reproducible(backend_settings: Settings) -> None:
    platform = Platform(backend_settings).open()
    try:
        summary = load_community(platform.db, TINY, seed=5, end=END, show_progress=False)
        assert "600 accounts" in summary
        figures = _invariants(platform)
        loaded = int(summary.rsplit(", ", 1)[1].split()[0].replace(",", ""))
        assert figures["events"] == loaded
        assert loaded >= TINY.interactions * 0.99  # a tiny community may run out of new pairs
        assert figures["videos"] == TINY.videos
        with platform.db.read() as conn:  # built again after the load deferred them
            assert missing_indexes(conn) == []
        with pytest.raises(Conflict):
            load_community(platform.db, TINY, seed=5, end=END, show_progress=False)
        # explicit ids did not leave the id sequences behind: sign-ups still work
        account, _token = platform.accounts.create("late_signup", "creator")
        assert account.id == TINY.accounts + 1
        assert platform.videos.publish(account.id, "new", "food").id == TINY.videos + 1
    finally:
        platform.close()


def test_a_failed_load_leaves_no_index_missing(backend_settings: Settings) -> None:
    class Stop(Exception):
        pass

    def stop_at_interactions(chunk: Chunk) -> None:
        if isinstance(chunk, ColumnsChunk):
            raise Stop

    platform = Platform(backend_settings).open()
    try:
        with pytest.raises(Stop):
            load_community(
                platform.db,
                TINY,
                seed=5,
                end=END,
                show_progress=False,
                observe=stop_at_interactions,
            )
        with platform.db.read() as conn:
            assert missing_indexes(conn) == []
        assert {"ix_likes_video_created", "ix_events_ref"} <= {
            str(index.name) for index in DEFERRABLE_INDEXES
        }
    finally:
        platform.close()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plaudit", *args], capture_output=True, text=True, timeout=300
    )


def test_demo_command_small_loads_once(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    first = _run("demo", "--size", "small", "--data-dir", data)
    assert first.returncode == 0, first.stderr
    assert "10,000 accounts" in first.stdout
    signins = Path(data) / "demo-signins.txt"
    assert f"passwords in {signins}" in first.stdout
    assert stat.S_IMODE(signins.stat().st_mode) == 0o600
    made = {s.role: s for s in read_demo_signins(Path(data))}
    assert made["creator"].handle == "demo-creator"
    assert made["creator"].password not in first.stdout  # never printed
    # not a terminal: progress comes as log lines with counts and a rate
    assert "INFO plaudit.sim.load: demo small (seed 42): loaded " in first.stderr
    assert "of 212,000 rows" in first.stderr
    assert "rows/s" in first.stderr
    again = _run("demo", "--size", "small", "--data-dir", data, "--if-empty")
    assert again.returncode == 0
    assert {s.role: s for s in read_demo_signins(Path(data))} == made  # kept, not reset
    # the console's demo sign-ins add a brand and an operator to the 10,000 of the community
    assert "already has 10,002 accounts" in again.stdout
    refused = _run("demo", "--size", "small", "--data-dir", data)
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: the database already has")
    assert "Traceback" not in refused.stderr
    made = _run("accounts", "create", "--handle", "after_demo", "--data-dir", data, "--json")
    assert json.loads(made.stdout)["id"] == 10_003
