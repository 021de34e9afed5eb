"""The fund computed from the event lake equals the store's computation, to the fen, on the
local engine (DuckDB) and on Spark."""

from __future__ import annotations

import json
import random
from dataclasses import astuple
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.fund.world import END, START, World, day

from plaudit.cli.main import cli
from plaudit.fund import Rule
from plaudit.fund.lake import lake_statements
from plaudit.fund.model import Period, Statement
from plaudit.lake import export_lake


def _busy_period(world: World, seed: int) -> Period:
    """Every case the rule distinguishes: capped fan-days, campaign likes, revoked and
    reinstated likes, unlikes and likes again, self-dealing, interactions outside the period."""
    rng = random.Random(seed)
    creators = [world.account("creator") for _ in range(3)]
    videos = [world.video(creators[n % 3]) for n in range(6)]
    fans = [world.account() for _ in range(8)] + creators[:1]
    likes: dict[tuple[int, int], int] = {}
    for fan in fans:
        for video in rng.sample(videos, 4):
            when = day(rng.randrange(-1, 8), rng.randrange(24))
            source = "campaign:7" if rng.random() < 0.15 else "app"
            likes[(fan, video)] = world.like(fan, video, when, source)
        for _ in range(rng.randrange(12)):  # past the daily cap on some days
            video, when = rng.choice(videos), day(rng.randrange(3), rng.randrange(24))
            rng.choice((world.comment, world.share))(fan, video, when)
        world.follow(fan, rng.choice([c for c in creators if c != fan]), day(rng.randrange(7)))
    pairs = sorted(likes)
    for fan, video in rng.sample(pairs, 4):
        world.unlike(fan, video, day(6, 23))
        del likes[(fan, video)]
    again = pairs[0]
    if again not in likes:
        likes[again] = world.like(*again, day(6, 23) + timedelta(minutes=5))
    revoked = [world.revoke(likes[pair]) for pair in rng.sample(sorted(likes), 5)]
    world.reinstate(revoked[0])
    period = world.platform.fund.create_period("p", START, END, 1_000_003, Rule(daily_cap=3))
    world.scan()
    world.integrate()
    return period


def _rows(statements: list[Statement]) -> list[tuple[object, ...]]:
    return sorted(astuple(s) for s in statements)


@pytest.mark.parametrize("seed", [1, 2])
def test_local_engine_pays_what_the_store_computation_pays(
    world: World, tmp_path: Path, seed: int
) -> None:
    period = _busy_period(world, seed)
    lake = str(tmp_path / "lake")
    export_lake(world.platform.db, lake, b"k" * 32)
    stored = world.platform.fund.compute(period.id)
    statements, total = lake_statements(lake, period, "local")
    assert total == stored.total_units > 0
    assert _rows(statements) == _rows(stored.statements)
    assert sum(s.payout_fen for s in statements) == period.pool_fen
    assert any(s.excluded_revoked for s in statements)
    assert any(s.excluded_incentivised for s in statements)


@pytest.mark.spark
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_spark_pays_what_the_local_engine_pays(world: World, tmp_path: Path, spark: object) -> None:
    period = _busy_period(world, 3)
    lake = str(tmp_path / "lake")
    export_lake(world.platform.db, lake, b"k" * 32)
    local, local_total = lake_statements(lake, period, "local")
    distributed, total = lake_statements(lake, period, "spark", spark)  # type: ignore[arg-type]
    assert total == local_total > 0
    assert _rows(distributed) == _rows(local)


def test_fund_compute_command_reads_the_lake(world: World, tmp_path: Path) -> None:
    period = _busy_period(world, 4)
    lake = str(tmp_path / "lake")
    export_lake(world.platform.db, lake, b"k" * 32)
    stored = world.platform.fund.compute(period.id)
    data_dir = str(world.platform.settings.data_path)
    url = world.platform.settings.database_url
    result = CliRunner().invoke(
        cli,
        ["fund", "compute", str(period.id), "--lake", lake, "--json", "--data-dir", data_dir]
        + (["--database-url", url] if url else []),
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    paid = {s["creator_id"]: s["payout_fen"] for s in shown["statements"]}
    assert paid == {s.creator_id: s.payout_fen for s in stored.statements}
    assert "computed on the local engine" in result.stderr
