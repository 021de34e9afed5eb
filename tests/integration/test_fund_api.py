"""A creator-fund period end to end through the API, on SQLite and PostgreSQL: operators
create it, fans interact, it closes after a finished scan, creators read their statements,
the public sees the totals, and the payouts verify against the ledger."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from plaudit.fund import verify_period
from plaudit.interactions.service import NO_DEVICE, like_op
from plaudit.store import utcnow
from tests.fund.world import make_campaign
from tests.integration.conftest import Api, assert_problem


def operator(api: Api) -> dict[str, str]:
    _account, token = api.platform.accounts.create("ops", "operator")
    return {"Authorization": f"Bearer {token}"}


def wait_for_ledger(api: Api, size: int) -> None:
    deadline = time.monotonic() + 20
    while api.platform.ledger.size() < size:
        assert time.monotonic() < deadline, "the integrator did not catch up"
        time.sleep(0.05)


def test_a_fund_period_pays_out_exactly_and_verifiably(api: Api) -> None:
    ops = operator(api)
    alice, alice_auth = api.account("alice", "creator")
    _bob, bob_auth = api.account("bob", "creator")
    fans = [api.account(f"fan{n}") for n in range(3)]
    va, vb = api.video(alice_auth), api.video(bob_auth)
    for _, auth in fans:
        assert api.client.post(f"/v1/videos/{va}/likes", json={}, headers=auth).status_code == 201
    comment = {"body": "great"}
    response = api.client.post(f"/v1/videos/{vb}/comments", json=comment, headers=fans[0][1])
    assert response.status_code == 201, response.text

    now = datetime.now(UTC)
    body = {
        "name": "launch",
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(seconds=1)).isoformat(),
        "pool_fen": 10_000,
    }
    assert_problem(
        api.client.post("/v1/fund/periods", json=body, headers=alice_auth), 403, "forbidden"
    )
    created = api.client.post("/v1/fund/periods", json=body, headers=ops)
    assert created.status_code == 201, created.text
    period_id = created.json()["id"]
    assert created.json()["weights"] == {"like": 1, "comment": 3, "share": 5, "follow": 4}

    statement_url = f"/v1/fund/periods/{period_id}/statements/{alice}"
    assert_problem(api.client.get(statement_url, headers=alice_auth), 409, "conflict")

    time.sleep(max(0.0, (now + timedelta(seconds=1.1) - datetime.now(UTC)).total_seconds()))
    api.platform.authenticity.scan()  # the real batch scan: judges every like so far
    closed = api.platform.fund.close(period_id)
    assert sum(s.payout_fen for s in closed.statements) == 10_000

    listed = api.client.get("/v1/fund/periods").json()
    assert [(p["name"], p["paid_fen"], p["creators_paid"], p["likes"]) for p in listed] == [
        ("launch", 10_000, 2, 3)
    ]
    mine = api.client.get(statement_url, headers=alice_auth)
    assert mine.status_code == 200, mine.text
    # alice: 3 fans x 1 point; bob: 1 comment = 3 points: an even split
    assert (mine.json()["payout_fen"], mine.json()["score_points"]) == (5_000, "3.0000")
    assert api.client.get(statement_url, headers=ops).json()["payout_fen"] == 5_000
    assert_problem(api.client.get(statement_url, headers=bob_auth), 403, "forbidden")
    assert_problem(api.client.get(statement_url, headers=fans[1][1]), 403, "forbidden")
    assert_problem(
        api.client.get(f"/v1/fund/periods/{period_id}/statements/{fans[0][0]}", headers=ops),
        404,
        "not-found",
    )
    assert_problem(api.client.get("/v1/fund/periods/9999"), 404, "not-found")

    wait_for_ledger(api, closed.through_seq)
    report = verify_period(api.platform.db, api.platform.ledger, period_id)
    assert report.ok, report.lines()


def test_bad_periods_are_precise_problems(api: Api) -> None:
    ops = operator(api)
    body = {
        "name": "bad",
        "starts_at": "2026-11-02T00:00:00Z",
        "ends_at": "2026-11-01T00:00:00Z",
        "pool_fen": 5,
    }
    problem = assert_problem(
        api.client.post("/v1/fund/periods", json=body, headers=ops), 422, "invalid-input"
    )
    assert "must be after start" in problem["detail"]
    body["ends_at"], body["pool_fen"] = "2026-11-03T00:00:00Z", -5
    problem = assert_problem(
        api.client.post("/v1/fund/periods", json=body, headers=ops), 422, "invalid-input"
    )
    assert "positive whole number of fen" in problem["detail"]
    body["pool_fen"], body["weights"] = 5, {"like": 500}
    problem = assert_problem(
        api.client.post("/v1/fund/periods", json=body, headers=ops), 422, "invalid-input"
    )
    assert "weight of like is 500" in problem["detail"]
    assert_problem(api.client.post("/v1/fund/periods", json=body), 401, "not-authenticated")


def test_video_quality_is_public_and_campaign_quality_needs_its_brand(api: Api) -> None:
    _creator, creator_auth = api.account("maker", "creator")
    video = api.video(creator_auth)
    for n in range(2):
        _, auth = api.account(f"viewer{n}")
        api.client.post(f"/v1/videos/{video}/likes", json={}, headers=auth)
    quality = api.client.get(f"/v1/videos/{video}/quality")
    assert quality.status_code == 200, quality.text
    assert (quality.json()["reach"], quality.json()["score"]) == (2, 100.0)
    assert_problem(api.client.get("/v1/videos/9999/quality"), 404, "video-not-found")
    ops = operator(api)
    assert_problem(
        api.client.get("/v1/campaigns/9999/quality", headers=ops), 404, "campaign-not-found"
    )
    assert_problem(api.client.get("/v1/campaigns/1/quality"), 401, "not-authenticated")


def privileged(api: Api, handle: str, kind: str) -> tuple[int, dict[str, str]]:
    """Brand and operator accounts are made by operators, not through the API."""
    account, token = api.platform.accounts.create(handle, kind)
    return account.id, {"Authorization": f"Bearer {token}"}


def test_campaign_quality_is_shown_to_its_brand_only(api: Api) -> None:
    brand, brand_auth = privileged(api, "tea-brand", "brand")
    _, other_auth = privileged(api, "coffee-brand", "brand")
    campaign_id = make_campaign(api.platform, brand)
    _, creator_auth = api.account("tea-maker", "creator")
    video = api.video(creator_auth)
    for n in range(3):
        fan, _ = api.account(f"tea-fan{n}")
        # the like as the campaign flow records it (opt-in and eligibility are campaigns')
        api.platform.db.write(like_op(fan, video, f"campaign:{campaign_id}", NO_DEVICE, utcnow()))
    url = f"/v1/campaigns/{campaign_id}/quality"
    shown = api.client.get(url, headers=brand_auth)
    assert shown.status_code == 200, shown.text
    # 3 accounts reached, below the default privacy_k of 100: the brand sees it suppressed
    assert shown.json()["suppressed"] is True
    assert shown.json()["score"] is None
    assert_problem(api.client.get(url, headers=other_auth), 404, "campaign-not-found")
    _, ops = privileged(api, "ops2", "operator")
    exact = api.client.get(url, headers=ops).json()
    assert (exact["reach"], exact["likes"], exact["score"]) == (3, 3, 100.0)
