"""Passkey ceremonies' server side and deleting an account from the console, on both engines.

The full ceremonies run in Chromium with a virtual authenticator
(tests/integration/test_console_people_browser.py); here: the options the browser is given,
one-time challenges, CSRF, and that erasure leaves no way into the account.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from plaudit.api import create_app
from plaudit.config import Settings
from plaudit.errors import NotAuthenticated
from plaudit.platform import Platform
from plaudit.store import passkeys as passkeys_sql
from plaudit.store import tables, utcnow
from plaudit.web.passkeys import Passkeys

PASSWORD = "correct horse battery"


@pytest.fixture
def console(backend_settings: Settings) -> Iterator[tuple[TestClient, Platform, int]]:
    platform = Platform(backend_settings)
    with TestClient(create_app(backend_settings, platform)) as client:
        account, _token = platform.accounts.create("ming", "creator", "小明")
        client.app.state.signins.set_password(account.id, PASSWORD)  # type: ignore[attr-defined]
        yield client, platform, account.id


def _csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def _signed_in(client: TestClient) -> None:
    form = {"csrf": _csrf(client, "/signin"), "handle": "ming", "password": PASSWORD}
    assert client.post("/signin", data=form, follow_redirects=False).status_code == 303


def test_registration_options_ask_for_a_verified_discoverable_passkey(
    console: tuple[TestClient, Platform, int],
) -> None:
    client, _platform, account_id = console
    _signed_in(client)
    csrf = _csrf(client, "/settings")
    response = client.post("/settings/passkeys/options", data={"csrf": csrf})
    assert response.status_code == 200, response.text
    options = response.json()
    assert options["rp"] == {"id": "localhost", "name": "Plaudit"}
    assert options["user"]["name"] == "ming"
    # the user handle is the account id (8 bytes), no name or other personal data
    assert options["user"]["id"] == _b64bytes(account_id.to_bytes(8, "big"))
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"


def test_passkey_forms_need_the_csrf_token(console: tuple[TestClient, Platform, int]) -> None:
    client, _platform, _id = console
    _csrf(client, "/signin")  # the pre-sign-in cookie exists, but the form does not carry it
    response = client.post("/signin/passkey/options", data={"csrf": "forged"})
    assert response.status_code == 422
    assert "security token" in response.json()["detail"]


def test_an_answer_to_an_unknown_or_used_challenge_is_refused(
    console: tuple[TestClient, Platform, int],
) -> None:
    client, _platform, _id = console
    csrf = _csrf(client, "/signin")
    options = client.post("/signin/passkey/options", data={"csrf": csrf}).json()
    assert options["userVerification"] == "required"
    client_data = {"type": "webauthn.get", "challenge": "A" * 43, "origin": "http://localhost"}
    answer = {
        "id": "AQID",
        "rawId": "AQID",
        "type": "public-key",
        "response": {
            "clientDataJSON": _b64bytes(json.dumps(client_data).encode()),
            "authenticatorData": "AAAA",
            "signature": "AAAA",
        },
        "clientExtensionResults": {},
    }
    response = client.post("/signin/passkey", data={"csrf": csrf, "credential": json.dumps(answer)})
    assert response.status_code == 422
    assert "expired or was already used" in response.json()["detail"]
    garbled = client.post("/signin/passkey", data={"csrf": csrf, "credential": "{not json"})
    assert garbled.status_code == 422
    assert "not readable" in garbled.json()["detail"]


def _b64bytes(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_a_challenge_serves_once(console: tuple[TestClient, Platform, int]) -> None:
    _client, platform, _id = console
    challenge = b"c" * 32
    expires = utcnow().replace(year=utcnow().year + 1)
    platform.db.write(
        lambda conn: passkeys_sql.insert_challenge(conn, challenge, "signin", None, expires)
    )
    first = platform.db.write(lambda conn: passkeys_sql.take_challenge(conn, challenge, utcnow()))
    second = platform.db.write(lambda conn: passkeys_sql.take_challenge(conn, challenge, utcnow()))
    assert first is not None
    assert first.purpose == "signin"
    assert second is None


def test_deleting_my_account_in_the_console_leaves_no_way_in(
    console: tuple[TestClient, Platform, int],
) -> None:
    client, platform, account_id = console
    _signed_in(client)
    key, secret = platform.apikeys.create(account_id, "robot", ["likes:read"])
    values = {
        "account_id": account_id,
        "credential_id": b"cred",
        "public_key": b"key",
        "sign_count": 0,
        "name": "phone",
        "aaguid": "00000000-0000-0000-0000-000000000000",
        "backed_up": False,
        "created_at": utcnow(),
    }
    platform.db.write(lambda conn: passkeys_sql.insert_passkey(conn, values))
    csrf = _csrf(client, "/me/delete")
    wrong = client.post("/me/delete", data={"csrf": csrf, "confirm": "Ming"})
    assert wrong.status_code == 422
    assert platform.accounts.get(account_id).handle == "ming"  # nothing happened
    done = client.post("/me/delete", data={"csrf": csrf, "confirm": "ming"})
    assert done.status_code == 200
    assert 'data-testid="deleted"' in done.text
    assert platform.accounts.get(account_id).handle == f"deleted-{account_id}"
    with platform.db.read() as conn:
        for table in (tables.web_sessions, tables.account_passwords, tables.passkeys):
            rows = conn.execute(select(table).where(table.c.account_id == account_id)).all()
            assert rows == [], table.name
        revoked = conn.execute(
            select(tables.api_keys.c.revoked_at).where(tables.api_keys.c.id == key.id)
        ).scalar_one()
    assert revoked is not None
    with pytest.raises(NotAuthenticated):
        platform.apikeys.authenticate(secret, None)
    # the old session cookie opens nothing any more
    assert client.get("/settings", follow_redirects=False).status_code == 303
    passkeys: Passkeys = client.app.state.passkeys  # type: ignore[attr-defined]
    assert passkeys.of(account_id) == []
