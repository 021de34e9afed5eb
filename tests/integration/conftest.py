"""Fixtures for the API suite: the real app on a real database, through HTTP semantics."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plaudit.api import create_app
from plaudit.config import Settings
from plaudit.platform import Platform


@dataclass
class Api:
    """A client of the running app plus the platform behind it (for checking the database)."""

    client: TestClient
    platform: Platform

    def account(self, handle: str, kind: str = "fan") -> tuple[int, dict[str, str]]:
        response = self.client.post("/v1/accounts", json={"handle": handle, "kind": kind})
        assert response.status_code == 201, response.text
        body = response.json()
        return body["id"], {"Authorization": f"Bearer {body['token']}"}

    def video(
        self, creator_auth: dict[str, str], title: str = "clip", category: str = "food"
    ) -> int:
        response = self.client.post(
            "/v1/videos", json={"title": title, "category": category}, headers=creator_auth
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def likes(self, video_id: int) -> int:
        return int(self.client.get(f"/v1/videos/{video_id}").json()["likes"])


def assert_problem(response: Any, status: int, type_slug: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem of this status and type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"].endswith("/" + type_slug), body
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


@pytest.fixture
def api(backend_settings: Settings) -> Iterator[Api]:
    platform = Platform(backend_settings)
    with TestClient(create_app(backend_settings, platform)) as client:
        yield Api(client, platform)
