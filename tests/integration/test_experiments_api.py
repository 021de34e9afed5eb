"""The experiments API on SQLite and PostgreSQL: create, assign with exposure, report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from plaudit.experiments import Arm, assign
from tests.integration.conftest import Api, assert_problem


def _definition(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    body = {
        "name": "answer fans daily",
        "unit": "creator",
        "metric": "likes_received",
        "arms": [{"name": "control"}, {"name": "plan", "weight": 1}],
        "pre_starts_at": (now - timedelta(days=3)).isoformat(),
        "starts_at": (now - timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=6)).isoformat(),
    }
    return {**body, **changes}


def test_an_experiment_reports_what_the_likes_say(api: Api) -> None:
    owner_id, owner = api.account("exp_owner", "creator")
    created = api.client.post("/v1/experiments", json=_definition(), headers=owner)
    assert created.status_code == 201, created.text
    experiment = created.json()
    assert experiment["control"] == "control"
    url = f"/v1/experiments/{experiment['id']}"
    fans = [api.account(f"exp_fan_{i}")[1] for i in range(6)]
    arms = (Arm("control", 1), Arm("plan", 1))
    likes_by_arm: dict[str, list[int]] = {"control": [], "plan": []}
    made = 0
    for i in range(40):  # peek without exposing; expose three units per arm
        unit_id, unit = api.account(f"exp_creator_{i}", "creator")
        peek = api.client.post(
            f"{url}/assignments", json={"unit_id": unit_id, "expose": False}, headers=owner
        )
        assert peek.json()["exposed_at"] is None
        arm = peek.json()["arm"]
        assert arm == assign(experiment["id"], unit_id, arms)
        if len(likes_by_arm[arm]) == 3:
            continue
        response = api.client.post(f"{url}/assignments", json={"unit_id": unit_id}, headers=owner)
        assert response.status_code == 200, response.text
        assert response.json()["arm"] == arm
        assert response.json()["first_exposure"]
        video = api.video(unit)
        made += 1
        for fan in fans[:made]:
            assert api.client.post(f"/v1/videos/{video}/likes", headers=fan).status_code == 201
        likes_by_arm[arm].append(made)
        if made == 6:
            break
    assert made == 6
    report = api.client.get(f"{url}/report", headers=owner)
    assert report.status_code == 200, report.text
    body = report.json()
    days = body["window"]["days"]
    means = {arm["arm"]: arm["mean"] for arm in body["arms"]}
    for arm, counts in likes_by_arm.items():
        assert means[arm] == pytest.approx(sum(counts) / len(counts) / days)
    (comparison,) = body["comparisons"]
    assert comparison["plain"]["difference"] == pytest.approx(means["plan"] - means["control"])
    low, high = comparison["plain"]["ci95"]
    assert low <= comparison["plain"]["difference"] <= high
    assert body["cuped"]["theta"] == 0.0  # no likes before the experiment: nothing to explain
    assert owner_id == body["experiment"]["owner_id"]


def test_roles_and_bad_definitions_get_precise_problems(api: Api) -> None:
    _, owner = api.account("exp_owner2", "creator")
    fan_id, fan = api.account("exp_fan2")
    assert_problem(api.client.post("/v1/experiments", json=_definition(), headers=fan), 403,
                   "forbidden")  # fmt: skip
    for changes, field in (
        ({"metric": "views"}, "metric"),
        ({"unit": "fan"}, "metric"),
        ({"arms": [{"name": "only"}]}, "arms"),
        ({"starts_at": datetime.now(UTC).isoformat(), "pre_starts_at":
          datetime.now(UTC).isoformat()}, "pre_starts_at"),
    ):  # fmt: skip
        problem = assert_problem(
            api.client.post("/v1/experiments", json=_definition(**changes), headers=owner),
            422,
            "invalid-input",
        )
        assert problem["field"] == field
    created = api.client.post("/v1/experiments", json=_definition(), headers=owner).json()
    url = f"/v1/experiments/{created['id']}"
    assert_problem(api.client.get(url, headers=fan), 403, "forbidden")
    assert_problem(api.client.get(f"{url}/report", headers=fan), 403, "forbidden")
    assert_problem(
        api.client.post(f"{url}/assignments", json={"unit_id": fan_id}, headers=owner),
        403,
        "forbidden",
    )  # a fan is not a unit of a creator experiment
    assert_problem(api.client.get("/v1/experiments/424242", headers=owner), 404, "not-found")
    empty = assert_problem(api.client.get(f"{url}/report", headers=owner), 422, "invalid-input")
    assert "at least 2 exposed units" in empty["detail"]
    listed = api.client.get("/v1/experiments", headers=owner).json()["experiments"]
    assert [e["id"] for e in listed] == [created["id"]]
