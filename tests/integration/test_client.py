"""plaudit.client against a live server: typed results, pagination, problems as ApiError,
idempotent retries, backing off on 429, and verifying a webhook; sync and async."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from plaudit.client import ApiError, AsyncClient, Client, Video, verify_webhook
from plaudit.config import Settings
from plaudit.webhooks import new_secret, sign
from tests.integration.server import running_server


@pytest.fixture
def server(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    monkeypatch.setenv("PLAUDIT_RATE_LIMIT", "5/second")
    with running_server(sqlite_settings, tmp_path / "server.log") as base:
        yield base


def test_the_sync_client_covers_an_integrators_day(server: str) -> None:
    with Client(server) as anonymous:
        creator, token = anonymous.create_account("studio", "creator")
        _, fan_token = anonymous.create_account("viewer")
    with Client(server, token) as studio:
        assert studio.me() == creator
        published = [studio.publish_video(f"clip {n}", "food") for n in range(5)]
        assert all(isinstance(v, Video) for v in published)
        listed = list(studio.videos(creator_id=creator.id, page_size=2))  # 3 pages
        assert [v.id for v in listed] == [v.id for v in published]
        assert studio.rate_limit is not None
        assert studio.rate_limit.policy == "credential"
        with pytest.raises(ApiError) as info:
            studio.video(10**6)
        assert info.value.status == 404
        assert info.value.type == "video-not-found"
    with Client(server, fan_token) as fan:
        first = fan.like(published[0].id, idempotency_key="tap-1")
        again = fan.like(published[0].id, idempotency_key="tap-1")  # a retry: replayed
        assert again == first
        for video in published[1:]:
            fan.like(video.id)  # over 5/second: the client waits for Retry-After
        mine = list(fan.likes(first.account_id, page_size=2))
        assert sorted(like.video_id for like in mine) == sorted(v.id for v in published)
        assert fan.video(published[0].id).likes == 1


def test_the_async_client_does_the_same(server: str) -> None:
    async def day() -> None:
        async with AsyncClient(server) as anonymous:
            creator, token = await anonymous.create_account("async_studio", "creator")
        async with AsyncClient(server, token) as studio:
            made = [await studio.publish_video(f"c{n}", "music") for n in range(3)]
            seen = [v.id async for v in studio.videos(creator_id=creator.id, page_size=2)]
            assert seen == [v.id for v in made]
            key, secret = await studio.create_api_key("reader", ["videos:read"])
            assert secret.startswith("plaudit_sk_")
            assert key.scopes == ["videos:read"]
        async with AsyncClient(server, secret) as scoped:
            with pytest.raises(ApiError) as info:
                await scoped.publish_video("nope", "food")
            assert info.value.type == "missing-scope"
            assert info.value.problem["scope"] == "videos:write"

    asyncio.run(day())


def test_the_webhook_helper_accepts_plaudits_signatures_only() -> None:
    secret = new_secret()
    body = b'{"type":"webhook.test","timestamp":"2026-12-04T00:00:00+00:00","data":{}}'
    now = datetime.now(UTC)
    headers = {
        "Webhook-Id": "msg_1",
        "Webhook-Timestamp": str(int(now.timestamp())),
        "Webhook-Signature": sign([secret], "msg_1", now, body),
    }
    assert verify_webhook(secret, body, headers)["type"] == "webhook.test"
    with pytest.raises(Exception, match="signature"):
        verify_webhook(new_secret(), body, headers)


def test_typed_webhook_and_social_methods(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLAUDIT_WEBHOOKS_ALLOW_PRIVATE", "1")
    with running_server(sqlite_settings, tmp_path / "server.log") as base:
        with Client(base) as anonymous:
            creator, token = anonymous.create_account("hooked", "creator")
            _, fan_token = anonymous.create_account("chatty")
        with Client(base, token) as studio:
            video = studio.publish_video("clip", "food")
            endpoint, key = studio.create_webhook_endpoint(
                "http://127.0.0.1:9/hook", ["webhook.test"], signature="v1a"
            )
            assert key.startswith("whpk_")
            assert endpoint.signature == "v1a"
            assert studio.webhook_endpoints() == [endpoint]
            message = studio.send_test_webhook(endpoint.id)
            (delivery,) = studio.webhook_deliveries(endpoint.id)
            assert (delivery.id, delivery.event_type) == (message, "webhook.test")
        with Client(base, fan_token) as fan:
            assert fan.follow(creator.id)["creator_id"] == creator.id
            assert fan.comment(video.id, "好看!")["body"] == "好看!"
            with pytest.raises(ApiError) as info:
                fan.create_webhook_endpoint("http://127.0.0.1:9/hook", ["webhook.test"])
            assert info.value.type == "forbidden"
