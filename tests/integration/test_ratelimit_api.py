"""Rate limits through HTTP: every answer carries RateLimit-Policy and RateLimit; past the
quota a 429 problem with Retry-After; each credential and each anonymous address counts
apart; the liveness probe is never limited."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from plaudit.api import create_app
from plaudit.config import Settings
from plaudit.platform import Platform
from tests.integration.conftest import assert_problem


@pytest.fixture
def client(sqlite_settings: Settings) -> Iterator[TestClient]:
    settings = sqlite_settings.with_values(rate_limit="3/minute", rate_limit_anonymous="2/minute")
    with TestClient(create_app(settings, Platform(settings))) as test_client:
        yield test_client


def _remaining(response: object) -> int:
    field = response.headers["ratelimit"]  # type: ignore[attr-defined]
    match = re.fullmatch(r'"(\w+)";r=(\d+);t=(\d+)', field)
    assert match, field
    assert 0 <= int(match.group(3)) <= 60
    return int(match.group(2))


def test_a_credential_sees_its_quota_and_is_stopped_past_it(client: TestClient) -> None:
    token = client.post("/v1/accounts", json={"handle": "busy"}).json()["token"]  # anonymous 1
    auth = {"Authorization": f"Bearer {token}"}
    answers = [client.get("/v1/me", headers=auth) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].headers["ratelimit-policy"] == '"credential";q=3;w=60'
    assert [_remaining(a) for a in answers] == [2, 1, 0]
    refused = client.get("/v1/me", headers=auth)
    problem = assert_problem(refused, 429, "rate-limited")
    assert problem["limit"] == 3
    assert problem["window_s"] == 60
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert _remaining(refused) == 0

    other = client.post("/v1/accounts", json={"handle": "calm"}).json()["token"]  # anonymous 2
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_anonymous_callers_have_their_own_quota_and_healthz_is_free(client: TestClient) -> None:
    assert [client.get("/v1/videos").status_code for _ in range(2)] == [200, 200]
    anonymous = client.get("/v1/videos")
    assert_problem(anonymous, 429, "rate-limited")
    assert anonymous.headers["ratelimit-policy"] == '"anonymous";q=2;w=60'
    for _ in range(5):
        probe = client.get("/healthz")
        assert probe.status_code == 200
        assert "ratelimit" not in probe.headers


def test_the_logs_public_tiles_are_never_rate_limited(client: TestClient) -> None:
    """Verifiers read the whole tile tree: `plaudit ledger verify --url` must never get 429."""
    answers = [client.get("/ledger/checkpoint") for _ in range(5)]
    answers += [client.get("/ledger/vkey") for _ in range(5)]
    assert {a.status_code for a in answers} == {200}
    assert all("ratelimit" not in a.headers for a in answers)
    assert client.get("/v1/videos").status_code == 200  # the API still counts


def test_an_account_has_one_quota_over_all_its_credentials(sqlite_settings: Settings) -> None:
    settings = sqlite_settings.with_values(rate_limit="100/minute", rate_limit_account="3/minute")
    platform = Platform(settings)
    with TestClient(create_app(settings, platform)) as client:
        account, first = platform.accounts.create("many_keys", "creator")
        second = platform.accounts.issue_token(account.id)
        other = platform.accounts.create("neighbour", "creator")[1]
        tokens = [first, second, first]
        answers = [client.get("/v1/me", headers={"Authorization": f"Bearer {t}"}) for t in tokens]
        assert [a.status_code for a in answers] == [200, 200, 200]
        fourth = client.get("/v1/me", headers={"Authorization": f"Bearer {second}"})
        problem = assert_problem(fourth, 429, "rate-limited")
        assert problem["rule"] == "account"
        assert int(fourth.headers["retry-after"]) >= 1
        assert client.get("/v1/me", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_likes_count_toward_the_accounts_quota_from_a_cached_token(
    sqlite_settings: Settings,
) -> None:
    """The like's fast path answers a recently seen token from the cache: the account's
    quota must still count it, as `authenticate` does for every other request."""
    settings = sqlite_settings.with_values(rate_limit="100/minute", rate_limit_account="4/minute")
    platform = Platform(settings)
    with TestClient(create_app(settings, platform)) as client:
        _, creator_token = platform.accounts.create("quota_creator", "creator")
        made = client.post(
            "/v1/videos",
            json={"title": "clip", "category": "food"},
            headers={"Authorization": f"Bearer {creator_token}"},
        )
        video = made.json()["id"]
        fan_token = platform.accounts.create("quota_fan", "fan")[1]
        auth = {"Authorization": f"Bearer {fan_token}"}
        assert client.get("/v1/me", headers=auth).status_code == 200  # now in the cache
        answers = [client.post(f"/v1/videos/{video}/likes", headers=auth) for _ in range(4)]
        assert [a.status_code for a in answers[:3]] == [201, 200, 200]
        assert assert_problem(answers[3], 429, "rate-limited")["rule"] == "account"
