"""`plaudit fund` and `plaudit quality` through the real entry point: one-line errors, exit
codes (2 for bad input), CSV statements, and verify's exit status on a tampered payout."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from tests.fund.world import END, START, World, day

from plaudit.cli.main import main
from plaudit.config import ENV_PREFIX, load_settings
from plaudit.fund import Rule
from plaudit.platform import Platform
from plaudit.store import tables


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def data_dir(tmp_path: Path) -> str:
    return str(tmp_path / "data")


@pytest.fixture
def world(data_dir: str) -> Iterator[World]:
    platform = Platform(load_settings(flags={"data_dir": data_dir}, env={})).open()
    try:
        yield World(platform)
    finally:
        platform.close()


def plaudit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["plaudit", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    out, err = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0 if code is None else 1), out, err


def creators_with_fans(world: World) -> tuple[int, int]:
    a, b = world.account("creator"), world.account("creator")
    va, vb = world.video(a), world.video(b)
    for n in range(3):
        world.like(world.account(), va, day(n))
    world.like(world.account(), vb, day(1))
    return a, b


def test_a_period_from_creation_to_verified_statements(
    world: World, data_dir: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = creators_with_fans(world)
    d = ("--data-dir", data_dir)
    code, out, _ = plaudit(
        capsys,
        monkeypatch,
        "fund",
        "create-period",
        "w1",
        "--start",
        START.date().isoformat(),
        "--end",
        END.isoformat(),
        "--pool-fen",
        "1001",
        *d,
    )
    assert code == 0
    assert "pool 1001 fen" in out
    assert "like=1,comment=3" in out
    code, out, _ = plaudit(capsys, monkeypatch, "fund", "compute", "w1", *d)
    assert code == 0
    assert f"creator {a}: 751 fen (75.0000%)" in out
    assert f"creator {b}: 250" in out
    # a summary by default: the largest payouts, then how to list every creator
    monkeypatch.setattr("plaudit.cli.fund.TOP_CREATORS", 1)
    code, out, _ = plaudit(capsys, monkeypatch, "fund", "compute", "w1", *d)
    assert (f"creator {a}: 751" in out, f"creator {b}:" in out) == (True, False)
    assert "... and 1 more creators: --all lists every one" in out
    code, out, _ = plaudit(capsys, monkeypatch, "fund", "compute", "w1", "--all", *d)
    assert (f"creator {a}: 751" in out, f"creator {b}: 250" in out) == (True, True)

    code, _, err = plaudit(capsys, monkeypatch, "fund", "close", "w1", *d)
    assert code == 1
    assert err.startswith("error: the period's likes run up to")
    assert "Traceback" not in err
    world.scan()
    code, out, _ = plaudit(capsys, monkeypatch, "fund", "close", "w1", *d)
    assert code == 0
    assert "1001 of 1001 fen to 2 creators" in out
    code, _, err = plaudit(capsys, monkeypatch, "fund", "close", "w1", *d)
    assert code == 1
    assert "was closed at" in err
    assert err.count("\n") == 1

    code, out, _ = plaudit(capsys, monkeypatch, "fund", "statement", "w1", "--csv", *d)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(int(r["creator_id"]), int(r["payout_fen"])) for r in rows] == [(a, 751), (b, 250)]
    assert rows[0]["score_points"] == "3.0000"
    assert rows[0]["likes"] == "3"
    code, out, _ = plaudit(capsys, monkeypatch, "fund", "statement", "w1", "--creator", str(b), *d)
    assert code == 0
    assert out.startswith(f"creator {b}: 250 fen")

    code, out, _ = plaudit(capsys, monkeypatch, "fund", "verify", "w1", *d)
    assert code == 0
    assert out.startswith("OK: period 'w1'")
    tamper = (
        update(tables.fund_payouts)
        .where(tables.fund_payouts.c.creator_id == b)
        .values(payout_fen=0)
    )
    world.platform.db.write(lambda conn: conn.execute(tamper))
    code, out, err = plaudit(capsys, monkeypatch, "fund", "verify", "w1", *d)
    assert code == 1
    assert out.startswith("FAILED")
    assert f"FAIL: creator {b}: payout_fen stored 0, recomputed from the ledger 250" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--start", "yesterday", "--end", "2026-11-02"), "is not a date or ISO 8601 time"),
        (("--start", "2026-11-01T00:00", "--end", "2026-11-02"), "has no time zone"),
        (("--start", "2026-11-02", "--end", "2026-11-01"), "must be after start"),
        (("--start", "2026-11-01", "--end", "2026-11-02", "--weights", "view=2"), "KIND=INTEGER"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    data_dir: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    message: str,
) -> None:
    assert plaudit(capsys, monkeypatch, "db", "upgrade", "--data-dir", data_dir)[0] == 0
    code, _, err = plaudit(
        capsys,
        monkeypatch,
        "fund",
        "create-period",
        "p",
        "--pool-fen",
        "5",
        *args,
        "--data-dir",
        data_dir,
    )
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_unknown_periods_and_open_statements_are_one_line_errors(
    world: World, data_dir: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = plaudit(capsys, monkeypatch, "fund", "verify", "nope", "--data-dir", data_dir)
    assert code == 1
    assert err == "error: no fund period 'nope'; list them with `plaudit fund periods`\n"
    world.platform.fund.create_period("open", START, END, 5, Rule())
    code, _, err = plaudit(capsys, monkeypatch, "fund", "statement", "open", "--data-dir", data_dir)
    assert code == 1
    assert "is not closed" in err


def test_quality_of_a_video(
    world: World, data_dir: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    creator = world.account("creator")
    video = world.video(creator)
    world.like(world.account(), video, day(0))
    code, out, _ = plaudit(
        capsys, monkeypatch, "quality", "video", str(video), "--data-dir", data_dir
    )
    assert code == 0
    assert out.startswith(f"video {video}: quality 100.0 (reach 1 accounts")


@pytest.mark.parametrize(
    "command",
    [
        ("fund",),
        ("fund", "create-period"),
        ("fund", "periods"),
        ("fund", "compute"),
        ("fund", "close"),
        ("fund", "statement"),
        ("fund", "verify"),
        ("quality", "video"),
        ("quality", "campaign"),
    ],
)
def test_every_command_has_help(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = plaudit(capsys, monkeypatch, *command, "--help")
    assert code == 0
    assert "Usage: plaudit" in out


def test_json_output_of_compute_and_verify(
    world: World,
    data_dir: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b = creators_with_fans(world)
    world.platform.fund.create_period("w2", START, END, 400, Rule())
    code, out, _ = plaudit(
        capsys, monkeypatch, "fund", "compute", "w2", "--json", "--data-dir", data_dir
    )
    preview = json.loads(out)
    assert code == 0
    assert [(s["creator_id"], s["payout_fen"]) for s in preview["statements"]] == [
        (a, 300),
        (b, 100),
    ]
    assert preview["period"]["weights"] == {"like": 1, "comment": 3, "share": 5, "follow": 4}
    world.scan()
    world.platform.fund.close("w2", now=END + timedelta(days=1))
    code, out, _ = plaudit(
        capsys, monkeypatch, "fund", "verify", "w2", "--json", "--data-dir", data_dir
    )
    report = json.loads(out)
    assert code == 0
    assert (report["ok"], report["standing"], report["differences"]) == (True, 4, [])
    code, out, _ = plaudit(capsys, monkeypatch, "fund", "periods", "--data-dir", data_dir)
    assert code == 0
    assert "w2" in out
    assert "closed" in out
