"""The v1 API against SQLite and PostgreSQL: behaviour users and integrators rely on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from plaudit.store import tables
from tests.integration.conftest import Api, assert_problem


def _events(api: Api) -> int:
    with api.platform.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.events)).scalar_one())


def test_openapi_and_docs_are_served(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    assert "/v1/videos/{video_id}/likes" in spec["paths"]
    assert api.client.get("/docs").status_code == 200


def test_like_is_idempotent_and_counted_once(api: Api) -> None:
    _, creator = api.account("creator1", "creator")
    fan_id, fan = api.account("fan1")
    video = api.video(creator)
    first = api.client.post(f"/v1/videos/{video}/likes", headers=fan)
    second = api.client.post(f"/v1/videos/{video}/likes", headers=fan)
    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    # the stored like: its seq, not null; its risk is not re-scored (an accepted like's is
    # not stored)
    assert second.json()["seq"] == first.json()["seq"] is not None
    assert isinstance(first.json()["risk"], int)
    assert second.json()["risk"] is None
    assert first.json()["account_id"] == fan_id
    assert first.json()["source"] == "app"
    assert api.likes(video) == 1
    assert _events(api) == 1


def test_like_records_source_and_device(api: Api) -> None:
    _, creator = api.account("creator1", "creator")
    fan_id, fan = api.account("fan1")
    video = api.video(creator)
    body = {"source": "web", "device": {"id": "dev-1", "user_agent": "PlauditApp/1.0"}}
    like = api.client.post(f"/v1/videos/{video}/likes", json=body, headers=fan).json()
    assert like["source"] == "web"
    with api.platform.db.read() as conn:
        row = conn.execute(
            select(tables.likes, tables.devices.c.device_key, tables.devices.c.user_agent)
            .join(tables.devices, tables.devices.c.id == tables.likes.c.device_id)
            .where(tables.likes.c.id == like["id"])
        ).one()
    assert (row.device_key, row.user_agent, row.account_id) == ("dev-1", "PlauditApp/1.0", fan_id)
    assert row.created_at.tzinfo is not None


def test_unlike_keeps_history_and_unliking_twice_is_a_conflict(api: Api) -> None:
    _, creator = api.account("creator1", "creator")
    _, fan = api.account("fan1")
    video = api.video(creator)
    api.client.post(f"/v1/videos/{video}/likes", headers=fan)
    removed = api.client.delete(f"/v1/videos/{video}/likes", headers=fan)
    assert removed.status_code == 200
    assert removed.json()["removed_at"] is not None
    assert api.likes(video) == 0
    assert_problem(api.client.delete(f"/v1/videos/{video}/likes", headers=fan), 409, "not-liked")
    relike = api.client.post(f"/v1/videos/{video}/likes", headers=fan)
    assert relike.status_code == 201
    assert relike.json()["id"] != removed.json()["id"]
    assert api.likes(video) == 1
    assert _events(api) == 3


def test_writes_need_a_valid_bearer_token(api: Api) -> None:
    _, creator = api.account("creator1", "creator")
    video = api.video(creator)
    missing = api.client.post(f"/v1/videos/{video}/likes")
    assert_problem(missing, 401, "not-authenticated")
    assert missing.headers["www-authenticate"].startswith("Bearer")
    forged = {"Authorization": "Bearer pl_" + "A" * 43}
    assert_problem(
        api.client.post(f"/v1/videos/{video}/likes", headers=forged), 401, "not-authenticated"
    )
    wrong_scheme = {"Authorization": "Basic abc"}
    assert_problem(
        api.client.post(f"/v1/videos/{video}/likes", headers=wrong_scheme), 401, "not-authenticated"
    )
    assert api.likes(video) == 0


def test_bad_input_gets_precise_problems_and_writes_nothing(api: Api) -> None:
    _, creator = api.account("creator1", "creator")
    _, fan = api.account("fan1")
    video = api.video(creator)
    bad_source = api.client.post(f"/v1/videos/{video}/likes", json={"source": "bot"}, headers=fan)
    assert "source" in assert_problem(bad_source, 422, "invalid-input")["detail"]
    unknown_field = api.client.post(f"/v1/videos/{video}/likes", json={"sauce": 1}, headers=fan)
    assert assert_problem(unknown_field, 422, "invalid-input")["errors"][0]["field"] == "body.sauce"
    broken_json = api.client.post(
        f"/v1/videos/{video}/likes",
        content=b"{not json",
        headers={**fan, "content-type": "application/json"},
    )
    assert_problem(broken_json, 422, "invalid-input")
    missing_video = api.client.post("/v1/videos/999999/likes", headers=fan)
    assert assert_problem(missing_video, 404, "video-not-found")["video_id"] == 999999
    not_an_id = api.client.get("/v1/videos/abc")
    assert_problem(not_an_id, 422, "invalid-input")
    assert_problem(api.client.get("/v1/nowhere"), 404, "not-found")
    assert _events(api) == 0
    assert api.likes(video) == 0


def test_account_likes_are_paginated_with_cursors_and_private(api: Api) -> None:
    _, creator = api.account("creator1", "creator")
    fan_id, fan = api.account("fan1")
    _, other = api.account("fan2")
    videos = [api.video(creator, f"clip {i}") for i in range(5)]
    for video in videos:
        api.client.post(f"/v1/videos/{video}/likes", headers=fan)
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = api.client.get(f"/v1/accounts/{fan_id}/likes", params=params, headers=fan).json()
        seen += [item["video_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(videos))
    assert_problem(api.client.get(f"/v1/accounts/{fan_id}/likes", headers=other), 403, "forbidden")
    bad = api.client.get(f"/v1/accounts/{fan_id}/likes", params={"cursor": "zzz"}, headers=fan)
    assert_problem(bad, 422, "invalid-input")


def test_list_videos_pages_through_everything(api: Api) -> None:
    _, creator = api.account("creator1", "creator")
    made = [api.video(creator, f"clip {i}") for i in range(7)]
    first = api.client.get("/v1/videos", params={"limit": 5}).json()
    second = api.client.get(
        "/v1/videos", params={"limit": 5, "cursor": first["next_cursor"]}
    ).json()
    assert [v["id"] for v in first["items"] + second["items"]] == made
    assert second["next_cursor"] is None
    assert_problem(api.client.get("/v1/videos", params={"limit": 0}), 422, "invalid-input")


def test_comments_shares_and_follows(api: Api) -> None:
    creator_id, creator = api.account("creator1", "creator")
    fan_id, fan = api.account("fan1")
    video = api.video(creator)
    comment = api.client.post(f"/v1/videos/{video}/comments", json={"body": " 好看! "}, headers=fan)
    assert comment.status_code == 201
    assert comment.json()["body"] == "好看!"
    assert_problem(
        api.client.post(f"/v1/videos/{video}/comments", json={"body": "   "}, headers=fan),
        422,
        "invalid-input",
    )
    share = api.client.post(f"/v1/videos/{video}/shares", json={"channel": "wechat"}, headers=fan)
    assert share.status_code == 201
    assert_problem(
        api.client.post(f"/v1/videos/{video}/shares", json={"channel": "fax"}, headers=fan),
        422,
        "invalid-input",
    )
    counts = api.client.get(f"/v1/videos/{video}").json()
    assert (counts["comments"], counts["shares"]) == (1, 1)
    follow = api.client.post(f"/v1/creators/{creator_id}/follows", headers=fan)
    again = api.client.post(f"/v1/creators/{creator_id}/follows", headers=fan)
    assert (follow.status_code, again.status_code) == (201, 200)
    assert follow.json()["id"] == again.json()["id"]
    assert_problem(
        api.client.post(f"/v1/creators/{fan_id}/follows", headers=creator), 422, "invalid-input"
    )
    assert api.client.delete(f"/v1/creators/{creator_id}/follows", headers=fan).status_code == 200
    assert_problem(
        api.client.delete(f"/v1/creators/{creator_id}/follows", headers=fan), 409, "not-following"
    )
    with api.platform.db.read() as conn:
        followers = conn.execute(
            select(tables.creator_counters.c.followers).where(
                tables.creator_counters.c.creator_id == creator_id
            )
        ).scalar_one()
    assert followers == 0


def test_only_creators_publish_and_handles_are_unique(api: Api) -> None:
    _, fan = api.account("fan1")
    refused = api.client.post("/v1/videos", json={"title": "x", "category": "food"}, headers=fan)
    assert_problem(refused, 403, "forbidden")
    taken = api.client.post("/v1/accounts", json={"handle": "fan1"})
    assert_problem(taken, 409, "handle-taken")
    _, creator = api.account("creator1", "creator")
    unknown = api.client.post(
        "/v1/videos", json={"title": "x", "category": "cooking"}, headers=creator
    )
    assert "category" in assert_problem(unknown, 422, "invalid-input")["detail"]


def test_profile_and_consent(api: Api) -> None:
    _, fan = api.account("fan1")
    assert api.client.get("/v1/me/profile", headers=fan).json()["consent_targeting"] is True
    changed = api.client.patch(
        "/v1/me/profile",
        headers=fan,
        json={
            "gender": "female",
            "birth_year": 1995,
            "city_tier": "new1",
            "consent_targeting": False,
        },
    )
    assert changed.status_code == 200
    assert changed.json()["consent_targeting"] is False
    assert changed.json()["city_tier"] == "new1"
    bad = api.client.patch("/v1/me/profile", headers=fan, json={"gender": "robot"})
    assert "gender" in assert_problem(bad, 422, "invalid-input")["detail"]
    assert api.client.get("/v1/me/profile", headers=fan).json()["gender"] == "female"


def _gateway(api: Api) -> dict[str, str]:
    _account, token = api.platform.accounts.create("gateway1", "gateway")
    return {"Authorization": f"Bearer {token}"}


def test_bulk_ingest_gives_a_result_per_item(api: Api) -> None:
    creator_id, creator = api.account("creator1", "creator")
    fan_id, fan = api.account("fan1")
    video = api.video(creator)
    at = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    items = [
        {"kind": "like", "account_id": fan_id, "target_id": video, "at": at, "ip": "10.1.2.3"},
        {"kind": "like", "account_id": fan_id, "target_id": video, "at": at},
        {"kind": "like", "account_id": fan_id, "target_id": 424242, "at": at},
        {"kind": "comment", "account_id": fan_id, "target_id": video, "at": at, "body": "hi"},
        {"kind": "follow", "account_id": fan_id, "target_id": creator_id, "at": at},
        {"kind": "unlike", "account_id": fan_id, "target_id": video, "at": at},
        {"kind": "unlike", "account_id": fan_id, "target_id": video, "at": at},
        {
            "kind": "share",
            "account_id": fan_id,
            "target_id": video,
            "at": at,
            "channel": "qq",
            "source": "nope",
        },
        {"kind": "like", "account_id": fan_id, "target_id": video, "at": at, "ip": "not-an-ip"},
    ]
    response = api.client.post(
        "/v1/interactions/bulk", json={"items": items}, headers=_gateway(api)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    statuses = [r["status"] for r in body["results"]]
    assert statuses == [
        "created",
        "existing",
        "error",
        "created",
        "created",
        "removed",
        "error",
        "error",
        "error",
    ]
    errors = [r["error"]["type"] for r in body["results"] if r["error"]]
    assert errors == ["video-not-found", "not-liked", "invalid-input", "invalid-input"]
    assert (body["accepted"], body["rejected"]) == (5, 4)
    seqs = [r["seq"] for r in body["results"] if r["seq"] is not None]
    assert seqs == sorted(seqs)
    assert len(seqs) == 4
    counts = api.client.get(f"/v1/videos/{video}").json()
    assert (counts["likes"], counts["comments"], counts["shares"]) == (0, 1, 0)
    assert _events(api) == 4
    del fan


def test_bulk_is_for_gateways_and_bounded(api: Api) -> None:
    _, fan = api.account("fan1")
    at = datetime.now(UTC).isoformat()
    one = [{"kind": "like", "account_id": 1, "target_id": 1, "at": at}]
    assert_problem(
        api.client.post("/v1/interactions/bulk", json={"items": one}, headers=fan), 403, "forbidden"
    )
    gateway = _gateway(api)
    too_many = one * (api.platform.settings.bulk_max_items + 1)
    assert_problem(
        api.client.post("/v1/interactions/bulk", json={"items": too_many}, headers=gateway),
        413,
        "payload-too-large",
    )
    naive = [{"kind": "like", "account_id": 1, "target_id": 1, "at": "2026-01-01T00:00:00"}]
    result = api.client.post("/v1/interactions/bulk", json={"items": naive}, headers=gateway)
    assert result.json()["results"][0]["error"]["type"] == "invalid-input"
    assert _events(api) == 0
