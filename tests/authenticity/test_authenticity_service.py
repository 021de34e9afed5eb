"""The platform side of authenticity on one SQLite store: holds decided by a scan, unlikes of
held and revoked likes, bulk holds, and the `plaudit authenticity` platform commands."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from plaudit.cli.main import cli
from plaudit.config import Settings
from plaudit.errors import Conflict, InvalidInput
from plaudit.interactions import BulkItem, ingest_op
from plaudit.interactions.service import NO_DEVICE, Hold, like_op, unlike_op
from plaudit.ledger.sources import StoreLog
from plaudit.ledgerstore.audit import StoreCounts, audit
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community
from plaudit.store import tables, utcnow

COMMUNITY = CommunitySize("t", accounts=400, creators=10, videos=40, interactions=5000, days=20)
END = datetime(2026, 11, 1, tzinfo=UTC)


def _farm(
    platform: Platform, size: int = 25, targets: int = 15, holds: dict[int, Hold] | None = None
) -> list[int]:
    """A lockstep farm of fresh accounts over the community's first videos (`holds`: item
    positions held as a real-time rule would)."""
    accounts = [platform.accounts.create(f"bot{i}")[0].id for i in range(size)]
    start = END - timedelta(days=1)
    items = [
        BulkItem("like", account, video, start + timedelta(seconds=5 * i + j))
        for i, account in enumerate(accounts)
        for j, video in enumerate(range(1, targets + 1))
    ]
    assert all(r.status == "created" for r in platform.db.write(ingest_op(items, holds)))
    return accounts


@pytest.fixture
def community(platform: Platform) -> Platform:
    load_community(platform.db, COMMUNITY, seed=5, end=END, show_progress=False)
    return platform


def _hold_of(platform: Platform, like_id: int) -> tuple[str | None, object]:
    with platform.db.read() as conn:
        row = conn.execute(
            select(tables.holds.c.outcome, tables.holds.c.released_at).where(
                tables.holds.c.like_id == like_id
            )
        ).one()
    return row.outcome, row.released_at


def _audit_ok(platform: Platform) -> None:
    platform.integrator.catch_up()
    report = audit(StoreLog(platform.ledger), StoreCounts(platform.videos), platform.ledger.vkey)
    assert report.ok, report.lines()


def test_a_scan_revokes_flagged_held_likes_and_releases_the_others(community: Platform) -> None:
    platform = community
    hold = Hold("account_velocity", 75)
    farm = _farm(platform, holds={0: hold, 1: hold})  # the first bot's first two likes
    fan = platform.accounts.create("honest")[0].id
    honest = platform.db.write(like_op(fan, 1, "app", NO_DEVICE, utcnow(), hold))
    assert honest.held
    assert platform.videos.get(1).pending == 2
    assert platform.videos.get(2).pending == 1
    with platform.db.read() as conn:
        held_farm = (
            conn.execute(
                select(tables.likes.c.id).where(tables.likes.c.account_id == farm[0]).limit(2)
            )
            .scalars()
            .all()
        )
    report = platform.authenticity.scan()
    assert report.likes_revoked >= 25 * 15
    assert (report.holds_revoked, report.holds_released) == (2, 1)
    assert [_hold_of(platform, like)[0] for like in held_farm] == ["revoked", "revoked"]
    assert _hold_of(platform, honest.like.id)[0] == "released"
    for video_id in (1, 2):
        video = platform.videos.get(video_id)
        assert video.pending == 0
        assert video.authentic == video.likes - video.revoked
        assert video.revoked >= 24
    _audit_ok(platform)


def test_unliking_a_revoked_like_takes_it_out_of_revoked_and_the_audit_agrees(
    community: Platform,
) -> None:
    platform = community
    farm = _farm(platform)
    assert platform.authenticity.scan().likes_revoked > 0
    revoked_before = platform.videos.get(1).revoked
    platform.db.write(unlike_op(farm[0], 1, "app", utcnow()))
    video = platform.videos.get(1)
    assert video.revoked == revoked_before - 1
    _audit_ok(platform)
    # liking again makes a new like that is not revoked
    platform.db.write(like_op(farm[0], 1, "app", NO_DEVICE, utcnow()))
    assert platform.videos.get(1).revoked == revoked_before - 1
    _audit_ok(platform)


def test_bulk_holds_and_a_bulk_unlike_of_a_held_like_withdraws_it(platform: Platform) -> None:
    creator = platform.accounts.create("maker", "creator")[0].id
    video = platform.videos.publish(creator, "clip", "food").id
    fans = [platform.accounts.create(f"fan{i}")[0].id for i in range(3)]
    now = datetime.now(UTC)
    items = [BulkItem("like", f, video, now) for f in fans]
    holds = {1: Hold("device_accounts", 60)}
    results = platform.db.write(ingest_op(items, holds))
    assert [r.held for r in results] == [False, True, False]
    assert platform.videos.get(video).pending == 1
    undo = platform.db.write(ingest_op([BulkItem("unlike", fans[1], video, now)]))
    assert undo[0].status == "removed"
    assert _hold_of(platform, results[1].id or 0)[0] == "withdrawn"
    counts = platform.videos.get(video)
    assert (counts.likes, counts.pending, counts.authentic) == (2, 0, 2)


@pytest.fixture
def data_dir(sqlite_settings: Settings) -> str:
    platform = Platform(sqlite_settings).open()
    try:
        load_community(platform.db, COMMUNITY, seed=5, end=END, show_progress=False)
        _farm(platform)
    finally:
        platform.close()
    return str(sqlite_settings.data_path)


def test_cli_scan_appeals_and_decide(data_dir: str, tmp_path: Path) -> None:
    runner = CliRunner()
    scanned = runner.invoke(cli, ["authenticity", "scan", "--data-dir", data_dir])
    assert scanned.exit_code == 0, scanned.output
    assert "likes revoked" in scanned.stdout
    assert runner.invoke(cli, ["ledger", "audit", "--data-dir", data_dir]).exit_code == 0
    platform = Platform(Settings(data_dir=data_dir)).open()
    try:
        with platform.db.read() as conn:
            verdict_id, account_id = conn.execute(
                select(tables.revocations.c.verdict_id, tables.revocations.c.account_id).limit(1)
            ).one()
        appeal = platform.authenticity.appeal(verdict_id, account_id, "not a bot")
    finally:
        platform.close()
    listed = runner.invoke(
        cli, ["authenticity", "appeals", "--status", "open", "--data-dir", data_dir]
    )
    assert f"appeal {appeal.id}" in listed.stdout
    decided = runner.invoke(
        cli, ["authenticity", "decide", str(appeal.id), "--reinstate", "--data-dir", data_dir]
    )
    assert decided.exit_code == 0, decided.output
    assert "reinstated;" in decided.stdout
    # through the real entry point: one line on stderr, exit 1, no traceback
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "plaudit",
            "authenticity",
            "decide",
            str(appeal.id),
            "--uphold",
            "--data-dir",
            data_dir,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 1
    assert again.stderr.strip().count("\n") == 0
    assert "was decided already (reinstated" in again.stderr
    assert runner.invoke(cli, ["ledger", "audit", "--data-dir", data_dir]).exit_code == 0


def test_cli_usage_errors_are_precise(tmp_path: Path) -> None:
    runner = CliRunner()
    lonely = runner.invoke(cli, ["authenticity", "scan", "--output", str(tmp_path)])
    assert lonely.exit_code == 2
    assert "--output goes with --input" in lonely.output
    undecided = runner.invoke(cli, ["authenticity", "decide", "3", "--data-dir", str(tmp_path)])
    assert undecided.exit_code == 2
    assert "--reinstate or --uphold" in undecided.output
    assert runner.invoke(cli, ["db", "upgrade", "--data-dir", str(tmp_path / "d")]).exit_code == 0
    empty = runner.invoke(cli, ["authenticity", "scan", "--data-dir", str(tmp_path / "d")])
    assert empty.exit_code == 0, empty.output
    assert "nothing to scan" in empty.stdout


def test_appeals_are_checked_against_the_state(community: Platform) -> None:
    platform = community
    farm = _farm(platform)
    platform.authenticity.scan()
    with platform.db.read() as conn:
        mine = select(tables.revocations.c.verdict_id).where(
            tables.revocations.c.account_id == farm[1]
        )
        verdict_id = conn.execute(mine.limit(1)).scalar_one()
        videos = (
            conn.execute(
                select(tables.revocations.c.video_id).where(
                    tables.revocations.c.account_id == farm[1]
                )
            )
            .scalars()
            .all()
        )
    for video in videos:  # the account takes every revoked like back itself
        platform.db.write(unlike_op(farm[1], video, "app", utcnow()))
    with pytest.raises(Conflict, match="no longer revokes any like"):
        platform.authenticity.appeal(verdict_id, farm[1], "they were mine")
    with pytest.raises(InvalidInput, match="reason is empty"):
        platform.authenticity.appeal(verdict_id, farm[2], "   ")
    with pytest.raises(InvalidInput, match="decision 'maybe'"):
        platform.authenticity.decide(1, "maybe")
    with pytest.raises(InvalidInput, match="status 'closed'"):
        platform.authenticity.appeals("closed")
    _audit_ok(platform)
