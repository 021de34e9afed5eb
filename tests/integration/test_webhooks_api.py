"""Signed webhooks end to end on both engines: a local receiver gets events that the
`standardwebhooks` package verifies; rotation signs with both secrets; 410 disables, 429
with Retry-After slows down, failures follow the schedule; the log and redelivery; SSRF
targets refused unless the operator allows them."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from plaudit.api import create_app
from plaudit.config import Settings
from plaudit.persona import compute_index
from plaudit.platform import Platform
from plaudit.store import authenticity as authenticity_sql
from plaudit.store import utcnow
from tests.integration.conftest import Api, assert_problem
from tests.integration.test_campaigns_api import _campaign_body, _fan


@dataclass
class Receiver:
    """An HTTP server on loopback that records what it gets and answers as told."""

    url: str = ""
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    def wait(self, count: int, timeout_s: float = 15.0) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout_s
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= count, self.received
        return self.received


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            state.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status, headers = state.answers.pop(0) if state.answers else (204, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def hooks(backend_settings: Settings) -> Iterator[Api]:
    settings = backend_settings.with_values(webhooks_allow_private=True)
    platform = Platform(settings)
    with TestClient(create_app(settings, platform)) as client:
        yield Api(client, platform)


def _endpoint(api: Api, auth: dict[str, str], url: str, events: list[str]) -> dict[str, Any]:
    made = api.client.post(
        "/v1/webhooks/endpoints", json={"url": url, "events": events}, headers=auth
    )
    assert made.status_code == 201, made.text
    created: dict[str, Any] = made.json()
    return created


def _verified(secret: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    if secret.startswith("whpk_"):
        return _verified_v1a(secret, headers, body)
    payload: dict[str, Any] = Webhook(secret).verify(body, headers)
    return payload


def _verified_v1a(public: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """Standard Webhooks' asymmetric check, written from the spec with `cryptography`: one
    `v1a,<base64 Ed25519>` of "id.timestamp.body" must verify with the `whpk_` key."""
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public.removeprefix("whpk_")))
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    for signature in headers["webhook-signature"].split():
        version, _, value = signature.partition(",")
        if version != "v1a":
            continue
        try:
            key.verify(base64.b64decode(value), content)
        except InvalidSignature:
            continue
        event: dict[str, Any] = json.loads(body)
        return event
    raise AssertionError("no v1a signature verifies with this public key")


def _log(api: Api, auth: dict[str, str], endpoint: int) -> list[dict[str, Any]]:
    answer = api.client.get(f"/v1/webhooks/endpoints/{endpoint}/deliveries", headers=auth)
    log: list[dict[str, Any]] = answer.json()
    return log


def _until(check: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_test_event_arrives_signed_and_rotation_signs_with_both(
    hooks: Api, receiver: Receiver
) -> None:
    _, auth = hooks.account("integrator", "creator")
    made = _endpoint(hooks, auth, receiver.url, ["webhook.test"])
    assert made["secret"].startswith("whsec_")
    queued = hooks.client.post(f"/v1/webhooks/endpoints/{made['id']}/test", headers=auth)
    assert queued.status_code == 202
    headers, body = receiver.wait(1)[0]
    payload = _verified(made["secret"], headers, body)
    assert payload["type"] == "webhook.test"
    assert payload["data"] == {"endpoint_id": made["id"]}
    assert headers["webhook-id"].startswith("msg_")
    _until(lambda: _log(hooks, auth, made["id"])[0]["status"] == "delivered")
    assert _log(hooks, auth, made["id"])[0]["attempts"][0]["status_code"] == 204

    rotated = hooks.client.post(f"/v1/webhooks/endpoints/{made['id']}/secret", headers=auth)
    new_secret = rotated.json()["secret"]
    assert new_secret != made["secret"]
    hooks.client.post(f"/v1/webhooks/endpoints/{made['id']}/test", headers=auth)
    headers, body = receiver.wait(2)[1]
    assert _verified(new_secret, headers, body)["type"] == "webhook.test"
    assert _verified(made["secret"], headers, body)["type"] == "webhook.test"
    forged = {**headers, "webhook-signature": "v1,AAAA"}
    with pytest.raises(Exception, match="signature"):
        Webhook(new_secret).verify(body, forged)


def test_gone_disables_slow_down_waits_and_redelivery_sends_again(
    hooks: Api, receiver: Receiver
) -> None:
    _, auth = hooks.account("flaky", "creator")
    made = _endpoint(hooks, auth, receiver.url, ["webhook.test"])
    receiver.answers = [(429, {"Retry-After": "120"}), (500, {}), (410, {})]
    hooks.client.post(f"/v1/webhooks/endpoints/{made['id']}/test", headers=auth)
    receiver.wait(1)
    _until(lambda: bool(_log(hooks, auth, made["id"])[0]["attempts"]))
    message = _log(hooks, auth, made["id"])[0]
    assert message["status"] == "pending"
    wait = datetime.fromisoformat(message["next_attempt_at"]) - datetime.now(UTC)
    assert wait > timedelta(seconds=100)

    redo = hooks.client.post(f"/v1/webhooks/messages/{message['id']}/redeliver", headers=auth)
    assert redo.status_code == 202
    receiver.wait(2)  # 500: retried after the schedule's first 5 s
    _until(lambda: len(_log(hooks, auth, made["id"])[0]["attempts"]) == 2)
    message = _log(hooks, auth, made["id"])[0]
    wait = datetime.fromisoformat(message["next_attempt_at"]) - datetime.now(UTC)
    assert timedelta(seconds=0) < wait <= timedelta(seconds=5)
    receiver.wait(3, timeout_s=20)  # 410 Gone: the endpoint is disabled
    _until(lambda: _log(hooks, auth, made["id"])[0]["status"] == "failed")
    listed = hooks.client.get("/v1/webhooks/endpoints", headers=auth).json()
    assert "410" in listed[0]["disabled_reason"]


def test_a_revoked_like_reaches_the_creator_without_the_fan(hooks: Api, receiver: Receiver) -> None:
    creator, creator_auth = hooks.account("creator1", "creator")
    made = _endpoint(hooks, creator_auth, receiver.url, ["like.revoked", "like.reinstated"])
    video = hooks.video(creator_auth)
    fan, fan_auth = hooks.account("fan1")
    like = hooks.client.post(f"/v1/videos/{video}/likes", headers=fan_auth).json()

    def revoke(conn: Any) -> int:
        verdict = authenticity_sql.insert_verdict(conn, None, "operator", 1.0, "{}", utcnow())
        authenticity_sql.revoke(conn, verdict, [(like["id"], fan, video)], utcnow())
        return verdict

    verdict = hooks.platform.db.write(revoke)
    headers, body = receiver.wait(1)[0]
    payload = _verified(made["secret"], headers, body)
    assert payload["type"] == "like.revoked"
    assert payload["data"]["like_id"] == like["id"]
    assert payload["data"]["video_id"] == video
    assert set(payload["data"]) == {"like_id", "video_id", "verdict_id", "revoked_at"}
    assert datetime.fromisoformat(payload["data"]["revoked_at"]).tzinfo is not None
    assert creator != fan

    appeal = hooks.client.post(
        f"/v1/verdicts/{verdict}/appeal", json={"reason": "it was me"}, headers=fan_auth
    )
    assert appeal.status_code == 201, appeal.text
    _, operator_token = hooks.platform.accounts.create("ops", "operator")
    decided = hooks.client.post(
        f"/v1/appeals/{appeal.json()['id']}/decision",
        json={"decision": "reinstate", "note": "a real fan"},
        headers={"Authorization": f"Bearer {operator_token}"},
    )
    assert decided.status_code == 200, decided.text
    headers, body = receiver.wait(2)[1]
    payload = _verified(made["secret"], headers, body)
    assert payload["type"] == "like.reinstated"
    assert payload["data"]["like_id"] == like["id"]
    assert "account_id" not in payload["data"]


def test_private_targets_are_refused_by_default(api: Api) -> None:
    _, auth = api.account("careful", "creator")
    for url in ("http://127.0.0.1:9/hook", "http://169.254.169.254/latest", "http://10.0.0.8/"):
        refused = api.client.post(
            "/v1/webhooks/endpoints", json={"url": url, "events": ["webhook.test"]}, headers=auth
        )
        assert "public hosts only" in assert_problem(refused, 422, "invalid-input")["detail"]
    odd = api.client.post(
        "/v1/webhooks/endpoints", json={"url": "ftp://x", "events": ["webhook.test"]}, headers=auth
    )
    assert_problem(odd, 422, "invalid-input")
    unknown = api.client.post(
        "/v1/webhooks/endpoints",
        json={"url": "https://example.com/h", "events": ["likes.everything"]},
        headers=auth,
    )
    assert "likes.everything" in assert_problem(unknown, 422, "invalid-input")["detail"]


def test_a_signed_checkpoint_is_announced(hooks: Api, receiver: Receiver) -> None:
    _, auth = hooks.account("auditor", "creator")
    made = _endpoint(hooks, auth, receiver.url, ["ledger.checkpoint_signed"])
    video = hooks.video(auth)
    _, fan_auth = hooks.account("fan2")
    assert hooks.client.post(f"/v1/videos/{video}/likes", headers=fan_auth).status_code == 201
    headers, body = receiver.wait(1, timeout_s=30)[0]
    payload = _verified(made["secret"], headers, body)
    assert payload["type"] == "ledger.checkpoint_signed"
    assert payload["data"]["size"] >= 1
    checkpoint = hooks.client.get(f"/v1/ledger/checkpoints/{payload['data']['size']}")
    assert payload["data"]["root"] in checkpoint.text


def test_a_brand_hears_of_releases_an_exhausted_budget_and_redemptions(
    backend_settings: Settings, receiver: Receiver
) -> None:
    settings = backend_settings.with_values(webhooks_allow_private=True, reward_hold="none")
    platform = Platform(settings)
    with TestClient(create_app(settings, platform)) as client:
        api = Api(client, platform)
        _, brand_token = platform.accounts.create("tea_brand", "brand")
        brand = {"Authorization": f"Bearer {brand_token}"}
        made = _endpoint(
            api,
            brand,
            receiver.url,
            ["campaign.completion_released", "campaign.budget_exhausted", "coupon.redeemed"],
        )
        _, creator_auth = api.account("tea_creator", "creator")
        video = api.video(creator_auth)
        fan, fan_auth = _fan(api, "tea_fan")
        compute_index(platform.db).save(settings.data_path)
        org = client.post("/v1/organisations", json={"name": "Tea"}, headers=brand).json()
        owned = client.post(  # the organisation's own endpoint, signed with Ed25519 (v1a)
            "/v1/webhooks/endpoints",
            json={
                "url": receiver.url,
                "events": ["campaign.completion_released", "coupon.redeemed"],
                "organisation_id": org["id"],
                "signature": "v1a",
            },
            headers=brand,
        ).json()
        assert owned["secret"].startswith("whpk_")
        assert owned["organisation_id"] == org["id"]
        body = _campaign_body([video], budget_fen=2_000, reward_fen=2_000)
        campaign = client.post(
            f"/v1/organisations/{org['id']}/campaigns", json=body, headers=brand
        ).json()
        joined = client.post(f"/v1/campaigns/{campaign['id']}/participants", headers=fan_auth)
        assert joined.status_code == 201, joined.text
        liked = client.post(
            f"/v1/videos/{video}/likes", json={"source": campaign["source"]}, headers=fan_auth
        )
        assert liked.status_code == 201, liked.text
        _, operator_token = platform.accounts.create("tea_ops", "operator")
        settled = client.post(
            "/v1/campaigns/settle", headers={"Authorization": f"Bearer {operator_token}"}
        )
        assert settled.status_code == 200, settled.text
        received = receiver.wait(3)
        personal = [(h, b) for h, b in received if "v1," in h["webhook-signature"]]
        events = [_verified(made["secret"], h, b) for h, b in personal]
        by_type = {e["type"]: e["data"] for e in events}
        (org_release,) = [
            _verified(owned["secret"], h, b)
            for h, b in received
            if "v1a," in h["webhook-signature"]
        ]
        assert org_release["type"] == "campaign.completion_released"
        assert org_release["data"] == by_type["campaign.completion_released"]
        released = by_type["campaign.completion_released"]
        assert released["campaign_id"] == campaign["id"]
        assert released["amount_fen"] == 2_000
        assert "account_id" not in released
        assert by_type["campaign.budget_exhausted"]["spent_fen"] == 2_000

        reward = client.get("/v1/me/rewards", headers=fan_auth).json()[0]
        code = client.post(f"/v1/rewards/{reward['id']}/coupon", headers=fan_auth).json()["code"]
        redeemed = client.post("/v1/coupons/redeem", json={"code": code}, headers=brand)
        assert redeemed.status_code == 200, redeemed.text
        later = receiver.wait(5)[3:]
        (headers, raw) = next((h, b) for h, b in later if "v1," in h["webhook-signature"])
        event = _verified(made["secret"], headers, raw)
        assert event["type"] == "coupon.redeemed"
        org_event = next(
            _verified(owned["secret"], h, b) for h, b in later if "v1a," in h["webhook-signature"]
        )
        assert (org_event["type"], org_event["data"]) == (event["type"], event["data"])
        assert event["data"]["reward_id"] == reward["id"]
        assert set(event["data"]) == {"campaign_id", "reward_id", "redeemed_at"}
        assert fan


def test_two_api_processes_deliver_each_event_once(
    backend_settings: Settings, receiver: Receiver
) -> None:
    """`serve --workers N` runs a dispatcher in every process: they must neither queue an
    event twice (two readers of one cursor) nor send one message twice at once."""
    settings = backend_settings.with_values(webhooks_allow_private=True)
    first, second = Platform(settings), Platform(settings)
    with (
        TestClient(create_app(settings, first)) as one,
        TestClient(create_app(settings, second)) as two,
    ):
        api = Api(one, first)
        _, auth = api.account("auditor", "creator")
        made = _endpoint(api, auth, receiver.url, ["ledger.checkpoint_signed"])
        video = api.video(auth)
        for n, client in enumerate((one, two, one, two, one, two)):
            _, fan = api.account(f"fan{n}")
            assert client.post(f"/v1/videos/{video}/likes", headers=fan).status_code == 201
            time.sleep(0.6)  # a checkpoint per like, most of them
        _until(lambda: not _pending(api, auth, made["id"]), timeout_s=30)
        time.sleep(1.5)  # three more dispatcher rounds in each process
        sizes = [_verified(made["secret"], h, b)["data"]["size"] for h, b in receiver.received]
        ids = [h["webhook-id"] for h, _ in receiver.received]
        assert len(sizes) >= 2
        assert sorted(sizes) == sorted(set(sizes)), "a checkpoint was announced twice"
        assert len(ids) == len(set(ids)), "a message was sent twice"


def _pending(api: Api, auth: dict[str, str], endpoint: int) -> bool:
    return any(entry["status"] == "pending" for entry in _log(api, auth, endpoint))


def test_v1a_endpoints_sign_with_ed25519_and_rotate_keys(hooks: Api, receiver: Receiver) -> None:
    _, auth = hooks.account("asym", "creator")
    made = hooks.client.post(
        "/v1/webhooks/endpoints",
        json={"url": receiver.url, "events": ["webhook.test"], "signature": "v1a"},
        headers=auth,
    ).json()
    assert made["signature"] == "v1a"
    assert made["secret"].startswith("whpk_")
    hooks.client.post(f"/v1/webhooks/endpoints/{made['id']}/test", headers=auth)
    headers, body = receiver.wait(1)[0]
    assert headers["webhook-signature"].startswith("v1a,")
    assert _verified(made["secret"], headers, body)["type"] == "webhook.test"
    from plaudit.client import verify_webhook

    assert verify_webhook(made["secret"], body, headers)["type"] == "webhook.test"
    rotated = hooks.client.post(f"/v1/webhooks/endpoints/{made['id']}/secret", headers=auth)
    new_key = rotated.json()["secret"]
    assert new_key.startswith("whpk_")
    assert new_key != made["secret"]
    hooks.client.post(f"/v1/webhooks/endpoints/{made['id']}/test", headers=auth)
    headers, body = receiver.wait(2)[1]
    assert _verified(new_key, headers, body)["type"] == "webhook.test"
    assert _verified(made["secret"], headers, body)["type"] == "webhook.test"  # 24 h overlap
    tampered = body.replace(b"webhook.test", b"webhook.tesT")
    with pytest.raises(AssertionError, match="no v1a signature"):
        _verified(new_key, headers, tampered)
    with pytest.raises(ValueError, match="signature"):
        verify_webhook(new_key, tampered, headers)


def test_an_organisations_endpoint_belongs_to_its_owners(hooks: Api, receiver: Receiver) -> None:
    _, first = hooks.platform.accounts.create("org_owner", "brand")
    second_id, second = hooks.platform.accounts.create("org_other", "brand")
    _, outsider = hooks.platform.accounts.create("org_outsider", "brand")
    owner = {"Authorization": f"Bearer {first}"}
    org = hooks.client.post("/v1/organisations", json={"name": "Owned"}, headers=owner).json()
    body = {"url": receiver.url, "events": ["coupon.redeemed"], "organisation_id": org["id"]}
    outsider_auth = {"Authorization": f"Bearer {outsider}"}
    refused = hooks.client.post("/v1/webhooks/endpoints", json=body, headers=outsider_auth)
    assert_problem(refused, 403, "forbidden")
    made = hooks.client.post("/v1/webhooks/endpoints", json=body, headers=owner).json()
    assert hooks.client.get("/v1/webhooks/endpoints", headers=owner).json() == []  # personal
    listed = hooks.client.get(
        "/v1/webhooks/endpoints", params={"organisation_id": org["id"]}, headers=owner
    ).json()
    assert [e["id"] for e in listed] == [made["id"]]
    hooks.client.put(
        f"/v1/organisations/{org['id']}/members/{second_id.id}",
        json={"role": "owner"},
        headers=owner,
    )
    other = {"Authorization": f"Bearer {second}"}
    stranger = hooks.client.post(f"/v1/webhooks/endpoints/{made['id']}/test", headers=outsider_auth)
    assert_problem(stranger, 404, "not-found")
    disabled = hooks.client.delete(f"/v1/webhooks/endpoints/{made['id']}", headers=other)
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["disabled_at"] is not None
