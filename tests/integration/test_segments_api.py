"""The segments API on SQLite and PostgreSQL: roles, the privacy floor, problems, the log."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plaudit.api import create_app
from plaudit.config import Settings
from plaudit.persona import TAGS, compute_index
from plaudit.persona.taxonomy import FAMILIES
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community
from plaudit.store import tables
from tests.integration.conftest import Api, assert_problem

K = 20  # privacy_k: small enough that a 500-account community has groups to describe
SUPPRESSED = f"<{K}"
SMALL = CommunitySize("api", accounts=500, creators=8, videos=60, interactions=4000, days=30)
EXAMPLE = "city_tier in (1, new1) and age in 25..35 and spend >= 5000 and gender = female"
Auth = dict[str, str]
NO_NOISE = {"dp_epsilon": 0, "dp_epsilon_insights": 0, "dp_epsilon_overlap": 0, "privacy_round": 1}


@dataclass
class World:
    api: Api
    brand: Auth
    other_brand: Auth
    operator: Auth
    operator_id: int
    fan: Auth
    creator_id: int
    creator: Auth


def _auth(api: Api, handle: str, kind: str) -> tuple[int, Auth]:
    account, token = api.platform.accounts.create(handle, kind)
    return account.id, {"Authorization": f"Bearer {token}"}


def _top_creator(api: Api) -> int:
    f = tables.follows
    stmt = (
        select(f.c.creator_id)
        .where(f.c.removed_at.is_(None))
        .group_by(f.c.creator_id)
        .order_by(func.count().desc(), f.c.creator_id)
        .limit(1)
    )
    with api.platform.db.read() as conn:
        return int(conn.execute(stmt).scalar_one())


def _refresh(api: Api) -> None:
    compute_index(api.platform.db, datetime.now(UTC)).save(api.platform.settings.data_path)


@pytest.fixture
def api(backend_settings: Settings) -> Iterator[Api]:
    # the API's plumbing on a 500-account world: exact figures, no noise (the private
    # answers, their budget and the attacks are tested below and in tests/security)
    settings = backend_settings.with_values(privacy_k=K, **NO_NOISE)
    platform = Platform(settings)
    with TestClient(create_app(settings, platform)) as client:
        yield Api(client, platform)


@pytest.fixture
def world(api: Api) -> World:
    load_community(api.platform.db, SMALL, seed=5, end=datetime.now(UTC), show_progress=False)
    brand = _auth(api, "brand_one", "brand")[1]
    other = _auth(api, "brand_two", "brand")[1]
    operator_id, operator = _auth(api, "ops_one", "operator")
    fan = _auth(api, "fan_one", "fan")[1]
    creator_id = _top_creator(api)
    creator = {"Authorization": f"Bearer {api.platform.accounts.issue_token(creator_id)}"}
    _refresh(api)
    return World(api, brand, other, operator, operator_id, fan, creator_id, creator)


def _count(world: World, auth: Auth, expression: str, **extra: object) -> dict[str, object]:
    response = world.api.client.post(
        "/v1/segments/count", json={"expression": expression, **extra}, headers=auth
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_no_index_yet_is_a_problem_naming_the_command(api: Api) -> None:
    _id, brand = _auth(api, "early_brand", "brand")
    response = api.client.post("/v1/segments/count", json={"expression": "role.fan"},
                               headers=brand)  # fmt: skip
    body = assert_problem(response, 404, "persona-index-missing")
    assert "plaudit persona refresh" in body["detail"]


def test_brands_see_counts_and_small_ones_suppressed(world: World) -> None:
    persona = world.api.platform.persona
    big = _count(world, world.brand, "role.fan")
    assert big == {"expression": "role.fan", "count": persona.size("role.fan")}
    assert isinstance(big["count"], int)
    assert big["count"] >= K
    small = _count(world, world.brand, EXAMPLE)
    assert persona.size(EXAMPLE) < K
    assert small == {"expression": EXAMPLE, "count": SUPPRESSED, "suppressed": True}


def test_fans_and_anonymous_callers_cannot_query(world: World) -> None:
    client = world.api.client
    response = client.post("/v1/segments/count", json={"expression": "role.fan"},
                           headers=world.fan)  # fmt: skip
    assert "fan" in assert_problem(response, 403, "forbidden")["detail"]
    response = client.post("/v1/segments/count", json={"expression": "role.fan"})
    assert_problem(response, 401, "not-authenticated")
    response = client.get(f"/v1/creators/{world.creator_id}/fan-base", headers=world.fan)
    assert_problem(response, 403, "forbidden")


def test_expression_errors_point_at_the_column_with_a_suggestion(world: World) -> None:
    response = world.api.client.post(
        "/v1/segments/count", json={"expression": "citytier in (1, new1)"}, headers=world.brand
    )
    body = assert_problem(response, 422, "invalid-input")
    assert body["detail"] == "unknown tag 'citytier' at column 1; did you mean 'city_tier'?"
    assert body["column"] == 1
    assert body["field"] == "expression"


def test_exact_counts_are_for_operators_and_logged(world: World) -> None:
    response = world.api.client.post(
        "/v1/segments/count", json={"expression": EXAMPLE, "exact": True}, headers=world.brand
    )
    assert_problem(response, 403, "forbidden")
    log = world.api.platform.settings.data_path / "persona-access.log"
    assert not log.exists()
    exact = _count(world, world.operator, EXAMPLE, exact=True)
    assert exact == {"expression": EXAMPLE, "count": world.api.platform.persona.size(EXAMPLE),
                     "exact": True}  # fmt: skip
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(lines) == 1
    assert lines[0]["operator"] == f"account:{world.operator_id}"
    assert lines[0]["expr"] == EXAMPLE
    assert _count(world, world.operator, EXAMPLE)["count"] == SUPPRESSED  # not exact: suppressed


def test_insights_give_every_family_with_tgi(world: World) -> None:
    response = world.api.client.post(
        "/v1/segments/insights", json={"expression": "role.fan"}, headers=world.brand
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body["families"]) == {f.id for f in FAMILIES}
    rows = [row for rows in body["families"].values() for row in rows]
    assert len(rows) == len(TAGS)
    for row in rows:
        if row.get("suppressed"):
            assert row["count"] == SUPPRESSED
            assert "share" not in row
        else:
            assert row["count"] >= K
            assert "tgi" in row
    fan_row = next(r for r in body["families"]["role"] if r["tag"] == "role.fan")
    assert fan_row["share"] == 1.0


def test_overlap_of_up_to_five(world: World) -> None:
    client = world.api.client
    two = ["gender = female", "role.fan"]
    response = client.post("/v1/segments/overlap", json={"expressions": two}, headers=world.brand)
    assert response.status_code == 200, response.text
    body = response.json()
    both = world.api.platform.persona.size("gender = female and role.fan")
    assert body["pairs"] == [{"a": 0, "b": 1, "count": both if both >= K else SUPPRESSED}]
    six = ["role.fan"] * 6
    response = client.post("/v1/segments/overlap", json={"expressions": six}, headers=world.brand)
    assert "2 to 5" in assert_problem(response, 422, "invalid-input")["detail"]


def test_lookalike_is_saved_by_name_and_never_lists_accounts(world: World) -> None:
    client = world.api.client
    request = {"name": "like_top_fans", "size": 120, "creator_id": world.creator_id}
    response = client.post("/v1/segments/lookalike", json=request, headers=world.brand)
    assert response.status_code == 201, response.text
    about = response.json()
    assert set(about) == {"seed_expression", "method", "seed", "size", "top_tags", "saved_as"}
    assert about["saved_as"] == "like_top_fans"
    assert about["size"] == 120
    assert "naive-Bayes" in about["method"]
    count = _count(world, world.brand, "segment:like_top_fans")
    assert count["count"] == 120
    fans = world.api.platform.persona.fans(world.creator_id)
    overlap = _count(world, world.operator, "segment:like_top_fans", exact=True)
    assert overlap["count"] == 120
    members = world.api.platform.persona.audience().select("segment:like_top_fans")
    assert not members & fans  # outside the seed
    response = client.post("/v1/segments/count", json={"expression": "segment:like_top_fans"},
                           headers=world.other_brand)  # fmt: skip
    assert_problem(response, 404, "not-found")
    # names are per organisation (here per brand account): the other brand's own audience
    response = client.post("/v1/segments/lookalike", json=request, headers=world.other_brand)
    assert response.status_code == 201, response.text
    response = client.post("/v1/segments/lookalike", json=request, headers=world.brand)
    assert_problem(response, 409, "conflict")
    no_seed = {"name": "x", "size": 120}
    response = client.post("/v1/segments/lookalike", json=no_seed, headers=world.brand)
    assert_problem(response, 422, "invalid-input")


def test_saved_segments_create_list_read(world: World) -> None:
    client = world.api.client
    body = {"name": "women", "expression": "gender = female"}
    response = client.post("/v1/segments/saved", json=body, headers=world.brand)
    assert response.status_code == 201, response.text
    assert response.json()["expression"] == "gender = female"
    assert_problem(
        client.post("/v1/segments/saved", json=body, headers=world.brand), 409, "conflict"
    )
    bad = {"name": "oops", "expression": "gender = femal"}
    problem = assert_problem(
        client.post("/v1/segments/saved", json=bad, headers=world.brand), 422, "invalid-input"
    )
    assert "did you mean 'female'" in problem["detail"]
    listed = client.get("/v1/segments/saved", headers=world.brand).json()["segments"]
    assert [s["name"] for s in listed] == ["women"]
    assert client.get("/v1/segments/saved", headers=world.other_brand).json() == {"segments": []}
    read = client.get("/v1/segments/saved/women", headers=world.brand).json()
    assert read["count"] == world.api.platform.persona.size("gender = female")
    assert_problem(
        client.get("/v1/segments/saved/women", headers=world.other_brand), 404, "not-found"
    )
    assert client.get("/v1/segments/saved/women", headers=world.operator).status_code == 200


def test_fan_base_for_the_creator_brands_and_operators(world: World) -> None:
    client = world.api.client
    path = f"/v1/creators/{world.creator_id}/fan-base"
    for auth in (world.creator, world.brand, world.operator):
        response = client.get(path, headers=auth)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body["sentence"]) == {"en", "zh"}
        assert body["creator_id"] == world.creator_id
    assert body["count"] >= K
    assert re.fullmatch(r"\d+% of your fans are (women|men) aged \d+-\d+", body["sentence"]["en"])
    assert re.fullmatch(r"你的粉丝中\d+%是\d+-\d+岁的(女|男)性", body["sentence"]["zh"])
    with world.api.platform.db.read() as conn:
        other = conn.execute(
            select(tables.accounts.c.id)
            .where(tables.accounts.c.kind == "creator", tables.accounts.c.id != world.creator_id)
            .limit(1)
        ).scalar_one()
    response = client.get(f"/v1/creators/{other}/fan-base", headers=world.creator)
    assert "own account" in assert_problem(response, 403, "forbidden")["detail"]
    fan_id = _top_fan(world)
    response = client.get(f"/v1/creators/{fan_id}/fan-base", headers=world.brand)
    assert "not a creator" in assert_problem(response, 404, "not-found")["detail"]


def _top_fan(world: World) -> int:
    with world.api.platform.db.read() as conn:
        return int(
            conn.execute(
                select(func.min(tables.accounts.c.id)).where(tables.accounts.c.kind == "fan")
            ).scalar_one()
        )


# ---- differentially private by default: the budget ------------------------------------------


@pytest.fixture
def private_api(backend_settings: Settings) -> Iterator[Api]:
    """The default privacy (noise on), with a budget of 1 epsilon a day: 4 counts at 0.25."""
    settings = backend_settings.with_values(privacy_k=K, privacy_budget=1.0)
    platform = Platform(settings)
    with TestClient(create_app(settings, platform)) as client:
        yield Api(client, platform)


def _organisation_brands(api: Api) -> tuple[Auth, Auth, Auth]:
    """Two brand accounts of one organisation, and a brand of another."""
    one_id, one = _auth(api, "org_brand_one", "brand")
    two_id, two = _auth(api, "org_brand_two", "brand")
    _three_id, three = _auth(api, "rival_brand", "brand")
    org = api.platform.campaigns.create_organisation(one_id, "Acme")
    api.platform.campaigns.set_member(one_id, org.id, two_id, "analyst")
    rival_id = _three_id
    api.platform.campaigns.create_organisation(rival_id, "Rival")
    return one, two, three


def test_new_questions_spend_the_organisations_budget_then_429(private_api: Api) -> None:
    api = private_api
    load_community(api.platform.db, SMALL, seed=5, end=datetime.now(UTC), show_progress=False)
    _refresh(api)
    one, two, rival = _organisation_brands(api)
    client = api.client
    questions = ["role.fan", "gender = female", "gender = male", "age < 30"]
    answers = []
    for expression in questions:
        response = client.post("/v1/segments/count", json={"expression": expression}, headers=one)
        assert response.status_code == 200, response.text
        answers.append(response.json())
    # the same question (or a rewrite with the same canonical form) is free and identical
    again = client.post("/v1/segments/count", json={"expression": "role.fan"}, headers=one)
    assert again.json() == answers[0]
    # the organisation's budget is spent: for its other member too
    for auth in (one, two):
        response = client.post(
            "/v1/segments/count", json={"expression": "interest.food"}, headers=auth
        )
        problem = assert_problem(response, 429, "privacy-budget-exhausted")
        assert "1 of 1 epsilon" in problem["detail"]
        retry = int(response.headers["Retry-After"])
        assert 86_000 < retry <= 86_400
        assert problem["retry_after"] == retry
    insights = client.post("/v1/segments/insights", json={"expression": "role.fan"}, headers=one)
    assert_problem(insights, 429, "privacy-budget-exhausted")
    # another organisation has its own budget
    response = client.post("/v1/segments/count", json={"expression": "interest.food"},
                           headers=rival)  # fmt: skip
    assert response.status_code == 200, response.text
    # operators answer without a budget, and count exactly (logged)
    _op_id, operator = _auth(api, "ops_budget", "operator")
    exact = {"expression": "interest.food", "exact": True}
    assert client.post("/v1/segments/count", json=exact, headers=operator).status_code == 200


def test_a_creators_fan_base_is_charged_to_the_creator(private_api: Api) -> None:
    api = private_api
    load_community(api.platform.db, SMALL, seed=5, end=datetime.now(UTC), show_progress=False)
    _refresh(api)
    creator_id = _top_creator(api)
    creator = {"Authorization": f"Bearer {api.platform.accounts.issue_token(creator_id)}"}
    path = f"/v1/creators/{creator_id}/fan-base"
    # a fan base costs dp_epsilon_insights = 2: more than this budget of 1
    problem = assert_problem(api.client.get(path, headers=creator), 429,
                             "privacy-budget-exhausted")  # fmt: skip
    assert f"account:{creator_id}" in problem["detail"]
    assert api.platform.persona.budget.spent(f"account:{creator_id}") == 0


def test_counts_are_noisy_rounded_and_within_their_noise_by_default(private_api: Api) -> None:
    api = private_api
    load_community(api.platform.db, SMALL, seed=5, end=datetime.now(UTC), show_progress=False)
    _refresh(api)
    _id, brand = _auth(api, "plain_brand", "brand")
    response = api.client.post("/v1/segments/count", json={"expression": "role.fan"},
                               headers=brand)  # fmt: skip
    shown = response.json()["count"]
    exact = api.platform.persona.size("role.fan")
    assert shown % 10 == 0
    assert abs(shown - exact) <= 12 * 5.6 + 10  # 12 standard deviations at epsilon 0.25
