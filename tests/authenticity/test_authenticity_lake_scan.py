"""The authenticity scan on the event lake: both engines judge the same accounts as the
platform scan, on the demo with attacks (`plaudit demo --attacks` ground truth)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from plaudit.authenticity.batch import all_flagged, scan
from plaudit.authenticity.demo_attacks import load_attacks
from plaudit.authenticity.lake_scan import lake_likes
from plaudit.authenticity.platform_scan import load_likes
from plaudit.authenticity.sources import LikeCollector
from plaudit.authenticity.spec import parse_spec
from plaudit.authenticity.table import Interactions
from plaudit.cli.main import cli
from plaudit.config import Settings
from plaudit.errors import InvalidInput
from plaudit.lake import export_lake
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community

TINY = CommunitySize("tiny", accounts=600, creators=30, videos=120, interactions=6000, days=30)
END = datetime(2026, 11, 1, tzinfo=UTC)
ATTACKS = "farm:40x20:d=0.5:camo=random,hijack:10x10:d=0.5,ring:5:d=0.5"


def _flagged(table: Interactions) -> set[int]:
    accounts, _ = all_flagged(scan(table).verdicts)
    return set(table.account_ids[accounts].tolist())


@pytest.fixture
def demo(backend_settings: Settings, tmp_path: Path) -> Iterator[tuple[Platform, str, dict]]:
    """The tiny demo with three attacks, integrated and exported into a lake."""
    platform = Platform(backend_settings).open()
    try:
        collected = LikeCollector()
        load_community(platform.db, TINY, seed=5, end=END, show_progress=False, observe=collected)
        _, truth_path = load_attacks(
            platform.db, collected, parse_spec(ATTACKS), seed=2, data_path=tmp_path
        )
        platform.integrator.catch_up()
        lake = str(tmp_path / "lake")
        export_lake(platform.db, lake, b"k" * 32)
        yield platform, lake, json.loads(truth_path.read_text())
    finally:
        platform.close()


def test_local_engine_on_the_lake_judges_what_the_platform_scan_judges(
    demo: tuple[Platform, str, dict],
) -> None:
    platform, lake, truth = demo
    from_db = load_likes(platform.db).table
    assert from_db is not None
    from_lake = lake_likes(lake, "local")
    assert len(from_lake) == len(from_db)
    assert np.array_equal(from_lake.ts, from_db.ts)
    flagged = _flagged(from_lake)
    assert flagged == _flagged(from_db)
    farm = set(truth["attacks"][0]["accounts"])
    assert len(flagged & farm) >= 0.9 * len(farm)


def test_lake_scan_command_writes_the_verdict_files(
    demo: tuple[Platform, str, dict], tmp_path: Path
) -> None:
    _, lake, _ = demo
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["authenticity", "scan", "--lake", lake, "--engine", "local", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "on the local engine" in result.output
    assert (out / "accounts.csv").read_text().startswith('"account_id"')
    refused = CliRunner().invoke(cli, ["authenticity", "scan", "--lake", lake])
    assert refused.exit_code == 2
    assert "--lake goes with --output DIR" in refused.output


def test_a_folder_without_a_lake_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="run `plaudit lake export"):
        lake_likes(str(tmp_path), "local")


@pytest.mark.spark
# py4j leaves its gateway sockets to the garbage collector: a ResourceWarning, not ours
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_spark_engine_gives_the_same_table_and_verdicts_as_local(
    demo: tuple[Platform, str, dict], spark: object
) -> None:
    _, lake, _ = demo
    local = lake_likes(lake, "local")
    distributed = lake_likes(lake, "spark", spark)  # type: ignore[arg-type]
    for column in ("account", "video", "ts", "device", "ip", "creator"):
        assert np.array_equal(getattr(distributed, column), getattr(local, column)), column
    assert np.array_equal(distributed.account_ids, local.account_ids)
    assert _flagged(distributed) == _flagged(local)
