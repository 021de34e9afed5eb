"""Authenticity on the platform, over the API on SQLite and PostgreSQL: real-time rules hold
and refuse; a scan revokes an injected farm in the counts and the ledger; the audit agrees;
an appeal reinstates, with its own ledger entries."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from plaudit.api import create_app
from plaudit.config import Settings
from plaudit.interactions import BulkItem, ingest_op
from plaudit.ledger.audit import StoreCounts, audit
from plaudit.ledger.entries import Kind, decode_entry
from plaudit.ledger.sources import StoreLog
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community
from plaudit.store import tables
from tests.integration.conftest import Api, assert_problem

COMMUNITY = CommunitySize("t", accounts=600, creators=12, videos=60, interactions=8000, days=20)
END = datetime(2026, 11, 1, tzinfo=UTC)
FARM, TARGETS = 30, 20


@pytest.fixture
def tight_api(backend_settings: Settings) -> Iterator[Api]:
    """The app with small rule limits, so a test reaches them in a few requests."""
    settings = backend_settings.with_values(
        rule_account_hold_per_min=2,
        rule_account_limit_per_min=4,
        rule_device_accounts_hold=1,
        rule_device_accounts_limit=2,
    )
    platform = Platform(settings)
    with TestClient(create_app(settings, platform)) as client:
        yield Api(client, platform)


def _like(api: Api, video: int, auth: dict[str, str]) -> dict[str, object]:
    response = api.client.post(f"/v1/videos/{video}/likes", headers=auth)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_rules_accept_then_hold_then_refuse_with_the_rule_named(tight_api: Api) -> None:
    api = tight_api
    _, creator = api.account("maker", "creator")
    videos = [api.video(creator, f"v{i}") for i in range(5)]
    fan_id, fan = api.account("fan")
    statuses = [_like(api, v, fan) for v in videos[:3]]
    # liking again is idempotent, says held, and does not count as a new like
    again = api.client.post(f"/v1/videos/{videos[2]}/likes", headers=fan)
    assert again.status_code == 200
    assert again.json()["status"] == "held"
    assert (again.json()["seq"], again.json()["risk"]) == (statuses[2]["seq"], statuses[2]["risk"])
    statuses.append(_like(api, videos[3], fan))
    assert [s["status"] for s in statuses] == ["accepted", "accepted", "held", "held"]
    assert all(isinstance(s["risk"], int) for s in statuses)
    assert int(statuses[2]["risk"]) > 50 >= int(statuses[0]["risk"])  # type: ignore[call-overload]
    refused = api.client.post(f"/v1/videos/{videos[4]}/likes", headers=fan)
    body = assert_problem(refused, 429, "rate-limited")
    assert body["rule"] == "account_velocity"
    assert body["limit"] == 4
    assert int(refused.headers["Retry-After"]) >= 1
    # held: counted as pending, not authentic; visible to its author
    video = api.client.get(f"/v1/videos/{videos[2]}").json()
    assert (video["likes"], video["pending"], video["authentic"]) == (1, 1, 0)
    mine = api.client.get(f"/v1/accounts/{fan_id}/likes", headers=fan).json()["items"]
    assert {like["video_id"] for like in mine} == set(videos[:4])
    # unliking ends the hold
    assert api.client.delete(f"/v1/videos/{videos[2]}/likes", headers=fan).status_code == 200
    video = api.client.get(f"/v1/videos/{videos[2]}").json()
    assert (video["likes"], video["pending"], video["authentic"]) == (0, 0, 0)


def test_many_accounts_on_one_device_are_held_then_refused(tight_api: Api) -> None:
    api = tight_api
    _, creator = api.account("maker", "creator")
    video = api.video(creator)
    results = []
    for name in ("acc1", "acc2", "acc3"):
        _, auth = api.account(name)
        results.append(
            api.client.post(
                f"/v1/videos/{video}/likes", headers={**auth, "X-Device-Id": "shared-phone"}
            )
        )
    assert [r.json()["status"] for r in results[:2]] == ["accepted", "held"]
    body = assert_problem(results[2], 403, "refused-by-rule")
    assert body["rule"] == "device_accounts"
    assert body["limit"] == 2
    assert api.likes(video) == 2


def _wait_integrated(platform: Platform) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with platform.db.read() as conn:
            size = conn.execute(select(tables.ledger_state.c.size)).scalar_one()
            seqs = conn.execute(select(tables.events.c.seq)).all()
        if size == len(seqs):
            return
        time.sleep(0.1)
    raise AssertionError("the integrator did not catch up within 30 s")


def _inject_farm(platform: Platform) -> tuple[list[int], dict[int, dict[str, str]]]:
    """Thirty fresh accounts liking the same twenty videos within an hour (lockstep)."""
    load_community(platform.db, COMMUNITY, seed=3, end=END, show_progress=False)
    made = [platform.accounts.create(f"farm{i}") for i in range(FARM)]
    start = END - timedelta(days=2)
    items = [
        BulkItem("like", account.id, video, start + timedelta(seconds=7 * i + j))
        for i, (account, _) in enumerate(made)
        for j, video in enumerate(range(1, TARGETS + 1))
    ]
    results = platform.db.write(ingest_op(items))
    assert all(r.status == "created" for r in results)
    return [a.id for a, _ in made], {a.id: {"Authorization": f"Bearer {t}"} for a, t in made}


def _audit_ok(platform: Platform) -> dict[str, int]:
    _wait_integrated(platform)
    report = audit(StoreLog(platform.ledger), StoreCounts(platform.videos), platform.ledger.vkey)
    assert report.ok, report.lines()
    return {"revoked": sum(v.revoked for v in report.videos.values())}


def _entry_of_event(api: Api, kind: str) -> tuple[int, object]:
    with api.platform.db.read() as conn:
        seq, ref = conn.execute(
            select(tables.events.c.seq, tables.events.c.ref_id)
            .where(tables.events.c.kind == kind)
            .order_by(tables.events.c.seq)
        ).first()  # type: ignore[misc]
    data = api.client.get(f"/v1/ledger/entries/{seq}").content
    return ref, decode_entry(data)


def test_scan_revokes_a_farm_in_counts_and_ledger_and_an_appeal_reinstates(api: Api) -> None:
    platform = api.platform
    farm, auths = _inject_farm(platform)
    before = api.client.get("/v1/videos/1").json()
    report = platform.authenticity.scan()
    assert report.verdicts >= 1
    assert report.likes_revoked >= FARM * TARGETS * 0.95
    with platform.db.read() as conn:
        revoked_accounts = set(
            conn.execute(select(tables.revocations.c.account_id).distinct()).scalars()
        )
        verdict_id = int(
            conn.execute(select(tables.revocations.c.verdict_id).limit(1)).scalar_one()
        )
    assert revoked_accounts <= set(farm)
    assert len(revoked_accounts) >= FARM * 0.95
    # public counts: total unchanged, authentic down by the farm's likes
    after = api.client.get("/v1/videos/1").json()
    assert after["likes"] == before["likes"]
    assert after["revoked"] >= FARM * 0.95
    assert after["authentic"] == after["likes"] - after["revoked"] - after["pending"]
    # a revoked like is not organic either (the demo farm's likes are not incentivised)
    assert after["organic"] == after["likes"] - after["incentivised"] - after["revoked"]
    # the ledger: REVOKE entries paired with the like by commitment; the audit agrees
    assert _audit_ok(platform)["revoked"] == report.likes_revoked
    _revocation_id, entry = _entry_of_event(api, "revoke")
    assert entry.kind == Kind.REVOKE  # type: ignore[attr-defined]
    assert entry.source == f"verdict:{verdict_id}"  # type: ignore[attr-defined]
    # a second scan changes nothing
    assert platform.authenticity.scan().likes_revoked == 0

    _, creator_auth = api.account("maker2", "creator")
    video_creator_id = after["creator_id"]
    _check_views(api, verdict_id, farm[0], auths[farm[0]], video_creator_id, creator_auth)
    _appeal_and_reinstate(api, verdict_id, farm[0], auths[farm[0]])


def _check_views(
    api: Api,
    verdict_id: int,
    account_id: int,
    auth: dict[str, str],
    creator_id: int,
    stranger: dict[str, str],
) -> None:
    view = api.client.get(f"/v1/verdicts/{verdict_id}", headers=auth).json()
    assert view["evidence"] is None
    assert "accounts" not in view["summary"]
    assert {r["account_id"] for r in view["revocations"]} == {account_id}
    assert len(view["revocations"]) == TARGETS
    token = api.platform.accounts.issue_token(creator_id)
    listed = api.client.get(
        "/v1/videos/1/revocations", headers={"Authorization": f"Bearer {token}"}
    )
    assert listed.status_code == 200, listed.text
    item = listed.json()["items"][0]
    assert item["detector"]
    assert "window" in item["summary"]
    assert "accounts" not in item["summary"]
    assert not {"ip_prefix", "device_id"} & set(item)
    assert_problem(api.client.get("/v1/videos/1/revocations", headers=stranger), 403, "forbidden")


def _appeal_and_reinstate(api: Api, verdict_id: int, account_id: int, auth: dict[str, str]) -> None:
    client = api.client
    assert_problem(
        client.post("/v1/verdicts/999999/appeal", json={"reason": "x"}, headers=auth),
        404,
        "verdict-not-found",
    )
    _, fan = api.account("bystander")
    assert_problem(
        client.post(f"/v1/verdicts/{verdict_id}/appeal", json={"reason": "me?"}, headers=fan),
        403,
        "forbidden",
    )
    filed = client.post(
        f"/v1/verdicts/{verdict_id}/appeal", json={"reason": "I like these"}, headers=auth
    )
    assert filed.status_code == 201, filed.text
    appeal_id = filed.json()["id"]
    assert_problem(
        client.post(f"/v1/verdicts/{verdict_id}/appeal", json={"reason": "again"}, headers=auth),
        409,
        "already-appealed",
    )
    operator, _ = api.platform.accounts.create("op1", "operator")
    op = {"Authorization": f"Bearer {api.platform.accounts.issue_token(operator.id)}"}
    decision = {"decision": "reinstate", "note": "a real fan"}
    assert_problem(
        client.post(f"/v1/appeals/{appeal_id}/decision", json=decision, headers=auth),
        403,
        "forbidden",
    )
    assert_problem(
        client.post("/v1/appeals/999999/decision", json=decision, headers=op),
        404,
        "appeal-not-found",
    )
    before = client.get("/v1/videos/1").json()
    decided = client.post(f"/v1/appeals/{appeal_id}/decision", json=decision, headers=op)
    assert decided.status_code == 200, decided.text
    assert decided.json()["likes_reinstated"] == TARGETS
    assert decided.json()["appeal"]["status"] == "reinstated"
    assert_problem(
        client.post(f"/v1/appeals/{appeal_id}/decision", json=decision, headers=op),
        409,
        "already-decided",
    )
    after = client.get("/v1/videos/1").json()
    assert after["revoked"] == before["revoked"] - 1
    assert after["authentic"] == before["authentic"] + 1
    _audit_ok(api.platform)
    _, entry = _entry_of_event(api, "reinstate")
    assert entry.kind == Kind.REINSTATE  # type: ignore[attr-defined]
    full = client.get(f"/v1/verdicts/{verdict_id}", headers=op).json()
    assert account_id in full["evidence"]["accounts"]
    # a reinstated like is never revoked again by a later scan
    assert api.platform.authenticity.scan().likes_revoked == 0


def test_bulk_applies_the_rules_per_item_at_each_items_time(tight_api: Api) -> None:
    api = tight_api
    _, creator = api.account("maker", "creator")
    videos = [api.video(creator, f"v{i}") for i in range(6)]
    fan_id, _ = api.account("fan")
    gateway, _ = api.platform.accounts.create("gate1", "gateway")
    auth = {"Authorization": f"Bearer {api.platform.accounts.issue_token(gateway.id)}"}
    now = datetime.now(UTC)
    burst = [
        {"kind": "like", "account_id": fan_id, "target_id": v, "at": now.isoformat()}
        for v in videos[:5]
    ]
    # the same account a day earlier: its own window, accepted
    earlier = (now - timedelta(days=1)).isoformat()
    burst.append({"kind": "like", "account_id": fan_id, "target_id": videos[5], "at": earlier})
    response = api.client.post("/v1/interactions/bulk", json={"items": burst}, headers=auth)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["status"], r["held"]) for r in results[:4]] == [
        ("created", False),
        ("created", False),
        ("created", True),
        ("created", True),
    ]
    assert results[4]["status"] == "error"
    assert results[4]["error"]["type"] == "rate-limited"
    assert "account_velocity" in results[4]["error"]["detail"]
    assert (results[5]["status"], results[5]["held"]) == ("created", False)
    assert all(isinstance(r["risk"], int) for r in results if r["status"] != "error")
    assert response.json()["rejected"] == 1
    assert api.client.get(f"/v1/videos/{videos[2]}").json()["pending"] == 1
