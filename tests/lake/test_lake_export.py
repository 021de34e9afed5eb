"""The event lake on both engines: complete, incremental, private, readable after a crash."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from sqlalchemy import func, select

from plaudit.config import Settings
from plaudit.errors import InvalidInput
from plaudit.interactions.model import Device
from plaudit.interactions.service import like_op
from plaudit.lake import Manifest, export_lake, read_table
from plaudit.lake.location import Location
from plaudit.platform import Platform
from plaudit.store import tables
from tests.fund.world import World, day

KEY = b"k" * 32


@pytest.fixture
def world(backend_settings: Settings) -> Iterator[World]:
    platform = Platform(backend_settings).open()
    try:
        yield World(platform)
    finally:
        platform.close()


def _community(world: World) -> dict[str, int]:
    """Three days of every kind of interaction, integrated into the ledger."""
    creator = world.account("creator")
    video = world.video(creator)
    fans = [world.account() for _ in range(4)]
    likes = [world.like(fan, video, day(i % 3)) for i, fan in enumerate(fans)]
    world.unlike(fans[0], video, day(2, 18))
    world.comment(fans[1], video, day(1))
    world.share(fans[2], video, day(2))
    world.follow(fans[3], creator, day(0))
    world.revoke(likes[3], day(2, 20))
    world.platform.integrator.catch_up()
    return {"video": video, "creator": creator, "fan": fans[1]}


def _event_count(world: World) -> int:
    with world.platform.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.events)).scalar_one())


def test_export_holds_every_integrated_event_once_by_day(world: World, tmp_path: Path) -> None:
    _community(world)
    lake = str(tmp_path / "lake")
    report = export_lake(world.platform.db, lake, KEY)
    interactions = read_table(lake, "interactions")
    assert report.events == interactions.num_rows == _event_count(world)
    assert sorted(interactions.column("seq").to_pylist()) == list(range(report.through_seq))
    kinds = interactions.column("kind").to_pylist()
    assert sorted(set(kinds)) == ["comment", "follow", "like", "revoke", "share", "unlike"]
    days = {
        p.split("/")[1]
        for p in (part.path for part in Manifest.load(Location.of(lake)).files("interactions"))
    }
    assert days == {"day=2026-11-02", "day=2026-11-03", "day=2026-11-04"}
    revoke = interactions.filter(pa.compute.equal(interactions.column("kind"), "revoke"))
    assert revoke.column("source")[0].as_py().startswith("verdict:")


def test_a_second_export_adds_only_what_is_new(world: World, tmp_path: Path) -> None:
    ids = _community(world)
    lake = str(tmp_path / "lake")
    first = export_lake(world.platform.db, lake, KEY)
    again = export_lake(world.platform.db, lake, KEY)
    assert (again.events, again.files) == (0, 0)
    newcomer = world.account()
    world.like(newcomer, ids["video"], day(3))
    world.platform.integrator.catch_up()
    third = export_lake(world.platform.db, lake, KEY)
    assert (third.from_seq, third.events) == (first.through_seq, 1)
    seqs = read_table(lake, "interactions", ["seq"]).column("seq").to_pylist()
    assert len(seqs) == len(set(seqs)) == _event_count(world)


def test_events_not_yet_in_the_ledger_wait_for_it(world: World, tmp_path: Path) -> None:
    ids = _community(world)
    world.like(world.account(), ids["video"], day(3))  # sequenced, not integrated
    report = export_lake(world.platform.db, str(tmp_path / "lake"), KEY)
    assert report.through_seq == _event_count(world) - 1


def test_no_ip_or_device_key_enters_the_lake(world: World, tmp_path: Path) -> None:
    ids = _community(world)
    device = Device("phone-1234-secret", "UA/1.0", "81.2.69.0/24")
    office = Device("desk-5678-secret", "UA/1.0", "10.1.2.0/24")
    fans = [world.account(), world.account()]
    for fan in fans:
        world.platform.db.write(like_op(fan, ids["video"], "app", device, day(1)))
    colleague = world.account()
    world.platform.db.write(like_op(colleague, ids["video"], "app", office, day(1)))
    world.platform.integrator.catch_up()
    lake = tmp_path / "lake"
    export_lake(world.platform.db, str(lake), KEY)
    raw = b"".join(path.read_bytes() for path in lake.rglob("*.parquet"))
    assert b"81.2.69" not in raw
    assert b"phone-1234" not in raw
    rows = read_table(str(lake), "interactions").to_pylist()
    hashed = [(r["device"], r["network"]) for r in rows if r["account_id"] in fans]
    assert len(set(hashed)) == 1  # one device, one network: grouped
    assert None not in hashed[0]
    # a private prefix is a NAT or proxy, not a network that groups accounts (issue 17)
    [office_row] = [r for r in rows if r["account_id"] == colleague and r["kind"] == "like"]
    assert office_row["device"] is not None
    assert office_row["network"] is None


def test_interrupted_export_leftovers_are_ignored_then_removed(
    world: World, tmp_path: Path
) -> None:
    ids = _community(world)
    lake = tmp_path / "lake"
    export_lake(world.platform.db, str(lake), KEY)
    before = read_table(str(lake), "interactions").num_rows
    # what a crash between writing a part file and saving the manifest leaves behind
    leftover = lake / "interactions" / "day=2026-11-05" / "seq-000000000000-000000000099.parquet"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes((next(lake.rglob("seq-*.parquet"))).read_bytes())
    assert read_table(str(lake), "interactions").num_rows == before
    world.like(world.account(), ids["video"], day(3))
    world.platform.integrator.catch_up()
    report = export_lake(world.platform.db, str(lake), KEY)
    assert report.leftovers_removed == 1
    assert not leftover.exists()
    assert read_table(str(lake), "interactions").num_rows == before + 1


def test_snapshots_replace_the_previous_ones(world: World, tmp_path: Path) -> None:
    _community(world)
    lake = tmp_path / "lake"
    export_lake(world.platform.db, str(lake), KEY)
    export_lake(world.platform.db, str(lake), KEY)
    assert [p.parent.name for p in sorted((lake / "profiles").rglob("*.parquet"))] == [
        "export=000002"
    ]
    profiles = read_table(str(lake), "profiles")
    assert "handle" not in profiles.column_names


def test_duckdb_reads_the_lake_by_its_partitions(world: World, tmp_path: Path) -> None:
    _community(world)
    lake = tmp_path / "lake"
    export_lake(world.platform.db, str(lake), KEY)
    per_day = duckdb.sql(
        f"SELECT day, count(*) FROM read_parquet('{lake}/interactions/*/*.parquet', "
        "hive_partitioning = true) GROUP BY day ORDER BY day"
    ).fetchall()
    assert sum(n for _, n in per_day) == _event_count(world)


def test_a_lake_at_an_fsspec_url(world: World) -> None:
    _community(world)
    # id() repeats once an object is freed; the memory filesystem outlives the test.
    url = f"memory://plaudit-lake-{uuid.uuid4().hex}"
    report = export_lake(world.platform.db, url, KEY)
    assert read_table(url, "interactions").num_rows == report.events > 0


def test_reading_where_there_is_no_lake_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="plaudit lake export"):
        read_table(str(tmp_path), "interactions")
    with pytest.raises(InvalidInput, match="no lake table 'likes'"):
        read_table(str(tmp_path), "likes")


def test_persona_snapshots_hold_what_tags_need_and_nothing_more(
    world: World, tmp_path: Path
) -> None:
    ids = _community(world)
    fan = world.account()
    world.platform.accounts.update_profile(fan, {"city": "深圳市", "consent_targeting": False})
    agent = "Plaudit/3.4.2 (iOS 17.5.1; iPhone15,2; zh_CN)"
    phone = Device("phone-1234-secret", agent, "81.2.69.0/24")
    world.platform.db.write(like_op(fan, ids["video"], "app", phone, day(1)))
    world.platform.integrator.catch_up()
    lake = tmp_path / "lake"
    export_lake(world.platform.db, str(lake), KEY)
    raw = b"".join(path.read_bytes() for path in lake.rglob("*.parquet"))
    assert b"iPhone15" not in raw  # the class, never the user agent
    assert b"phone-1234" not in raw
    [like] = [
        r
        for r in read_table(str(lake), "interactions").to_pylist()
        if r["account_id"] == fan and r["kind"] == "like"
    ]
    devices = {r["device"]: r["device_class"] for r in read_table(str(lake), "devices").to_pylist()}
    assert devices[like["device"]] == "ios"
    accounts = {r["account_id"]: r for r in read_table(str(lake), "accounts").to_pylist()}
    assert set(read_table(str(lake), "accounts").column_names) == {
        "account_id",
        "kind",
        "created_at",
    }
    assert accounts[ids["creator"]]["kind"] == "creator"
    assert accounts[fan]["created_at"] == world.platform.accounts.get(fan).created_at
    profile = {r["account_id"]: r for r in read_table(str(lake), "profiles").to_pylist()}[fan]
    assert (profile["city"], profile["consent_targeting"]) == ("深圳市", False)
    videos = read_table(str(lake), "videos").to_pylist()
    assert {(v["video_id"], v["creator_id"], v["category"]) for v in videos} == {
        (ids["video"], ids["creator"], "food")
    }
