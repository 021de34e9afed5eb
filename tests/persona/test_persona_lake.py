"""The persona refresh on the event lake gives the database refresh's bitmaps, tag for tag, on
DuckDB (local) and on Spark, on SQLite and PostgreSQL; consent withdrawals are honoured."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from plaudit.cli.main import cli
from plaudit.config import Settings
from plaudit.errors import InvalidInput
from plaudit.lake import export_lake
from plaudit.lake.location import Location
from plaudit.lake.manifest import Manifest
from plaudit.persona import TAGS, TagIndex, compute_index
from plaudit.persona.lake import lake_index
from plaudit.persona.refresh import refresh_index
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community
from plaudit.store import tables

SMALL = CommunitySize("lake", accounts=700, creators=25, videos=150, interactions=9000, days=60)
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass
class Demo:
    platform: Platform
    lake: str
    withdrawn: int


@pytest.fixture
def demo(backend_settings: Settings, tmp_path: Path) -> Iterator[Demo]:
    """A small demo, one more account that withdrew targeting consent after being active, the
    ledger integrated and the lake exported."""
    platform = Platform(backend_settings).open()
    try:
        load_community(platform.db, SMALL, seed=9, end=AS_OF, show_progress=False)
        withdrawn = _an_active_consenting_fan(platform)
        platform.accounts.update_profile(withdrawn, {"consent_targeting": False})
        platform.integrator.catch_up()
        lake = str(tmp_path / "lake")
        export_lake(platform.db, lake, b"k" * 32)
        yield Demo(platform, lake, withdrawn)
    finally:
        platform.close()


def _an_active_consenting_fan(platform: Platform) -> int:
    p, likes = tables.profiles, tables.likes
    stmt = (
        select(p.c.account_id)
        .join(likes, likes.c.account_id == p.c.account_id)
        .where(p.c.consent_targeting)
        .order_by(p.c.account_id)
        .limit(1)
    )
    with platform.db.read() as conn:
        return int(conn.execute(stmt).scalar_one())


def _assert_same(found: TagIndex, expected: TagIndex) -> None:
    assert found.universe == expected.universe
    different = [t.id for t in TAGS if found.tag(t.id) != expected.tag(t.id)]
    assert different == []
    assert {y: b for y, b in found.ages.items() if b} == {
        y: b for y, b in expected.ages.items() if b
    }
    assert found.meta["heavy_liker_cut"] == expected.meta["heavy_liker_cut"]


def _assert_meaningful(index: TagIndex, withdrawn: int) -> None:
    """The comparison covers every family: most tags have members, none has the withdrawn."""
    assert len(index.universe) > 400
    filled = {t.family for t in TAGS if len(index.tag(t.id)) > 0}
    for family in ("interest", "activity", "hours", "device", "follows", "engage", "tenure"):
        assert family in filled, family
    assert withdrawn not in index.universe
    assert all(withdrawn not in index.tag(t.id) for t in TAGS)


def test_the_lake_on_duckdb_gives_the_database_refresh_bitmaps(demo: Demo) -> None:
    from_db = compute_index(demo.platform.db, AS_OF)
    from_lake = lake_index(demo.lake, "local", AS_OF)
    _assert_meaningful(from_db, demo.withdrawn)
    _assert_same(from_lake, from_db)


@pytest.mark.spark
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_spark_gives_the_database_refresh_bitmaps(demo: Demo, spark: object) -> None:
    from_db = compute_index(demo.platform.db, AS_OF)
    on_spark = lake_index(demo.lake, "spark", AS_OF, spark=spark)  # type: ignore[arg-type]
    _assert_same(on_spark, from_db)


def test_cli_refresh_from_the_lake_then_the_database_continues_incrementally(
    demo: Demo,
) -> None:
    settings = demo.platform.settings
    flags = ["--data-dir", str(settings.data_dir)]
    if settings.database_url:
        flags += ["--database-url", settings.database_url]
    result = CliRunner().invoke(
        cli, ["persona", "refresh", "--lake", demo.lake, "--engine", "local", *flags]
    )
    assert result.exit_code == 0, result.output
    assert "full (from the lake" in result.output
    saved = TagIndex.load(settings.data_path)
    assert saved.meta["source"] == "lake (local)"
    assert saved.meta["events_seq"] == Manifest.load(Location.of(demo.lake)).through_seq - 1
    # the database's incremental refresh picks up from the lake's watermarks
    fan = _an_active_consenting_fan(demo.platform)
    demo.platform.accounts.update_profile(fan, {"consent_targeting": False})
    later = datetime.now(UTC) + timedelta(seconds=1)
    incremental = refresh_index(demo.platform.db, settings.data_path, later)
    assert not incremental.full
    assert fan not in incremental.index.universe
    _assert_same(incremental.index, compute_index(demo.platform.db, later))


def test_a_lake_exported_before_persona_tables_names_the_fix(demo: Demo) -> None:
    location = Location.of(demo.lake)
    manifest = Manifest.load(location)
    del manifest.tables["devices"]
    manifest.save(location)
    with pytest.raises(InvalidInput, match=r"no devices table.*plaudit lake export"):
        lake_index(demo.lake, "local", AS_OF)
    export_lake(demo.platform.db, demo.lake, b"k" * 32)  # the fix: every snapshot rewritten
    assert len(lake_index(demo.lake, "local", AS_OF).universe) > 0
    with pytest.raises(InvalidInput, match="unknown engine"):
        lake_index(demo.lake, "gpu", AS_OF)


def test_a_lake_without_events_yet_gives_the_database_refresh(
    platform: Platform, tmp_path: Path
) -> None:
    account, _token = platform.accounts.create("newcomer", "fan")
    platform.accounts.update_profile(account.id, {"gender": "female", "birth_year": 1990})
    lake = str(tmp_path / "lake")
    export_lake(platform.db, lake, b"k" * 32)  # no interactions files: nothing happened yet
    from_lake = lake_index(lake, "local", AS_OF)
    _assert_same(from_lake, compute_index(platform.db, AS_OF))
    assert list(from_lake.universe) == list(from_lake.tag("activity.dormant")) == [account.id]
