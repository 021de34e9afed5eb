"""Campaigns through HTTP on SQLite and PostgreSQL: the Done-when story of issue 7 from the
brand's, the fans', the shop's and the public's side, and the problems each misuse gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from plaudit.ledger.entries import Kind, decode_entry
from plaudit.persona import compute_index
from plaudit.store import authenticity as authenticity_sql
from plaudit.store import tables, utcnow
from tests.integration.conftest import Api, assert_problem

TARGET = "city_tier in (1, new1) and age in 25..35 and spend >= 5000 and gender = female"
WOMAN = {"birth_year": 1995, "gender": "female", "city_tier": "new1", "spending_band": "10000+"}


def _fan(api: Api, handle: str, profile: dict[str, Any] = WOMAN) -> tuple[int, dict[str, str]]:
    fan, auth = api.account(handle)
    response = api.client.patch("/v1/me/profile", json=profile, headers=auth)
    assert response.status_code == 200, response.text
    return fan, auth


def _campaign_body(videos: list[int], **overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "name": "winter coupons",
        "task": "coupon",
        "segment": TARGET,
        "starts_at": (now - timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=7)).isoformat(),
        "budget_fen": 100_000,
        "reward_fen": 2_000,
        "video_ids": videos,
    }
    body.update(overrides)
    return body


def _made_by_operators(api: Api, handle: str, kind: str) -> tuple[int, dict[str, str]]:
    """Brand and operator accounts are created by operators (`plaudit accounts create`)."""
    account, token = api.platform.accounts.create(handle, kind)
    return account.id, {"Authorization": f"Bearer {token}"}


def _operator(api: Api) -> dict[str, str]:
    return _made_by_operators(api, "ops", "operator")[1]


def _revoke(api: Api, like_id: int, account: int, video: int) -> None:
    def op(conn: Any) -> None:
        verdict = authenticity_sql.insert_verdict(conn, None, "operator", 1.0, "{}", utcnow())
        authenticity_sql.revoke(conn, verdict, [(like_id, account, video)], utcnow())

    api.platform.db.write(op)


def test_a_brand_campaign_from_targeting_to_conversion(api: Api) -> None:
    client = api.client
    _brand, brand_auth = _made_by_operators(api, "acme", "brand")
    analyst, analyst_auth = _made_by_operators(api, "acme_analyst", "brand")
    _rival, rival_auth = _made_by_operators(api, "rival", "brand")
    _creator, creator_auth = api.account("teacher", "creator")
    videos = [api.video(creator_auth, f"lesson {i}", "education") for i in range(3)]
    _alice, alice_auth = _fan(api, "alice")
    bea, bea_auth = _fan(api, "bea")
    _carl, carl_auth = _fan(api, "carl", {**WOMAN, "gender": "male"})
    compute_index(api.platform.db).save(api.platform.settings.data_path)
    operator = _operator(api)

    org = client.post("/v1/organisations", json={"name": "Acme"}, headers=brand_auth).json()
    member = client.put(
        f"/v1/organisations/{org['id']}/members/{analyst}",
        json={"role": "analyst"},
        headers=brand_auth,
    )
    assert member.status_code == 200, member.text
    client.post("/v1/organisations", json={"name": "Rival"}, headers=rival_auth)
    assert_problem(
        client.post("/v1/organisations", json={"name": "Fans"}, headers=carl_auth), 403, "forbidden"
    )

    create = f"/v1/organisations/{org['id']}/campaigns"
    bad = client.post(
        create, json=_campaign_body(videos, segment="gender = femal"), headers=brand_auth
    )
    assert "did you mean 'female'" in assert_problem(bad, 422, "invalid-input")["detail"]
    assert_problem(
        client.post(create, json=_campaign_body(videos), headers=analyst_auth), 403, "forbidden"
    )
    response = client.post(create, json=_campaign_body(videos[:2]), headers=brand_auth)
    assert response.status_code == 201, response.text
    campaign = response.json()
    cid, source = campaign["id"], campaign["source"]
    assert source == f"campaign:{cid}"

    tasks = client.get("/v1/me/tasks", headers=alice_auth).json()
    assert [(t["campaign_id"], t["opted_in"]) for t in tasks] == [(cid, False)]
    assert "segment" not in tasks[0]
    assert client.get("/v1/me/tasks", headers=carl_auth).json() == []
    assert_problem(
        client.post(f"/v1/campaigns/{cid}/participants", headers=carl_auth), 403, "not-eligible"
    )
    like = {"source": source}
    assert_problem(
        client.post(f"/v1/videos/{videos[0]}/likes", json=like, headers=alice_auth),
        403,
        "not-opted-in",
    )
    for auth in (alice_auth, bea_auth):
        joined = client.post(f"/v1/campaigns/{cid}/participants", headers=auth)
        assert joined.status_code == 201, joined.text
    assert_problem(
        client.post(f"/v1/videos/{videos[2]}/likes", json=like, headers=alice_auth),
        422,
        "invalid-input",
    )
    liked = client.post(f"/v1/videos/{videos[0]}/likes", json=like, headers=alice_auth)
    assert liked.status_code == 201, liked.text
    assert liked.json()["source"] == source
    fake = client.post(f"/v1/videos/{videos[1]}/likes", json=like, headers=bea_auth).json()
    assert_problem(
        client.post(f"/v1/videos/{videos[1]}/likes", json=like, headers=alice_auth),
        409,
        "reward-limit-reached",
    )

    disclosed = client.get(f"/v1/videos/{videos[0]}/campaigns").json()
    assert disclosed == [
        {
            "campaign_id": cid,
            "name": "winter coupons",
            "task": "coupon",
            "organisation": "Acme",
            "likes": 1,
        }
    ]
    counts = client.get(f"/v1/videos/{videos[0]}").json()
    assert (counts["incentivised"], counts["organic"]) == (1, counts["likes"] - 1)
    # The disclosure is in the ledger too: the like's entry carries the campaign source.
    api.platform.integrator.stop()  # integrate here, not in the background thread
    api.platform.integrator.catch_up()
    seq = liked.json()["seq"]
    entry = decode_entry(client.get(f"/v1/ledger/entries/{seq}").content)
    assert (entry.kind, entry.target_id, entry.source) == (Kind.LIKE, videos[0], source)

    assert client.post("/v1/campaigns/settle", headers=operator).json() == {
        "counts": {"pending": 2}
    }
    assert_problem(client.post("/v1/campaigns/settle", headers=brand_auth), 403, "forbidden")
    _revoke(api, fake["id"], bea, videos[1])
    api.platform.authenticity.scan()
    settled = client.post("/v1/campaigns/settle", headers=operator).json()
    assert settled == {"counts": {"released": 1, "voided": 1}}

    progress = client.get(f"/v1/campaigns/{cid}/progress", headers=bea_auth).json()
    assert [c["status"] for c in progress["completions"]] == ["voided"]
    [reward] = client.get("/v1/me/rewards", headers=alice_auth).json()
    assert (reward["kind"], reward["amount_fen"], reward["code_shown"]) == ("coupon", 2_000, False)
    shown = client.post(f"/v1/rewards/{reward['id']}/coupon", headers=alice_auth)
    assert shown.status_code == 201, shown.text
    code = shown.json()["code"]
    assert_problem(
        client.post(f"/v1/rewards/{reward['id']}/coupon", headers=alice_auth),
        409,
        "coupon-already-shown",
    )

    redeem = {"code": code}
    assert_problem(
        client.post("/v1/coupons/redeem", json=redeem, headers=rival_auth), 404, "coupon-not-found"
    )
    assert_problem(
        client.post("/v1/coupons/redeem", json=redeem, headers=analyst_auth), 403, "forbidden"
    )
    done = client.post("/v1/coupons/redeem", json=redeem, headers=brand_auth)
    assert done.status_code == 200, done.text
    assert done.json()["amount_fen"] == 2_000
    replay = assert_problem(
        client.post("/v1/coupons/redeem", json=redeem, headers=brand_auth),
        409,
        "coupon-already-redeemed",
    )
    assert "redeemed_at" in replay
    assert_problem(
        client.post("/v1/coupons/redeem", json={"code": "nope"}, headers=brand_auth),
        422,
        "invalid-input",
    )

    report = client.get(f"/v1/campaigns/{cid}/report", headers=analyst_auth).json()
    assert report["eligible"] == "<100"
    assert (report["opted_in"], report["likes"], report["authentic_likes"]) == (2, 2, 1)
    assert report["completions"]["released"] == 1
    assert (report["spent_fen"], report["cost_per_authentic_fen"]) == (2_000, 2_000)
    assert (report["coupons_redeemed"], report["redemption_rate_bp"]) == (1, 10_000)
    csv = client.get(f"/v1/campaigns/{cid}/report.csv", headers=brand_auth)
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert (
        lines[0] == "day,opted_in,likes,authentic_likes,completions,rewards,spent_fen,redemptions"
    )
    assert sum(int(line.split(",")[2]) for line in lines[1:]) == 2
    assert_problem(
        client.get(f"/v1/campaigns/{cid}/report", headers=rival_auth), 404, "campaign-not-found"
    )


def test_donations_are_public_and_expired_campaigns_refuse(api: Api) -> None:
    client = api.client
    _brand, brand_auth = _made_by_operators(api, "greenco", "brand")
    _creator, creator_auth = api.account("planter", "creator")
    videos = [api.video(creator_auth, f"tree {i}", "education") for i in range(2)]
    _fan_id, fan_auth = _fan(api, "dora")
    compute_index(api.platform.db).save(api.platform.settings.data_path)
    org = client.post("/v1/organisations", json={"name": "GreenCo"}, headers=brand_auth).json()
    create = f"/v1/organisations/{org['id']}/campaigns"
    body = _campaign_body(
        videos,
        name="like for trees",
        task="donate",
        charity="Green Foundation",
        reward_fen=100,
        per_account_limit=10,
    )
    donate = client.post(create, json=body, headers=brand_auth).json()
    client.post(f"/v1/campaigns/{donate['id']}/participants", headers=fan_auth)
    for video in videos:
        response = client.post(
            f"/v1/videos/{video}/likes", json={"source": donate["source"]}, headers=fan_auth
        )
        assert response.status_code == 201, response.text
    totals = client.get(f"/v1/campaigns/{donate['id']}/donations")
    assert totals.status_code == 200
    assert totals.json()["donated_fen"] == 0  # nothing is paid before the hold clears
    api.platform.authenticity.scan()
    api.platform.campaigns.settle()
    totals = client.get(f"/v1/campaigns/{donate['id']}/donations").json()
    assert (totals["donated_fen"], totals["likes"], totals["charity"]) == (
        200,
        2,
        "Green Foundation",
    )

    now = datetime.now(UTC)
    old = _campaign_body(
        videos,
        starts_at=(now - timedelta(days=9)).isoformat(),
        ends_at=(now - timedelta(days=2)).isoformat(),
    )
    assert_problem(client.post(create, json=old, headers=brand_auth), 422, "invalid-input")
    old["ends_at"] = (now + timedelta(days=1)).isoformat()
    expired = client.post(create, json=old, headers=brand_auth).json()
    ended = tables.campaigns.update().where(tables.campaigns.c.id == expired["id"])
    api.platform.db.write(lambda conn: conn.execute(ended.values(ends_at=now - timedelta(days=2))))
    problem = assert_problem(
        client.post(f"/v1/campaigns/{expired['id']}/participants", headers=fan_auth),
        409,
        "campaign-not-active",
    )
    assert problem["ends_at"]
    naive = _campaign_body(videos, starts_at="2026-12-01T00:00:00")
    assert_problem(client.post(create, json=naive, headers=brand_auth), 422, "invalid-input")
    assert_problem(client.get("/v1/campaigns/999/donations"), 404, "campaign-not-found")
