"""`platform.persona`: the service other domains and the API use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyroaring import BitMap

from plaudit.errors import Conflict, InvalidInput, NotFound, PersonaIndexMissing
from plaudit.persona import PersonaService, TagIndex
from plaudit.persona.service import Asker
from tests.persona.conftest import Community, top_creator, within_noise


def _service(community: Community, data: Path, k: int = 100) -> PersonaService:
    settings = community.settings.with_values(data_dir=str(data), privacy_k=k)
    return PersonaService(community.platform.db, settings)


def test_platform_wires_the_service(community: Community) -> None:
    persona = community.platform.persona
    assert persona.size("role.fan") == len(community.index.tag("role.fan"))


def test_contains_and_size_are_exact(community: Community) -> None:
    persona = community.platform.persona
    women = community.index.tag("gender.female")
    assert persona.size("gender = female") == len(women)
    member, outsider = women.min(), (community.index.universe - women).min()
    assert persona.contains("gender = female", member)
    assert not persona.contains("gender = female", outsider)
    assert not persona.contains("gender = female", 10**9)
    assert not persona.contains("gender = female", -1)
    assert not persona.contains("gender = other", 10**12)  # a sparse result


def test_counts_are_suppressed_below_k(community: Community, tmp_path: Path) -> None:
    community.index.save(tmp_path)
    persona = _service(community, tmp_path, k=10**6)
    assert persona.count("role.fan") == {"expression": "role.fan", "count": "<1000000",
                                         "suppressed": True}  # fmt: skip


def test_no_index_is_a_clear_error(community: Community, tmp_path: Path) -> None:
    persona = _service(community, tmp_path)
    with pytest.raises(PersonaIndexMissing, match="plaudit persona refresh"):
        persona.size("role.fan")


def test_a_refresh_is_picked_up_without_a_restart(community: Community, tmp_path: Path) -> None:
    community.index.save(tmp_path)
    persona = _service(community, tmp_path, k=1)
    before = persona.size("role.fan")
    fewer = dict(community.index.tags)
    fewer["role.fan"] = BitMap(list(community.index.tag("role.fan"))[: before // 2])
    index = community.index
    TagIndex(index.universe, fewer, index.ages, index.meta).save(tmp_path)
    assert persona.size("role.fan") == before // 2


def test_exact_counts_are_logged_with_the_operator(community: Community, tmp_path: Path) -> None:
    community.index.save(tmp_path)
    persona = _service(community, tmp_path)
    n = persona.exact_count("gender = other", operator="account:7")
    assert n == len(community.index.tag("gender.other"))
    line = json.loads((tmp_path / "persona-access.log").read_text().splitlines()[-1])
    assert line["operator"] == "account:7"
    assert line["expr"] == "gender = other"
    assert line["action"] == "exact-count"


def test_a_saved_lookalike_is_usable_by_name_by_its_owner_only(
    community: Community, tmp_path: Path
) -> None:
    community.index.save(tmp_path)
    persona = _service(community, tmp_path, k=1)
    creator, _fans = top_creator(community)
    five, six = Asker.account(5), Asker.account(6)
    about = persona.lookalike(40, creator_id=creator, asker=five, save_as="like_fans")
    assert about["saved_as"] == "like_fans"
    assert about["size"] == 40
    assert set(about) == {"seed_expression", "method", "seed", "size", "top_tags", "saved_as"}
    # internal use names the namespace the name lives in
    assert persona.size("segment:like_fans", "account:5") == 40
    assert within_noise(persona.count("segment:like_fans", five)["count"], 40, 0.25)
    with pytest.raises(NotFound):  # another namespace's name is a name that does not exist
        persona.count("segment:like_fans", six)
    assert persona.size("segment:like_fans") == 40  # operators: a name one namespace has
    # names are per namespace: another owner may use the same one
    persona.lookalike(40, creator_id=creator, asker=six, save_as="like_fans")
    with pytest.raises(InvalidInput, match="several namespaces"):
        persona.size("segment:like_fans")
    with pytest.raises(Conflict):
        persona.lookalike(40, creator_id=creator, asker=five, save_as="like_fans")
    names = [s.name for s in persona.saved_segments(five)]
    assert names == ["like_fans"]
    assert persona.saved_segments(Asker.account(7)) == []
