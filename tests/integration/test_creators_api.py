"""The creator assistant's API on SQLite and PostgreSQL: who may read, stored plans, the inbox,
and approvals that act only when approved, through the interactions service."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plaudit.api import create_app
from plaudit.config import Settings
from plaudit.errors import NotFound
from plaudit.ledger.entries import Entry, Kind, decode_entry
from plaudit.persona import compute_index
from plaudit.platform import Platform
from plaudit.store import tables
from tests.integration.conftest import Api, assert_problem

K = 2  # privacy_k: a handful of fans are enough to describe in these tests
Auth = dict[str, str]


@dataclass
class World:
    api: Api
    creator_id: int
    creator: Auth
    fans: list[tuple[int, Auth]]
    operator: Auth
    comments: list[int]


@pytest.fixture
def api(backend_settings: Settings) -> Iterator[Api]:
    settings = backend_settings.with_values(privacy_k=K)
    platform = Platform(settings)
    with TestClient(create_app(settings, platform)) as client:
        yield Api(client, platform)


def _auth(api: Api, handle: str, kind: str) -> tuple[int, Auth]:
    account, token = api.platform.accounts.create(handle, kind)
    return account.id, {"Authorization": f"Bearer {token}"}


@pytest.fixture
def world(api: Api) -> World:
    creator_id, creator = api.account("cook_anna", "creator")
    videos = [api.video(creator, "红烧肉", "food"), api.video(creator, "火锅", "food")]
    fans = [api.account(f"fan_{i}") for i in range(6)]
    for i, (_, auth) in enumerate(fans):
        profile = {"birth_year": 1998 + i % 3, "gender": "female" if i < 4 else "male"}
        assert api.client.patch("/v1/me/profile", json=profile, headers=auth).status_code == 200
        assert (
            api.client.post(f"/v1/creators/{creator_id}/follows", headers=auth).status_code == 201
        )
        for video in videos[: 1 + i % 2]:
            assert api.client.post(f"/v1/videos/{video}/likes", headers=auth).status_code == 201
    comments = []
    for (_, auth), body in zip(fans[:2], ("这个怎么做的？", "I love this"), strict=True):
        made = api.client.post(
            f"/v1/videos/{videos[0]}/comments", json={"body": body}, headers=auth
        )
        assert made.status_code == 201, made.text
        comments.append(made.json()["id"])
    compute_index(api.platform.db, datetime.now(UTC)).save(api.platform.settings.data_path)
    operator = _auth(api, "ops_anna", "operator")[1]
    return World(api, creator_id, creator, fans, operator, comments)


def _comment_count(api: Api) -> int:
    with api.platform.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.comments)).scalar_one())


def _ledger_entry(api: Api, comment_id: int) -> Entry:
    """The comment's ledger entry, once the integrator has put it in a signed checkpoint."""
    e = tables.events
    with api.platform.db.read() as conn:
        seq = conn.execute(
            select(e.c.seq).where(e.c.kind == "comment", e.c.ref_id == comment_id)
        ).scalar_one()
    for _ in range(100):
        try:
            return decode_entry(api.platform.ledger.entry(seq))
        except NotFound:  # not integrated yet
            time.sleep(0.1)
    raise AssertionError(f"entry {seq} was not integrated within 10 s")


def test_the_creator_reads_insights_and_a_stored_plan(world: World) -> None:
    client, url = world.api.client, f"/v1/creators/{world.creator_id}"
    plan = client.get(f"{url}/plan", headers=world.creator)
    assert plan.status_code == 200, plan.text
    body = plan.json()
    assert {fan["handle"] for fan in body["fans"]} == {f"fan_{i}" for i in range(6)}
    answer = [fan for fan in body["fans"] if fan["action"] == "answer"]
    assert sorted(fan["comment_id"] for fan in answer) == sorted(world.comments)
    again = client.get(f"{url}/plan", headers=world.creator).json()
    assert again["computed_at"] == body["computed_at"]  # served from storage
    insights = client.get(f"{url}/insights", headers=world.creator)
    assert insights.status_code == 200
    found = insights.json()
    assert found["followers"] == 6
    assert found["composition"]["available"]
    headline = found["headline"]
    assert (headline["gender"], headline["fans"]) == ("female", 4)  # 4 of the 6 fans
    assert headline["en"].startswith("67% of your fans are women aged ")
    assert found["growth"][-1]["follows"] == 6
    assert found["summary"]["zh"]
    assert client.get(f"{url}/plan", headers=world.operator).status_code == 200


def test_no_one_else_reads_a_creators_assistant(world: World) -> None:
    client, url = world.api.client, f"/v1/creators/{world.creator_id}"
    fan_auth = world.fans[0][1]
    for path in ("insights", "plan", "inbox", "actions"):
        assert_problem(client.get(f"{url}/{path}", headers=fan_auth), 403, "forbidden")
        assert_problem(client.get(f"{url}/{path}"), 401, "not-authenticated")
    assert_problem(
        client.get(f"/v1/creators/{world.fans[0][0]}/plan", headers=world.operator),
        422,
        "invalid-input",
    )
    assert_problem(
        client.get("/v1/creators/987654/plan", headers=world.operator), 404, "account-not-found"
    )


def test_the_inbox_suggests_and_only_approval_acts(world: World) -> None:
    client, url = world.api.client, f"/v1/creators/{world.creator_id}"
    before = _comment_count(world.api)
    inbox = client.get(f"{url}/inbox", headers=world.creator)
    assert inbox.status_code == 200
    items = inbox.json()["items"]
    replies = [item for item in items if item["kind"] == "reply"]
    assert {item["comment"]["id"] for item in replies} == set(world.comments)
    zh = next(item for item in replies if item["comment"]["body"] == "这个怎么做的？")
    assert zh["suggestion"]["language"] == "zh"
    assert zh["suggestion"]["intent"] == "question"
    assert zh["suggestion"]["body"].startswith("@fan_0 ")
    assert _comment_count(world.api) == before  # reading plans and the inbox acts on nothing

    approve = f"{url}/actions/approve"
    refused = client.post(approve, json={"ids": [zh["id"]]}, headers=world.operator)
    assert_problem(refused, 403, "forbidden")
    bad = client.post(approve, json={"ids": ["wave-1"]}, headers=world.creator)
    assert_problem(bad, 422, "invalid-input")
    assert_problem(client.post(approve, json={"ids": []}, headers=world.creator), 422,
                   "invalid-input")  # fmt: skip
    assert _comment_count(world.api) == before

    done = client.post(approve, json={"ids": [zh["id"]]}, headers=world.creator)
    assert done.status_code == 200, done.text
    (result,) = done.json()["results"]
    assert result["outcome"] == "executed"
    assert _comment_count(world.api) == before + 1
    c = tables.comments
    with world.api.platform.db.read() as conn:
        made = conn.execute(select(c).where(c.c.id == result["comment_id"])).one()
    assert made.source == "assistant"
    assert made.account_id == world.creator_id
    assert made.body == zh["suggestion"]["body"]
    entry = _ledger_entry(world.api, made.id)
    assert (entry.kind, entry.source, entry.target_id) == (Kind.COMMENT, "assistant", made.video_id)
    history = client.get(f"{url}/actions", headers=world.creator).json()["actions"]
    assert history[0]["outcome"] == "executed"
    assert history[0]["approved_by"] == world.creator_id
    left = client.get(f"{url}/inbox", headers=world.creator).json()["items"]
    assert zh["id"] not in {item["id"] for item in left}
