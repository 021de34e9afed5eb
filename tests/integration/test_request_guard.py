"""The request guard (issue 17, items 6, 7 and 11), on every route and both engines."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select

from plaudit.store import tables
from tests.integration.conftest import Api, assert_problem

TOO_BIG = str(2**63)
_PARAM = re.compile(r"\{[^}]+\}")


def _routes(api: Api) -> list[tuple[str, str]]:
    """Every (method, path) with a path parameter, from the OpenAPI document."""
    paths: dict[str, dict[str, Any]] = api.client.get("/openapi.json").json()["paths"]
    return [
        (method.upper(), path)
        for path, operations in paths.items()
        if "{" in path
        for method in operations
    ]


def test_ids_beyond_64_bits_are_a_4xx_problem_on_every_route(api: Api) -> None:
    _, fan = api.account("fan1")
    routes = _routes(api)
    assert len(routes) >= 20
    for method, path in routes:
        url = _PARAM.sub(TOO_BIG, path)
        response = api.client.request(method, url, headers=fan, json={})
        assert 400 <= response.status_code < 500, (method, url, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    over = api.client.get(f"/v1/videos/{TOO_BIG}")
    assert "9223372036854775807" in assert_problem(over, 422, "invalid-input")["detail"]


def test_ids_and_times_out_of_range_in_queries_and_bodies(api: Api) -> None:
    _, creator = api.account("creator1", "creator")
    _, fan = api.account("fan1")
    video = api.video(creator)
    query = api.client.get("/v1/videos", params={"creator_id": TOO_BIG})
    assert assert_problem(query, 422, "invalid-input")["field"] == "creator_id"
    cursor = api.client.get("/v1/videos", params={"cursor": "YzE6OTk5OTk5OTk5OTk5OTk5OTk5OTk5"})
    assert cursor.status_code == 422, cursor.text
    source = api.client.post(
        f"/v1/videos/{video}/likes", json={"source": "campaign:" + "9" * 19}, headers=fan
    )
    assert "source" in assert_problem(source, 422, "invalid-input")["detail"]
    body = api.client.post(
        "/v1/videos", json={"title": "t", "category": "food", "duration_s": 2**64}, headers=creator
    )
    assert assert_problem(body, 422, "invalid-input")["field"] == "body.duration_s"
    when = api.client.post(
        "/v1/fund/periods",
        json={"name": "p", "starts_at": "0001-01-01T00:00:00+14:00", "ends_at": "2030-01-01Z"},
        headers=creator,
    )
    assert assert_problem(when, 422, "invalid-input")["field"] == "body.starts_at"


def test_bodies_are_bounded_and_errors_capped(api: Api) -> None:
    _, creator = api.account("creator1", "creator")
    limit = api.platform.settings.max_body_bytes
    huge = b'{"title": "' + b"x" * limit + b'"}'
    too_large = api.client.post(
        "/v1/videos", content=huge, headers={**creator, "content-type": "application/json"}
    )
    assert assert_problem(too_large, 413, "payload-too-large")["max_bytes"] == limit
    # a body of many unknown keys: one 422, at most 20 errors echoed, the total given
    keys = {f"k{i}": i for i in range(200)}
    many = api.client.post(
        "/v1/videos", json={"title": "t", "category": "food", **keys}, headers=creator
    )
    problem = assert_problem(many, 422, "invalid-input")
    assert len(problem["errors"]) == 20
    assert problem["error_count"] == 200
    assert len(many.content) < 10_000
    # more members than any Plaudit object has: refused before validation starts
    flood = {f"k{i}": i for i in range(250_000)}
    refused = api.client.post("/v1/videos", json=flood, headers=creator)
    assert "250000 members" in assert_problem(refused, 422, "invalid-input")["detail"]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b'{"title": "\xff\xfe", "category": "food"}', "not UTF-8"),
        (b"[" * 100 + b"]" * 100, "nested deeper"),
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper"),
        (b'{"title": ', "not JSON"),
    ],
)
def test_malformed_bodies_have_one_documented_type(api: Api, content: bytes, why: str) -> None:
    _, creator = api.account("creator1", "creator")
    for path in ("/v1/videos", "/v1/accounts", "/v1/interactions/bulk", "/v1/me/profile"):
        method = "PATCH" if path == "/v1/me/profile" else "POST"
        response = api.client.request(
            method, path, content=content, headers={**creator, "content-type": "application/json"}
        )
        assert why in assert_problem(response, 422, "malformed-body")["detail"], path


@pytest.mark.parametrize("bad", ["\u0000", "\u202e", "\u200b", "\u2066", "\u0007", "\ufeff"])
def test_control_bidi_and_invisible_characters_are_refused(api: Api, bad: str) -> None:
    handle = api.client.post("/v1/accounts", json={"handle": f"fan{bad}x"})
    assert assert_problem(handle, 422, "invalid-input")["field"] == "body.handle"
    _, creator = api.account("creator1", "creator")
    title = api.client.post(
        "/v1/videos", json={"title": f"a{bad}b", "category": "food"}, headers=creator
    )
    assert f"U+{ord(bad):04X}" in assert_problem(title, 422, "invalid-input")["detail"]
    video = api.video(creator)
    comment = api.client.post(
        f"/v1/videos/{video}/comments", json={"body": f"nice{bad}"}, headers=creator
    )
    assert_problem(comment, 422, "invalid-input")
    device = api.client.post(
        f"/v1/videos/{video}/likes", json={"device": {"id": f"d{bad}"}}, headers=creator
    )
    assert_problem(device, 422, "invalid-input")
    profile = api.client.patch("/v1/me/profile", json={"city": f"x{bad}"}, headers=creator)
    assert_problem(profile, 422, "invalid-input")
    # emoji sequences with joiners and ordinary Chinese text still pass
    ok = api.client.post(
        f"/v1/videos/{video}/comments", json={"body": "好看 👨\u200d👩\u200d👧"}, headers=creator
    )
    assert ok.status_code == 201, ok.text
    assert json.loads(ok.text)["body"] == "好看 👨\u200d👩\u200d👧"


def test_a_body_without_content_type_is_still_checked_when_it_looks_like_json(
    api: Api,
) -> None:
    _, creator = api.account("creator1", "creator")
    for content in (b"{not json", b"[" * 5000 + b"]" * 5000, b'{"title": "\xff"}'):
        response = api.client.post("/v1/videos", content=content, headers=creator)
        assert_problem(response, 422, "malformed-body")


def test_device_headers_are_normalised(api: Api) -> None:
    """Header values are not typed by the person: unsafe characters are dropped, not refused."""
    _, creator = api.account("creator1", "creator")
    video = api.video(creator)
    headers = {**creator, "User-Agent": "Mozilla\x7f/5.0", "X-Device-Id": "\x07phone"}
    like = api.client.post(f"/v1/videos/{video}/likes", headers=headers)
    assert like.status_code in (200, 201), like.text
    with api.platform.db.read() as conn:
        stored = conn.execute(
            select(tables.devices.c.device_key, tables.devices.c.user_agent)
        ).all()
    assert [tuple(row) for row in stored] == [("phone", "Mozilla/5.0")]
