"""Idempotency-Key on POST on both engines: the first answer replayed, another request with
the key 422, a retry while the first runs 409, keys expire; and under concurrency against a
live server exactly one request does the work."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select, update

from plaudit.config import Settings
from plaudit.platform import Platform
from plaudit.store import utcnow
from plaudit.store.tables import idempotency_keys, videos
from tests.integration.conftest import Api, assert_problem
from tests.integration.server import running_server

CLIP = {"title": "clip", "category": "food"}


def _videos(api: Api) -> int:
    with api.platform.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(videos)).scalar_one())


def test_a_retry_with_the_same_key_gets_the_first_answer(api: Api) -> None:
    _, auth = api.account("maker", "creator")
    keyed = {**auth, "Idempotency-Key": '"publish-1"'}
    first = api.client.post("/v1/videos", json=CLIP, headers=keyed)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    again = api.client.post("/v1/videos", json=CLIP, headers=keyed)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == "application/json"
    assert _videos(api) == 1
    other_key = api.client.post("/v1/videos", json=CLIP, headers={**auth, "Idempotency-Key": "2"})
    assert other_key.json()["id"] != first.json()["id"]
    assert _videos(api) == 2


def test_a_problem_is_replayed_too_but_a_retryable_one_is_not_kept(api: Api) -> None:
    _, auth = api.account("fan1")
    keyed = {**auth, "Idempotency-Key": "like-404"}
    missing = api.client.post("/v1/videos/999/likes", headers=keyed)
    assert_problem(missing, 404, "video-not-found")
    replay = api.client.post("/v1/videos/999/likes", headers=keyed)
    assert_problem(replay, 404, "video-not-found")
    assert replay.headers["idempotent-replayed"] == "true"


def test_the_same_key_with_another_request_is_422(api: Api) -> None:
    _, auth = api.account("maker2", "creator")
    keyed = {**auth, "Idempotency-Key": "k"}
    assert api.client.post("/v1/videos", json=CLIP, headers=keyed).status_code == 201
    changed = api.client.post("/v1/videos", json={**CLIP, "title": "other"}, headers=keyed)
    assert_problem(changed, 422, "idempotency-key-reused")
    assert _videos(api) == 1


def test_keys_belong_to_the_credential(api: Api) -> None:
    _, one = api.account("maker3", "creator")
    _, two = api.account("maker4", "creator")
    first = api.client.post("/v1/videos", json=CLIP, headers={**one, "Idempotency-Key": "same"})
    second = api.client.post("/v1/videos", json=CLIP, headers={**two, "Idempotency-Key": "same"})
    assert first.json()["creator_id"] != second.json()["creator_id"]


def test_a_retry_while_the_first_runs_is_409_and_an_expired_key_is_new(api: Api) -> None:
    _, auth = api.account("maker5", "creator")
    keyed = {**auth, "Idempotency-Key": "slow"}
    assert api.client.post("/v1/videos", json=CLIP, headers=keyed).status_code == 201
    running = update(idempotency_keys).values(status_code=None)  # as while the first runs
    api.platform.db.write(lambda conn: conn.execute(running))
    busy = api.client.post("/v1/videos", json=CLIP, headers=keyed)
    assert_problem(busy, 409, "idempotency-key-in-use")
    assert busy.headers["retry-after"] == "1"
    past = utcnow() - timedelta(seconds=1)
    expire = update(idempotency_keys).values(expires_at=past)
    api.platform.db.write(lambda conn: conn.execute(expire))
    fresh = api.client.post("/v1/videos", json=CLIP, headers=keyed)
    assert fresh.status_code == 201
    assert "idempotent-replayed" not in fresh.headers
    assert _videos(api) == 2


def test_a_malformed_key_is_refused_precisely(api: Api) -> None:
    _, auth = api.account("maker6", "creator")
    response = api.client.post(
        "/v1/videos", json=CLIP, headers={**auth, "Idempotency-Key": "x" * 300}
    )
    assert "Idempotency-Key" in assert_problem(response, 422, "invalid-input")["detail"]


def test_concurrent_retries_do_the_work_once(backend_settings: Settings, tmp_path: Path) -> None:
    platform = Platform(backend_settings).open()
    try:
        _, token = platform.accounts.create("racer", "creator")
    finally:
        platform.close()
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "race"}

    async def race(base: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            sends = [client.post("/v1/videos", json=CLIP, headers=headers) for _ in range(12)]
            return list(await asyncio.gather(*sends))

    with running_server(backend_settings, tmp_path / "server.log") as base:
        answers = asyncio.run(race(base))
        listed = httpx.get(f"{base}/v1/videos").json()["items"]
    created = [a for a in answers if a.status_code == 201]
    assert {a.status_code for a in answers} <= {201, 409}
    assert created
    assert len({a.json()["id"] for a in created}) == 1
    assert sum("idempotent-replayed" not in a.headers for a in created) == 1
    assert len(listed) == 1
