"""Tokens that can be listed, revoked and expire (issue 17, item 9), and deleting an account
(item 13): the person goes, every checkpoint, proof and count stays."""

from __future__ import annotations

import time

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from plaudit.api import create_app
from plaudit.cli.main import cli
from plaudit.config import Settings
from plaudit.ledger.entries import Kind, account_commitment, account_opening, decode_entry
from plaudit.ledger.sources import StoreLog
from plaudit.ledger.verify import verify_log, verify_receipt
from plaudit.ledgerstore.audit import StoreCounts, audit
from plaudit.platform import Platform
from plaudit.store import tables
from tests.integration.conftest import Api, assert_problem


def _wait_integrated(api: Api) -> None:
    deadline = time.monotonic() + 20
    while api.platform.ledger.pending() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert api.platform.ledger.pending() == 0


def _token_headers(api: Api, account_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.platform.accounts.issue_token(account_id)}"}


def test_tokens_are_listed_and_revoked_one_or_all(api: Api) -> None:
    fan_id, first = api.account("fan1")
    second = _token_headers(api, fan_id)
    listed = api.client.get("/v1/me/tokens", headers=first).json()
    assert [t["revoked_at"] for t in listed] == [None, None]
    assert "token" not in listed[0]
    assert api.client.delete(f"/v1/me/tokens/{listed[1]['id']}", headers=first).status_code == 204
    assert_problem(api.client.get("/v1/me", headers=second), 401, "not-authenticated")
    assert api.client.get("/v1/me", headers=first).status_code == 200
    # someone else's token id answers exactly as a missing one
    other_id, other = api.account("fan2")
    theirs = api.client.get("/v1/me/tokens", headers=other).json()[0]["id"]
    foreign = api.client.delete(f"/v1/me/tokens/{theirs}", headers=first)
    missing = api.client.delete("/v1/me/tokens/999999", headers=first)
    assert_problem(foreign, 404, "not-found")
    assert foreign.json()["detail"].replace(str(theirs), "N") == missing.json()["detail"].replace(
        "999999", "N"
    )
    assert api.client.get("/v1/me", headers=other).status_code == 200
    # revoke-all, the token of the request included
    assert api.client.delete("/v1/me/tokens", headers=first).status_code == 204
    assert_problem(api.client.get("/v1/me", headers=first), 401, "not-authenticated")
    assert other_id != fan_id


def test_the_cli_revokes_tokens(backend_settings: Settings) -> None:
    platform = Platform(backend_settings).open()
    account, token = platform.accounts.create("fan1")
    platform.close()
    flags = ["--data-dir", str(backend_settings.data_path)]
    if backend_settings.database_url:
        flags += ["--database-url", backend_settings.database_url]
    runner = CliRunner()
    listed = runner.invoke(cli, ["accounts", "revoke-token", str(account.id), *flags])
    assert listed.exit_code == 0, listed.output
    assert "active" in listed.output
    done = runner.invoke(cli, ["accounts", "revoke-token", str(account.id), "--all", *flags])
    assert "revoked 1 token(s)" in done.output
    platform = Platform(backend_settings).open()
    try:
        assert platform.accounts.tokens(account.id)[0].revoked_at is not None
    finally:
        platform.close()
    assert token


def test_tokens_expire_with_the_setting(backend_settings: Settings) -> None:
    settings = backend_settings.with_values(token_ttl_s=1)
    with TestClient(create_app(settings)) as client:
        created = client.post("/v1/accounts", json={"handle": "fan1"}).json()
        headers = {"Authorization": f"Bearer {created['token']}"}
        listed = client.get("/v1/me/tokens", headers=headers).json()
        assert listed[0]["expires_at"] is not None
        time.sleep(1.1)
        expired = client.get("/v1/me", headers=headers)
    assert "expired" in assert_problem(expired, 401, "not-authenticated")["detail"]


def test_deleting_an_account_erases_the_person_and_keeps_the_log(api: Api) -> None:
    _, creator = api.account("creator1", "creator")
    fan_id, fan = api.account("fan1")
    video = api.video(creator)
    assert api.client.patch("/v1/me/profile", json={"gender": "female"}, headers=fan).is_success
    like = api.client.post(f"/v1/videos/{video}/likes", headers=fan).json()
    _wait_integrated(api)
    receipt = api.client.get(f"/v1/likes/{like['id']}/receipt", headers=fan)
    assert receipt.status_code == 200, receipt.text
    vkey = api.platform.ledger.vkey
    entry = decode_entry(api.platform.ledger.entry(like["seq"]))

    def secrets() -> dict[int, bytes | None]:
        with api.platform.db.read() as conn:
            rows = conn.execute(select(tables.account_secrets)).all()
        return {r.account_id: r.secret for r in rows}

    def links(secret: bytes, account_id: int) -> bool:
        opening = account_opening(secret, Kind.LIKE, video)
        return account_commitment(account_id, Kind.LIKE, video, opening) == entry.account

    # before: the stored secret links the entry to the fan
    before = secrets()[fan_id]
    assert before is not None
    assert links(before, fan_id)
    checkpoint_before = api.platform.ledger.checkpoint()

    refused = api.client.delete("/v1/me", params={"confirm": "wrong"}, headers=fan)
    assert assert_problem(refused, 422, "invalid-input")["field"] == "confirm"
    assert api.client.delete("/v1/me", params={"confirm": "fan1"}, headers=fan).status_code == 204

    # the person is gone: tokens, profile, handle, secret
    assert_problem(api.client.get("/v1/me", headers=fan), 401, "not-authenticated")
    profile = api.platform.accounts.get_profile(fan_id)
    assert (profile.gender, profile.consent_targeting) == (None, False)
    assert api.platform.accounts.get(fan_id).handle == f"deleted-{fan_id}"
    after = secrets()
    assert after[fan_id] is None
    assert not any(links(s, a) for a, s in after.items() if s is not None)
    # ... and the log is whole: same checkpoint, proofs, counts
    assert api.platform.ledger.checkpoint() == checkpoint_before
    verify_receipt(receipt.text, vkey)  # raises when a check fails
    assert verify_log(StoreLog(api.platform.ledger), vkey).size == api.platform.ledger.size()
    report = audit(StoreLog(api.platform.ledger), StoreCounts(api.platform.videos), vkey)
    assert report.ok, report.lines()
    assert api.likes(video) == 1


def test_a_person_exports_their_data_and_the_export_is_counted_not_named(api: Api) -> None:
    fan_id, headers = api.account("exporter")
    _creator_id, creator = api.account("maker", kind="creator")
    video = api.video(creator)
    assert api.client.post(f"/v1/videos/{video}/likes", headers=headers).status_code in (200, 201)
    answer = api.client.get("/v1/me/export", headers=headers)
    assert answer.status_code == 200
    exported = answer.json()
    assert exported["account"]["id"] == fan_id
    assert exported["account"]["handle"] == "exporter"
    assert [like["video_id"] for like in exported["likes"]] == [video]
    assert [t["revoked_at"] for t in exported["api_tokens"]] == [None]
    assert "private" in answer.headers["cache-control"]
    assert_problem(api.client.get("/v1/me/export"), 401, "not-authenticated")
    with api.platform.db.read() as conn:
        rows = conn.execute(select(tables.data_exports)).mappings().all()
    # when and how, never whose
    assert [(set(r), r["channel"]) for r in rows] == [({"id", "channel", "exported_at"}, "api")]
