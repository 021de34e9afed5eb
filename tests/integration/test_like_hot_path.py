"""The like's hot path (issue 18) keeps the contract of the documented operation: the fast
route and FastAPI's route answer alike, every middleware still applies, and the first like of
an account signed in with a token reads nothing more than the token."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from plaudit.authenticity.rules import NEW_ACCOUNT_RISK
from plaudit.store import tables, utcnow
from tests.integration.conftest import Api, assert_problem


def test_a_path_the_fast_route_does_not_match_is_the_documented_422(api: Api) -> None:
    _, fan = api.account("fan1")
    problem = assert_problem(
        api.client.post("/v1/videos/abc/likes", headers=fan), 422, "invalid-input"
    )
    assert problem["errors"][0]["field"] == "path.video_id"


def test_the_fast_route_answers_problems_and_carries_the_middlewares_fields(api: Api) -> None:
    _, creator = api.account("creator1", "creator")
    _, fan = api.account("fan1")
    video = api.video(creator)
    anonymous = api.client.post(f"/v1/videos/{video}/likes")
    assert_problem(anonymous, 401, "not-authenticated")
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert_problem(api.client.post("/v1/videos/999999/likes", headers=fan), 404, "video-not-found")
    liked = api.client.post(f"/v1/videos/{video}/likes", headers=fan)
    assert liked.status_code == 201
    assert liked.headers["ratelimit-policy"].startswith('"credential"')
    keyed = {**fan, "Idempotency-Key": "k1"}
    first = api.client.post(f"/v1/videos/{video}/likes", headers=keyed)
    replay = api.client.post(f"/v1/videos/{video}/likes", headers=keyed)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert_problem(
        api.client.post(f"/v1/videos/{video}/likes", json={"source": 5}, headers=fan),
        422,
        "invalid-input",
    )


def test_the_token_read_gives_the_rules_the_accounts_age(api: Api) -> None:
    """A new account's like carries the new-account risk, an old one's does not: the age the
    rules use comes from the token's read, right on both engines, and needs no other read."""
    _, creator = api.account("creator1", "creator")
    video = api.video(creator)
    new_id, new = api.account("newcomer")
    old_id, old = api.account("veteran")
    with api.platform.db.write_engine.begin() as conn:
        conn.execute(
            update(tables.accounts)
            .where(tables.accounts.c.id == old_id)
            .values(created_at=utcnow() - timedelta(days=400))
        )
    assert not api.platform.accounts.knows_created_at(old_id)
    assert api.client.get("/v1/me", headers=old).status_code == 200  # the first token read
    assert api.platform.accounts.knows_created_at(old_id)
    # on PostgreSQL the rules' windows are shared, a round trip whatever the age
    assert api.platform.rules.admits_without_io(old_id) is not api.platform.rules.blocking
    new_like = api.client.post(f"/v1/videos/{video}/likes", headers=new).json()
    old_like = api.client.post(f"/v1/videos/{video}/likes", headers=old).json()
    assert new_like["risk"] >= NEW_ACCOUNT_RISK
    assert old_like["risk"] < NEW_ACCOUNT_RISK
    assert api.platform.accounts.created_at(new_id) > utcnow() - timedelta(minutes=5)


def test_the_fast_route_takes_the_body_the_request_guard_read(api: Api) -> None:
    """The like takes its body as the request guard read and checked it (not a second read):
    the body's source and device are those stored, and a body the guard refuses never
    reaches the like."""
    _, creator = api.account("creator1", "creator")
    fan_id, fan = api.account("fan1")
    video = api.video(creator)
    body = {"source": "web", "device": {"id": "phone-9", "user_agent": "PlauditApp/4"}}
    liked = api.client.post(f"/v1/videos/{video}/likes", json=body, headers=fan)
    assert liked.status_code == 201
    assert liked.json()["source"] == "web"
    likes, devices = tables.likes, tables.devices
    with api.platform.db.read() as conn:
        stored = conn.execute(
            select(devices.c.device_key, devices.c.user_agent)
            .select_from(likes.join(devices, likes.c.device_id == devices.c.id))
            .where(likes.c.id == liked.json()["id"])
        ).one()
    assert tuple(stored) == ("phone-9", "PlauditApp/4")
    hidden = '{"source": "we\u202eb"}'.encode()
    refused = api.client.post(
        f"/v1/videos/{video}/likes",
        content=hidden,
        headers={**fan, "content-type": "application/json"},
    )
    assert_problem(refused, 422, "invalid-input")
    assert [like.id for like in api.platform.interactions.likes_of(fan_id, None, 10)] == [
        liked.json()["id"]
    ]
