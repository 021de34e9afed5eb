"""A campaign's segment: names resolve in its organisation only, a bad segment is skipped
for fans and reported to its organisation, running campaigns are capped, and eligibility is
not re-evaluated per request (service level, SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update

from plaudit.config import Settings
from plaudit.errors import Conflict, NotFound
from plaudit.persona.service import Asker
from plaudit.store import tables
from tests.campaigns.conftest import MATCHING, TARGET, World, make_world


def _other_organisation(world: World) -> int:
    """A second brand's organisation, with a saved segment named `vip`."""
    other, _ = world.platform.accounts.create("other_brand_org", "brand")
    org = world.platform.campaigns.create_organisation(other.id, "Rival Drinks")
    world.platform.persona.save_segment("vip", "gender = female", Asker.organisation(org.id))
    return org.id


def _problem(exc: pytest.ExceptionInfo[Any]) -> tuple[int, str, str]:
    return exc.value.status, exc.value.type, exc.value.detail


def test_another_organisations_name_is_a_missing_name(world: World) -> None:
    _other_organisation(world)
    world.fan()
    world.refresh_persona()
    with pytest.raises(NotFound) as theirs:
        world.campaign(segment="segment:vip")
    with pytest.raises(NotFound) as missing:
        world.campaign(segment="segment:vvv")
    status, kind, detail = _problem(theirs)
    assert (status, kind) == _problem(missing)[:2]
    assert detail == _problem(missing)[2].replace("vvv", "vip")
    # the organisation's own `vip` is its own, whatever another organisation saved
    mine = Asker.organisation(world.organisation.id)
    world.platform.persona.save_segment("vip", "gender = male", mine)
    campaign = world.campaign(segment="segment:vip")
    woman = world.fan()
    world.refresh_persona()
    assert not world.platform.campaigns.eligible(woman, campaign)  # resolved as `male` here


def test_a_broken_campaign_is_skipped_for_fans_and_reported_to_its_organisation(
    world: World,
) -> None:
    _other_organisation(world)
    fan = world.fan()
    world.refresh_persona()
    good = world.campaign(name="good")
    bad = world.campaign(name="bad")
    # a campaign made before names were per organisation: it names another's segment
    stmt = update(tables.campaigns).where(tables.campaigns.c.id == bad.id)
    world.platform.db.write(lambda conn: conn.execute(stmt.values(segment="segment:vip")))
    tasks = world.platform.campaigns.tasks_for(fan)
    assert [c.id for c, _joined in tasks] == [good.id]
    report = world.platform.campaigns.report(world.brand, bad.id)
    assert report.eligible is None
    assert report.segment_problem is not None
    assert "no saved segment named 'vip'" in report.segment_problem
    assert world.platform.campaigns.report(world.brand, good.id).segment_problem is None


def test_without_an_index_tasks_are_empty_not_an_error(world: World) -> None:
    fan = world.fan()
    world.campaign()
    assert world.platform.campaigns.tasks_for(fan) == []


@pytest.fixture
def capped_world(backend_settings: Settings) -> Iterator[World]:
    yield from make_world(backend_settings.with_values(campaigns_running_max=2))


def test_running_campaigns_are_capped_per_organisation(capped_world: World) -> None:
    world = capped_world
    first = world.campaign(name="one")
    world.campaign(name="two")
    with pytest.raises(Conflict, match="2 running campaigns, the most allowed") as raised:
        world.campaign(name="three")
    assert raised.value.status == 409
    world.platform.campaigns.end_campaign(world.brand, first.id)
    assert world.campaign(name="three").spec.name == "three"


def test_eligibility_is_evaluated_once_per_index_version(world: World) -> None:
    fans = [world.fan() for _ in range(3)]
    world.fan({**MATCHING, "gender": "male"})
    world.refresh_persona()
    extra = ("", " and role.fan", " and not role.brand")
    campaigns = [
        world.campaign(name=f"c{i}", segment=TARGET + more) for i, more in enumerate(extra)
    ]
    persona = world.platform.persona
    evaluated: list[str | None] = []
    original = persona.audience

    def counting(asker: Asker | None = None) -> Any:
        evaluated.append(asker.namespace if asker else None)
        return original(asker)

    persona.audience = counting  # type: ignore[method-assign]
    first = world.platform.campaigns.tasks_for(fans[0])
    assert sorted(c.id for c, _ in first) == sorted(c.id for c in campaigns)
    assert len(evaluated) == 3  # one evaluation per campaign
    for fan in fans:
        assert len(world.platform.campaigns.tasks_for(fan)) == 3
    assert len(evaluated) == 3  # and none per later request
    world.refresh_persona()  # a new index version: evaluated again, once
    world.platform.campaigns.tasks_for(fans[1])
    assert len(evaluated) == 6
