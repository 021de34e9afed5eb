"""The ledger over HTTP, on SQLite and PostgreSQL: the tile API, proofs, receipts, witnesses.

Each test stops the app's background integrator and integrates with `catch_up()`, so what
is in the log is decided by the test, not by timing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from plaudit.api import create_app
from plaudit.config import Settings
from plaudit.ledger import (
    Checkpoint,
    CosignatureSigner,
    Ed25519Signer,
    ProofError,
    cosign_checkpoint,
    decode_entry_bundle,
    decode_hash_tile,
    entry_bundles_for_size,
    leaf_hash,
    leaf_hashes,
    open_checkpoint,
    parse_note,
    parse_verifier_key,
    root_of,
    sign_checkpoint,
    tiles_for_size,
    verify_consistency,
    verify_cosignature,
    verify_inclusion,
)
from plaudit.ledger.entries import Kind, decode_entry
from plaudit.ledger.merkle import EMPTY_ROOT
from plaudit.ledger.verify import VerificationFailed, verify_receipt
from plaudit.platform import Platform
from plaudit.store import tables
from tests.integration.conftest import Api, assert_problem

WITNESS = CosignatureSigner("witness.example/w1", b"w" * 32)
STRANGER = CosignatureSigner("stranger.example/w9", b"s" * 32)
DEVICE_ID = "device-7f3a-unique"
USER_AGENT = "PlauditTest/1.0 (agent-unique)"
COMMENT = "a comment text that must never be in the log"
IP = "203.0.113.77"


@pytest.fixture
def ledger_api(backend_settings: Settings) -> Iterator[Api]:
    settings = backend_settings.with_values(ledger_witnesses=WITNESS.verifier().key_string)
    platform = Platform(settings)
    with TestClient(create_app(settings, platform)) as client:
        platform.integrator.stop()  # the tests integrate with catch_up()
        yield Api(client, platform)


@dataclass
class Community:
    creator_id: int
    fan_id: int
    fan: dict[str, str]
    other: dict[str, str]
    video: int
    video2: int
    like_id: int
    actions: list[Kind]


def _post(api: Api, path: str, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    headers = {**auth, "X-Device-Id": DEVICE_ID, "User-Agent": USER_AGENT}
    response = api.client.post(path, json=body or None, headers=headers)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def community(api: Api) -> Community:
    """Every kind of interaction, through the API, then integrated."""
    creator_id, creator = api.account("creator1", "creator")
    fan_id, fan = api.account("fan1")
    _, other = api.account("fan2")
    video, video2 = api.video(creator), api.video(creator, "second")
    like = _post(api, f"/v1/videos/{video}/likes", fan)
    _post(api, f"/v1/videos/{video2}/likes", fan, source="assistant")
    assert api.client.delete(f"/v1/videos/{video2}/likes", headers=fan).status_code == 200
    _post(api, f"/v1/videos/{video}/comments", fan, body=COMMENT)
    _post(api, f"/v1/videos/{video}/shares", fan, channel="wechat")
    _post(api, f"/v1/creators/{creator_id}/follows", fan)
    _post(api, f"/v1/videos/{video}/likes", other)
    actions = [Kind.LIKE, Kind.LIKE, Kind.UNLIKE, Kind.COMMENT, Kind.SHARE, Kind.FOLLOW, Kind.LIKE]
    api.platform.integrator.catch_up()
    return Community(creator_id, fan_id, fan, other, video, video2, like["id"], actions)


def _events(api: Api) -> list[str]:
    with api.platform.db.read() as conn:
        rows = conn.execute(select(tables.events.c.kind).order_by(tables.events.c.seq)).all()
    return [row[0] for row in rows]


def _vkey(api: Api) -> str:
    response = api.client.get("/ledger/vkey")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    return response.text.strip()


def _checkpoint(api: Api) -> Checkpoint:
    response = api.client.get("/ledger/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    return open_checkpoint(response.text, [parse_verifier_key(_vkey(api))])


def _entries(api: Api, size: int) -> list[bytes]:
    entries: list[bytes] = []
    for ref in entry_bundles_for_size(size):
        response = api.client.get(f"/ledger/{ref.path}")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/octet-stream"
        entries += decode_entry_bundle(response.content, ref.width)
    return entries


def test_every_interaction_is_in_the_log_and_the_tiles_give_the_root(ledger_api: Api) -> None:
    api = ledger_api
    made = community(api)
    checkpoint = _checkpoint(api)
    assert checkpoint.origin == api.platform.settings.ledger_origin
    assert checkpoint.size == len(_events(api)) == len(made.actions)
    entries = _entries(api, checkpoint.size)
    assert [decode_entry(e).kind for e in entries] == made.actions
    assert root_of(leaf_hashes(entries)) == checkpoint.root_hash
    [tile] = tiles_for_size(checkpoint.size)
    served = api.client.get(f"/ledger/{tile.path}")
    assert served.headers["cache-control"] == "public, max-age=60"  # partial: short
    assert decode_hash_tile(served.content, tile.width) == leaf_hashes(entries)
    for index, entry in enumerate(entries):
        single = api.client.get(f"/v1/ledger/entries/{index}")
        assert single.content == entry
        assert single.headers["content-type"] == "application/octet-stream"
    like, assisted = decode_entry(entries[0]), decode_entry(entries[1])
    assert (like.target_id, like.source, like.device is not None) == (made.video, "app", True)
    assert (assisted.target_id, assisted.source) == (made.video2, "assistant")
    assert decode_entry(entries[5]).target_id == made.creator_id  # follows target the creator
    # The unlike pairs with its like by the same commitment; likes on two videos do not.
    assert decode_entry(entries[2]).account == assisted.account != like.account


def _gateway(api: Api) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.platform.accounts.create('gateway1', 'gateway')[1]}"}


def test_the_log_holds_no_personal_data_in_clear(ledger_api: Api) -> None:
    api = ledger_api
    made = community(api)
    at = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    item = {"kind": "like", "account_id": made.fan_id, "target_id": made.video2, "at": at}
    bulk = {"items": [{**item, "ip": IP, "device_id": DEVICE_ID, "user_agent": USER_AGENT}]}
    response = api.client.post("/v1/interactions/bulk", json=bulk, headers=_gateway(api))
    assert response.json()["results"][0]["status"] == "created", response.text
    api.platform.integrator.catch_up()
    log = b"".join(_entries(api, _checkpoint(api).size))
    for secret in (DEVICE_ID, USER_AGENT, COMMENT, IP, "203.0.113", "fan1", "creator1"):
        assert secret.encode() not in log, secret
    entries = _entries(api, _checkpoint(api).size)
    assert {decode_entry(e).source for e in entries} == {"app", "assistant"}
    assert decode_entry(entries[-1]).device is not None  # the bulk like's IP prefix and device
    account_id = made.fan_id.to_bytes(8, "big")
    for entry in entries:
        # Everything but the clear time and target fields: no account id anywhere.
        assert account_id not in entry[:2] + entry[18:], decode_entry(entry)


def test_proofs_from_the_api_verify_and_tampered_ones_fail(ledger_api: Api) -> None:
    api = ledger_api
    community(api)
    first = _checkpoint(api)
    _post(api, f"/v1/videos/{community_video(api)}/likes", api.account("fan3")[1])
    api.platform.integrator.catch_up()
    latest = _checkpoint(api)
    entries = _entries(api, latest.size)
    for index in range(latest.size):
        body = api.client.get(f"/v1/ledger/proof/inclusion?index={index}&size={latest.size}")
        assert (body.json()["index"], body.json()["size"]) == (index, latest.size)
        proof = [base64.b64decode(h) for h in body.json()["hashes"]]
        verify_inclusion(leaf_hash(entries[index]), index, latest.size, proof, latest.root_hash)
        if proof:
            bad = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
            with pytest.raises(ProofError):
                verify_inclusion(
                    leaf_hash(entries[index]), index, latest.size, bad, latest.root_hash
                )
    earlier = api.client.get(f"/v1/ledger/checkpoints/{first.size}")
    assert earlier.headers["content-type"] == "text/plain; charset=utf-8"
    old = open_checkpoint(earlier.text, [parse_verifier_key(_vkey(api))])
    assert old == first
    response = api.client.get(f"/v1/ledger/proof/consistency?old={old.size}&size={latest.size}")
    assert (response.json()["old"], response.json()["size"]) == (old.size, latest.size)
    proof = [base64.b64decode(h) for h in response.json()["hashes"]]
    verify_consistency(old.size, latest.size, old.root_hash, latest.root_hash, proof)
    with pytest.raises(ProofError):
        verify_consistency(old.size, latest.size, old.root_hash, latest.root_hash, proof[:-1])
    with pytest.raises(ProofError):
        verify_consistency(old.size, latest.size, latest.root_hash, latest.root_hash, proof)


def community_video(api: Api) -> int:
    return int(api.client.get("/v1/videos?limit=1").json()["items"][0]["id"])


def test_bad_ledger_requests_are_problems(ledger_api: Api) -> None:
    api = ledger_api
    empty = _checkpoint(api)  # a new log signs its empty tree at start
    assert (empty.size, empty.root_hash.hex()) == (0, EMPTY_ROOT.hex())
    community(api)
    size = _checkpoint(api).size
    for path in (
        "/ledger/tile/0/x000/000",  # not canonical
        "/ledger/tile/0/001",  # beyond the log
        "/ledger/tile/0/000.p/200",  # wider than the log
        "/ledger/tile/64/000",
        "/ledger/tile/entries/000.p/0",
        "/ledger/tile/abc",
        f"/v1/ledger/entries/{size}",
        "/v1/ledger/checkpoints/999",
    ):
        assert_problem(api.client.get(path), 404, "not-found")
    for query in (f"index={size}&size={size}", f"index=0&size={size + 1}", "index=-1&size=1"):
        assert_problem(api.client.get(f"/v1/ledger/proof/inclusion?{query}"), 422, "invalid-input")
    bad = api.client.get(f"/v1/ledger/proof/consistency?old={size + 1}&size={size}")
    assert_problem(bad, 422, "invalid-input")


def test_a_full_tile_is_cached_for_long(ledger_api: Api) -> None:
    api = ledger_api
    made = community(api)
    start = datetime.now(UTC) - timedelta(seconds=300)
    # one pair every 2 s: the real-time rules refuse more than 60 likes a minute of one
    # account (docs/authenticity.md), and this test is about tiles
    items = [
        {
            "kind": kind,
            "account_id": made.fan_id,
            "target_id": made.video2,
            "at": (start + timedelta(seconds=2 * i)).isoformat(),
        }
        for i in range(130)
        for kind in ("like", "unlike")
    ]
    response = api.client.post(
        "/v1/interactions/bulk", json={"items": items}, headers=_gateway(api)
    )
    assert response.status_code == 200, response.text
    api.platform.integrator.catch_up()
    assert _checkpoint(api).size == len(made.actions) + 260
    for path in ("/ledger/tile/0/000", "/ledger/tile/entries/000"):
        full = api.client.get(path)
        assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert len(api.client.get("/ledger/tile/0/000").content) == 256 * 32
    assert api.client.get("/ledger/tile/1/000.p/1").status_code == 200
    # A partial tile of a size the log passed is a prefix of the full tile.
    partial = api.client.get("/ledger/tile/0/000.p/5").content
    assert partial == api.client.get("/ledger/tile/0/000").content[: 5 * 32]


def _tamper_extra(text: str, **openings: Any) -> str:
    lines = text.split("\n")
    extra = json.loads(base64.b64decode(lines[1][6:]))
    if "entry_byte" in openings:
        entry = bytearray(base64.b64decode(extra["entry"]))
        entry[openings.pop("entry_byte")] ^= 1
        extra["entry"] = base64.b64encode(bytes(entry)).decode()
    extra["openings"].update(openings)
    lines[1] = "extra " + base64.b64encode(json.dumps(extra).encode()).decode()
    return "\n".join(lines)


def test_a_likes_receipt_verifies_offline_and_tampering_is_named(ledger_api: Api) -> None:
    api = ledger_api
    made = community(api)
    response = api.client.get(f"/v1/likes/{made.like_id}/receipt", headers=made.fan)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="like-{made.like_id}.tlog-proof"'
    )
    receipt, vkey = response.text, _vkey(api)
    summary = verify_receipt(receipt, vkey)
    assert (summary.video_id, summary.source, summary.account_id) == (
        made.video,
        "app",
        made.fan_id,
    )
    assert (summary.device_id, summary.user_agent) == (DEVICE_ID, USER_AGENT)
    assert summary.size == _checkpoint(api).size
    lines = receipt.split("\n")
    flipped = bytearray(base64.b64decode(lines[3]))
    flipped[0] ^= 1
    other_key = Ed25519Signer.generate(api.platform.settings.ledger_origin).verifier().key_string
    cases = {
        _tamper_extra(receipt, entry_byte=30): "is not proven to be entry 0",
        _tamper_extra(receipt, account=base64.b64encode(bytes(32)).decode()): "account opening",
        "\n".join([*lines[:3], base64.b64encode(bytes(flipped)).decode(), *lines[4:]]): (
            "does not lead to the root"
        ),
    }
    for tampered, message in cases.items():
        with pytest.raises(VerificationFailed) as excinfo:
            verify_receipt(tampered, vkey)
        assert message in "\n".join(excinfo.value.failures)
    with pytest.raises(VerificationFailed, match="not signed by the log key"):
        verify_receipt(receipt, other_key)


def test_receipts_are_for_their_owner_once_integrated(ledger_api: Api) -> None:
    api = ledger_api
    made = community(api)
    path = f"/v1/likes/{made.like_id}/receipt"
    assert_problem(api.client.get(path, headers=made.other), 403, "forbidden")
    assert_problem(api.client.get(path), 401, "not-authenticated")
    assert_problem(
        api.client.get("/v1/likes/99999/receipt", headers=made.fan), 404, "like-not-found"
    )
    fresh = _post(api, f"/v1/videos/{made.video2}/likes", made.other)
    pending = api.client.get(f"/v1/likes/{fresh['id']}/receipt", headers=made.other)
    assert_problem(pending, 503, "pending-integration")
    assert pending.headers["retry-after"] == "1"
    api.platform.integrator.catch_up()
    assert api.client.get(f"/v1/likes/{fresh['id']}/receipt", headers=made.other).status_code == 200


def _cosigned(api: Api, signer: CosignatureSigner, size: int | None = None) -> str:
    note = api.client.get(
        "/ledger/checkpoint" if size is None else f"/v1/ledger/checkpoints/{size}"
    )
    checkpoint = open_checkpoint(note.text, [parse_verifier_key(_vkey(api))])
    return note.text + cosign_checkpoint(checkpoint, signer).line


def test_cosignatures_of_configured_witnesses_are_stored_and_served(ledger_api: Api) -> None:
    api = ledger_api
    community(api)
    size = _checkpoint(api).size
    body = _cosigned(api, WITNESS) + cosign_checkpoint(_checkpoint(api), STRANGER).line
    response = api.client.post(
        "/v1/ledger/cosignatures", content=body, headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "size": size,
        "witnesses": [f"{WITNESS.name}+{WITNESS.key_id.hex()}"],
        "ignored": [f"{STRANGER.name}+{STRANGER.key_id.hex()}"],
    }
    for path in ("/ledger/checkpoint", f"/v1/ledger/checkpoints/{size}"):
        served = api.client.get(path).text
        assert verify_cosignature(served, WITNESS.verifier()) > 0
        assert [s.name for s in parse_note(served).signatures] == [
            api.platform.settings.ledger_origin,
            WITNESS.name,
        ]
        open_checkpoint(served, [parse_verifier_key(_vkey(api))])
    # the operator's page lists each witness with the newest checkpoint it cosigned
    (seen,) = api.platform.ledger.witnesses()
    assert (seen.witness, seen.size) == (f"{WITNESS.name}+{WITNESS.key_id.hex()}", size)


def test_unknown_or_bad_cosignatures_are_refused(ledger_api: Api) -> None:
    api = ledger_api
    community(api)
    checkpoint = _checkpoint(api)

    def post(body: str) -> Any:
        return api.client.post("/v1/ledger/cosignatures", content=body.encode())

    assert_problem(post(_cosigned(api, STRANGER)), 403, "forbidden")
    good = _cosigned(api, WITNESS)
    head, _, line = good.rpartition("— ")
    blob = bytearray(base64.b64decode(line.split(" ")[1]))
    blob[-1] ^= 1
    forged = f"{head}— {WITNESS.name} {base64.b64encode(bytes(blob)).decode()}\n"
    assert "does not verify" in assert_problem(post(forged), 422, "invalid-input")["detail"]
    # A checkpoint the log never signed, even if the witness cosigned it.
    other = Checkpoint(checkpoint.origin, checkpoint.size, bytes(32))
    fake = sign_checkpoint(other, [Ed25519Signer.generate(checkpoint.origin)])
    fake += cosign_checkpoint(other, WITNESS).line
    assert (
        "not the one this log signed" in assert_problem(post(fake), 422, "invalid-input")["detail"]
    )
    unsigned = Checkpoint(checkpoint.origin, checkpoint.size + 5, bytes(32))
    assert_problem(
        post(unsigned.text() + "\n" + cosign_checkpoint(unsigned, WITNESS).line), 404, "not-found"
    )
    assert_problem(post("not a note"), 422, "invalid-input")
    assert api.client.get("/ledger/checkpoint").text.count("— ") == 1  # nothing was stored


def test_receipts_of_a_shredded_account_cannot_be_opened(ledger_api: Api) -> None:
    api = ledger_api
    made = community(api)
    with api.platform.db.write_engine.begin() as conn:
        conn.execute(
            update(tables.account_secrets)
            .where(tables.account_secrets.c.account_id == made.fan_id)
            .values(secret=None, shredded_at=datetime.now(UTC))
        )
    response = api.client.get(f"/v1/likes/{made.like_id}/receipt", headers=made.fan)
    assert_problem(response, 409, "conflict")
