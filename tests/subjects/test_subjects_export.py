"""A person's export: the document holds their data, and each export is recorded by time and
channel only; an export that fails records nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from plaudit.config import Settings
from plaudit.errors import AccountNotFound, InvalidInput
from plaudit.store import subjects as sql
from plaudit.store import tables, utcnow
from plaudit.subjects import export_data
from tests.campaigns.conftest import World, make_world


@pytest.fixture
def world(backend_settings: Settings) -> Iterator[World]:
    yield from make_world(backend_settings)


def _recorded(world: World) -> dict[str, int]:
    now = utcnow()
    with world.platform.db.read() as conn:
        return sql.exports_by_channel(conn, now - timedelta(hours=1), now + timedelta(hours=1))


def test_an_export_holds_the_data_and_is_recorded_without_whose(world: World) -> None:
    fan = world.fan()
    world.like(fan, world.videos[0])
    world.like(fan, world.videos[1])
    document = export_data(world.platform, fan, "console")
    assert document["account"]["id"] == fan
    assert sorted(like["video_id"] for like in document["likes"]) == sorted(world.videos[:2])
    assert isinstance(document["likes"][0]["created_at"], str)  # JSON-ready times
    assert document["profile"]["gender"] == "female"
    export_data(world.platform, fan, "api")
    assert _recorded(world) == {"api": 1, "console": 1}
    with world.platform.db.read() as conn:
        columns = set(conn.execute(select(tables.data_exports)).mappings().first() or {})
    assert columns == {"id", "channel", "exported_at"}


def test_a_failed_export_records_nothing(world: World) -> None:
    with pytest.raises(AccountNotFound):
        export_data(world.platform, 999_999, "api")
    with pytest.raises(InvalidInput, match="not one of api, console"):
        export_data(world.platform, world.fan(), "email")
    assert _recorded(world) == {}
