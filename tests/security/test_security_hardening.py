"""The outside review's findings (issue 17), replayed against a live server.

Each test is the attack as the reviewer ran it, with plain HTTP against `plaudit serve`, and
asserts that it no longer works. Items 2-5 (audience data) are in
test_security_differencing.py.
"""

from __future__ import annotations

import stat
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.security.conftest import Live

TOO_BIG = 2**63


def _problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"].endswith("/" + slug), body
    return body


def _checkpoint_size(live: Live) -> int:
    text = live.client.get("/ledger/checkpoint").text
    return int(text.splitlines()[1])


def _wait_for_size(live: Live, size: int, timeout_s: float = 20.0) -> int:
    deadline = time.monotonic() + timeout_s
    while (current := _checkpoint_size(live)) < size and time.monotonic() < deadline:
        time.sleep(0.1)
    return current


def test_item_1_a_1969_bulk_item_no_longer_stops_the_ledger(live: Live) -> None:
    fan, _ = live.fan("item1_fan")
    other, _ = live.fan("item1_other")
    video = live.ids["videos"][0]
    now = datetime.now(UTC).isoformat()
    items = [
        {"kind": "like", "account_id": fan, "target_id": video, "at": "1969-12-31T23:59:59Z"},
        {"kind": "like", "account_id": other, "target_id": video, "at": now},
    ]
    response = live.client.post(
        "/v1/interactions/bulk", json={"items": items}, headers=live.auth("gateway")
    )
    assert response.status_code == 200, response.text
    old, good = response.json()["results"]
    assert old["status"] == "error"
    assert old["error"]["type"] == "invalid-input"
    assert "before the platform epoch" in old["error"]["detail"]
    assert good["status"] == "created"
    # the checkpoint grows past the good like, and a later single like too
    assert _wait_for_size(live, good["seq"] + 1) > good["seq"]
    later = live.client.post(f"/v1/videos/{video}/likes", headers=live.fan("item1_late")[1])
    assert later.status_code in (200, 201), later.text
    assert _wait_for_size(live, later.json()["seq"] + 1) > later.json()["seq"]


def test_item_6_bodies_are_bounded(live: Live) -> None:
    creator = live.auth("creator")
    eight_mb = b'{"title": "t", "category": "food", "x": "' + b"a" * (8 << 20) + b'"}'
    started = time.monotonic()
    big = live.client.post(
        "/v1/videos", content=eight_mb, headers={**creator, "content-type": "application/json"}
    )
    _problem(big, 413, "payload-too-large")
    assert len(big.content) < 2000
    many = {f"k{i}": i for i in range(200)}
    extra = live.client.post(
        "/v1/videos", json={"title": "t", "category": "food", **many}, headers=creator
    )
    body = _problem(extra, 422, "invalid-input")
    assert (len(body["errors"]), body["error_count"]) == (20, 200)
    assert len(extra.content) < 10_000
    # the review's body: hundreds of thousands of extra keys, refused before validation, and
    # the server keeps answering others meanwhile
    flood = b"{" + b",".join(b'"k%d":%d' % (i, i) for i in range(250_000)) + b"}"
    assert len(flood) < live.settings.max_body_bytes
    began = time.monotonic()
    refused = live.client.post(
        "/v1/videos", content=flood, headers={**creator, "content-type": "application/json"}
    )
    assert "members" in _problem(refused, 422, "invalid-input")["detail"]
    assert time.monotonic() - began < 10
    assert time.monotonic() - started < 30
    assert live.client.get("/healthz").status_code == 200


def test_item_7_out_of_range_numbers_and_dates_are_4xx_everywhere(live: Live) -> None:
    paths = live.client.get("/openapi.json").json()["paths"]
    fan = live.fan("item7_fan")[1]
    checked = 0
    for path, operations in paths.items():
        if "{" not in path:
            continue
        url = path
        while "{" in url:
            start, end = url.index("{"), url.index("}")
            url = url[:start] + str(TOO_BIG) + url[end + 1 :]
        for method in operations:
            response = live.client.request(method.upper(), url, headers=fan, json={})
            assert 400 <= response.status_code < 500, (method, url, response.text)
            checked += 1
    assert checked >= 20
    _problem(live.client.get("/v1/videos", params={"creator_id": TOO_BIG}), 422, "invalid-input")
    video = live.ids["videos"][0]
    source = live.client.post(
        f"/v1/videos/{video}/likes", json={"source": f"campaign:{TOO_BIG}"}, headers=fan
    )
    _problem(source, 422, "invalid-input")
    period = live.client.post(
        "/v1/fund/periods",
        json={"name": "p", "starts_at": "0001-01-01T00:00:00+14:00", "ends_at": "2030-01-01Z"},
        headers=fan,
    )
    _problem(period, 422, "invalid-input")
    # in bulk, one such item is that item's error; the batch goes through
    ok, _ = live.fan("item7_ok")
    now = datetime.now(UTC).isoformat()
    items = [
        {"kind": "like", "account_id": ok, "target_id": video, "at": now},
        {"kind": "like", "account_id": TOO_BIG, "target_id": video, "at": now},
        {"kind": "like", "account_id": ok, "target_id": 2**64, "at": now},
        {"kind": "like", "account_id": ok, "target_id": video, "at": "0001-01-01T00:00:00+14:00"},
    ]
    bulk = live.client.post(
        "/v1/interactions/bulk", json={"items": items}, headers=live.auth("gateway")
    )
    assert bulk.status_code == 200, bulk.text
    assert [r["status"] for r in bulk.json()["results"]] == ["created", "error", "error", "error"]


def test_item_8_other_organisations_answer_as_missing(live: Live) -> None:
    rival = live.auth("rival")
    org, campaign = live.ids["org"], live.ids["campaign"]
    theirs = live.client.get(f"/v1/organisations/{org}", headers=rival)
    nobody = live.client.get("/v1/organisations/999999", headers=rival)
    assert _problem(theirs, 404, "organisation-not-found")["detail"].replace(
        str(org), "N"
    ) == _problem(nobody, 404, "organisation-not-found")["detail"].replace("999999", "N")
    fan = live.fan("item8_fan")[1]
    for path in ("progress", "donations"):
        real = live.client.get(f"/v1/campaigns/{campaign}/{path}", headers=fan)
        fake = live.client.get(f"/v1/campaigns/999999/{path}", headers=fan)
        real_body = _problem(real, 404, "campaign-not-found")
        fake_body = _problem(fake, 404, "campaign-not-found")
        assert real_body["detail"].replace(str(campaign), "N") == fake_body["detail"].replace(
            "999999", "N"
        )
        assert "coupon" not in real.text


def test_item_9_tokens_are_listed_revoked_and_revocable_all_at_once(live: Live) -> None:
    fan_id, first = live.fan("item9_fan")
    tokens = live.client.get("/v1/me/tokens", headers=first).json()
    assert len(tokens) == 1
    assert live.client.delete(f"/v1/me/tokens/{tokens[0]['id']}", headers=first).status_code == 204
    _problem(live.client.get("/v1/me", headers=first), 401, "not-authenticated")
    assert fan_id > 0


def test_item_10_the_data_directory_is_private(live: Live) -> None:
    data = live.settings.data_path
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    loose = [
        (str(p), oct(stat.S_IMODE(p.stat().st_mode)))
        for p in data.rglob("*")
        if p.is_file() and stat.S_IMODE(p.stat().st_mode) & 0o077
    ]
    assert loose == []
    assert any(p.name == "ledger-signer.key" for p in data.iterdir())


def test_item_11_malformed_bodies_and_unsafe_characters(live: Live) -> None:
    creator = {**live.auth("creator"), "content-type": "application/json"}
    for content in (b'{"title": "\xff"}', b"[" * 50_000 + b"]" * 50_000):
        for path in ("/v1/videos", "/v1/accounts", "/v1/interactions/bulk"):
            _problem(
                live.client.post(path, content=content, headers=creator), 422, "malformed-body"
            )
    for bad in ("\u0000", "\u202e", "\u200b"):
        title = live.client.post(
            "/v1/videos", json={"title": f"a{bad}b", "category": "food"}, headers=creator
        )
        assert f"U+{ord(bad):04X}" in _problem(title, 422, "invalid-input")["detail"]
        handle = live.client.post("/v1/accounts", json={"handle": f"x{bad}yz"})
        _problem(handle, 422, "invalid-input")


def test_item_13_deleting_an_account_erases_it_and_keeps_the_log(live: Live) -> None:
    fan_id, fan = live.fan("item13_fan")
    video = live.ids["videos"][1]
    like = live.client.post(f"/v1/videos/{video}/likes", headers=fan).json()
    _wait_for_size(live, like["seq"] + 1)
    assert live.client.get(f"/v1/likes/{like['id']}/receipt", headers=fan).status_code == 200
    likes_before = live.client.get(f"/v1/videos/{video}").json()["likes"]
    size_before = _checkpoint_size(live)
    _problem(live.client.delete("/v1/me", headers=fan), 422, "invalid-input")  # no confirm
    gone = live.client.delete("/v1/me", params={"confirm": "item13_fan"}, headers=fan)
    assert gone.status_code == 204, gone.text
    _problem(live.client.get("/v1/me", headers=fan), 401, "not-authenticated")
    assert live.client.get(f"/v1/videos/{video}").json()["likes"] == likes_before
    assert _checkpoint_size(live) >= size_before
    proof = live.client.get(
        "/v1/ledger/proof/inclusion", params={"index": like["seq"], "size": size_before}
    )
    assert proof.status_code == 200, proof.text
    assert fan_id > 0


def test_item_12_a_client_cannot_choose_its_network(live: Live) -> None:
    """From an untrusted peer (no `trusted_proxies`), X-Forwarded-For and Forwarded are
    ignored: the like is counted under the connection's own prefix."""
    video = live.ids["videos"][2]
    for header in ({"X-Forwarded-For": "8.8.8.8"}, {"Forwarded": "for=8.8.8.8"}):
        _, fan = live.fan(f"item12_{len(header)}_{next(iter(header))[0]}")
        like = live.client.post(f"/v1/videos/{video}/likes", headers={**fan, **header})
        assert like.status_code in (200, 201), like.text
        assert like.json()["ip_prefix"] == "127.0.0.0/24"
