"""Scoped API keys through HTTP on both engines: shown once, stored hashed, limited to their
scopes (a missing one is a 403 naming it), last use visible, revocable, expiring, and an
organisation's key stops with its maker's membership."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from plaudit.apikeys import KEY_PATTERN
from plaudit.store.tables import api_keys
from tests.integration.conftest import Api, assert_problem


def _make_key(api: Api, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    response = api.client.post("/v1/api-keys", json={"name": "tool", **body}, headers=auth)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_creator_key_acts_within_its_scopes(api: Api) -> None:
    creator, creator_auth = api.account("maker", "creator")
    video = api.video(creator_auth)
    created = _make_key(api, creator_auth, scopes=["likes:write", "videos:read"])
    secret = created["key"]
    assert KEY_PATTERN.fullmatch(secret)
    assert secret.startswith(created["prefix"])
    assert created["account_id"] == creator
    assert created["scopes"] == ["likes:write", "videos:read"]
    assert created["last_used_at"] is None

    liked = api.client.post(f"/v1/videos/{video}/likes", headers=_bearer(secret))
    assert liked.status_code == 201, liked.text
    assert liked.json()["account_id"] == creator

    body = {"title": "clip", "category": "food"}
    refused = api.client.post("/v1/videos", json=body, headers=_bearer(secret))
    problem = assert_problem(refused, 403, "missing-scope")
    assert problem["scope"] == "videos:write"
    assert "videos:write" in problem["detail"]
    me = api.client.get("/v1/me", headers=_bearer(secret))
    assert assert_problem(me, 403, "missing-scope")["scope"] == "profile:read"

    shown = api.client.get(f"/v1/api-keys/{created['id']}", headers=creator_auth).json()
    assert "key" not in shown
    assert shown["last_used_at"] is not None


def test_the_secret_is_shown_once_and_kept_only_as_a_hash(api: Api) -> None:
    _, auth = api.account("hashes", "creator")
    created = _make_key(api, auth, scopes=["likes:read"])
    listed = api.client.get("/v1/api-keys", headers=auth).json()
    assert [k["id"] for k in listed] == [created["id"]]
    assert all("key" not in k for k in listed)
    with api.platform.db.read() as conn:
        row = conn.execute(select(api_keys)).one()
    assert created["key"].encode() not in row.key_hash
    assert created["key"] not in " ".join(str(v) for v in row)


def test_a_revoked_or_expired_key_is_refused(api: Api) -> None:
    _, auth = api.account("revoker", "creator")
    first = _make_key(api, auth, scopes=["profile:read"])
    assert api.client.get("/v1/me", headers=_bearer(first["key"])).status_code == 200
    revoked = api.client.delete(f"/v1/api-keys/{first['id']}", headers=auth)
    assert revoked.json()["revoked_at"] is not None
    again = api.client.get("/v1/me", headers=_bearer(first["key"]))
    assert "revoked" in assert_problem(again, 401, "not-authenticated")["detail"]

    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    second = _make_key(api, auth, scopes=["profile:read"], expires_at=soon)
    assert api.client.get("/v1/me", headers=_bearer(second["key"])).status_code == 200
    past = datetime.now(UTC) - timedelta(seconds=1)
    api.platform.db.write(
        lambda conn: conn.execute(
            update(api_keys).where(api_keys.c.id == second["id"]).values(expires_at=past)
        )
    )
    expired = api.client.get("/v1/me", headers=_bearer(second["key"]))
    assert "expired" in assert_problem(expired, 401, "not-authenticated")["detail"]


def test_who_may_make_and_see_keys(api: Api) -> None:
    _, fan_auth = api.account("a_fan")
    response = api.client.post(
        "/v1/api-keys", json={"name": "x", "scopes": ["likes:read"]}, headers=fan_auth
    )
    assert_problem(response, 403, "forbidden")
    _, creator_auth = api.account("owner_one", "creator")
    _, other_auth = api.account("owner_two", "creator")
    created = _make_key(api, creator_auth, scopes=["likes:read"])
    theirs = api.client.get(f"/v1/api-keys/{created['id']}", headers=other_auth)
    assert_problem(theirs, 404, "api-key-not-found")
    stolen = api.client.delete(f"/v1/api-keys/{created['id']}", headers=other_auth)
    assert_problem(stolen, 404, "api-key-not-found")
    by_key = api.client.post(
        "/v1/api-keys",
        json={"name": "x", "scopes": ["likes:read"]},
        headers=_bearer(created["key"]),
    )
    assert "cannot call this operation" in assert_problem(by_key, 403, "forbidden")["detail"]
    bad = api.client.post(
        "/v1/api-keys", json={"name": "x", "scopes": ["likes:delete"]}, headers=creator_auth
    )
    assert "likes:delete" in assert_problem(bad, 422, "invalid-input")["detail"]


def test_an_organisation_key_stops_when_its_maker_leaves(api: Api) -> None:
    maker, maker_token = api.platform.accounts.create("brand_maker", "brand")
    _, partner_token = api.platform.accounts.create("brand_partner", "brand")
    maker_auth, partner_auth = _bearer(maker_token), _bearer(partner_token)
    org = api.client.post("/v1/organisations", json={"name": "Tea Co"}, headers=maker_auth)
    org_id = org.json()["id"]
    partner = api.client.get("/v1/me", headers=partner_auth).json()["id"]
    role = api.client.put(
        f"/v1/organisations/{org_id}/members/{partner}", json={"role": "owner"}, headers=maker_auth
    )
    assert role.status_code == 200, role.text

    created = _make_key(api, maker_auth, scopes=["campaigns:read"], organisation_id=org_id)
    key = _bearer(created["key"])
    assert api.client.get(f"/v1/organisations/{org_id}", headers=key).status_code == 200
    listed = api.client.get(f"/v1/api-keys?organisation_id={org_id}", headers=partner_auth)
    assert [k["id"] for k in listed.json()] == [created["id"]]

    removed = api.client.delete(
        f"/v1/organisations/{org_id}/members/{maker.id}", headers=partner_auth
    )
    assert removed.status_code == 204, removed.text
    left = api.client.get(f"/v1/organisations/{org_id}", headers=key)
    assert "left its organisation" in assert_problem(left, 401, "not-authenticated")["detail"]
