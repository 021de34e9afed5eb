"""Third-party apps through HTTP on both engines: the authorization code flow with PKCE from
the consent form to API calls, and its edge cases (wrong verifier, replayed code, wrong
redirect, expiry, revocation, scope escalation, refresh rotation, per-app limits)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from plaudit.api import create_app
from plaudit.config import Settings
from plaudit.oauth import TOKEN_PATTERN
from plaudit.oauth.model import digest
from plaudit.platform import Platform
from plaudit.store import utcnow
from plaudit.store.tables import oauth_codes, oauth_tokens
from tests.integration.conftest import assert_problem

REDIRECT = "https://app.example/callback"
PASSWORD = "a long enough password"


@dataclass
class Flow:
    """A developer's app and a signed-in creator, on one live app."""

    client: TestClient
    platform: Platform
    client_id: str
    creator_id: int
    creator_auth: dict[str, str]
    developer_auth: dict[str, str]
    video_id: int

    def authorize(self, decision: str = "allow", **params: str) -> str:
        """The consent page's form sent back; the Location the person is sent to."""
        query = {**self.params(), **params}
        page = self.client.get("/oauth/authorize?" + urlencode(query), follow_redirects=False)
        if page.status_code == 303:  # a request not fit to show: straight back to the app
            return str(page.headers["location"])
        assert page.status_code == 200, page.text
        hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)
        fields = {k: html.unescape(v) for k, v in hidden}
        fields["decision"] = decision
        sent = self.client.post("/oauth/authorize", data=fields, follow_redirects=False)
        assert sent.status_code == 303, sent.text
        return str(sent.headers["location"])

    def params(
        self, verifier: str = "v" * 50, scope: str = "likes:write videos:read"
    ) -> dict[str, str]:
        return {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT,
            "scope": scope,
            "state": "xyz-state",
            "code_challenge": challenge(verifier),
            "code_challenge_method": "S256",
        }

    def code(self, verifier: str = "v" * 50, **params: str) -> str:
        location = self.authorize(**{**self.params(verifier), **params})
        query = parse_qs(urlsplit(location).query)
        assert query["state"] == ["xyz-state"]
        return query["code"][0]

    def exchange(self, code: str, verifier: str = "v" * 50, **form: str) -> Any:
        body = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_id": self.client_id,
            **form,
        }
        return self.client.post("/v1/oauth/token", data=body)

    def tokens(self) -> dict[str, Any]:
        answer = self.exchange(self.code())
        assert answer.status_code == 200, answer.text
        tokens: dict[str, Any] = answer.json()
        return tokens

    def refresh(self, refresh_token: str, **form: str) -> Any:
        body = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": self.client_id,
            **form,
        }
        return self.client.post("/v1/oauth/token", data=body)

    def like(self, access_token: str) -> Any:
        headers = {"Authorization": f"Bearer {access_token}"}
        return self.client.post(f"/v1/videos/{self.video_id}/likes", headers=headers)


def challenge(verifier: str) -> str:
    """RFC 7636 4.2: BASE64URL(SHA256(verifier)), unpadded."""
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def _account(client: TestClient, handle: str, kind: str) -> tuple[int, dict[str, str]]:
    answer = client.post("/v1/accounts", json={"handle": handle, "kind": kind})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"], {"Authorization": f"Bearer {answer.json()['token']}"}


def sign_in(client: TestClient, handle: str) -> None:
    page = client.get("/signin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    form = {"csrf": csrf.group(1), "handle": handle, "password": PASSWORD, "next": "/"}
    assert client.post("/signin", data=form, follow_redirects=False).status_code == 303


def _flow(settings: Settings, confidential: bool = False) -> Iterator[Flow]:
    platform = Platform(settings)
    with TestClient(create_app(settings, platform), base_url="http://127.0.0.1") as client:
        _, developer_auth = _account(client, "developer", "creator")
        creator_id, creator_auth = _account(client, "maker", "creator")
        client.app.state.signins.set_password(creator_id, PASSWORD)  # type: ignore[attr-defined]
        video = client.post(
            "/v1/videos", json={"title": "clip", "category": "food"}, headers=creator_auth
        )
        registered = client.post(
            "/v1/apps",
            json={
                "name": "Clip Scheduler",
                "redirect_uris": [REDIRECT, "http://127.0.0.1:8765/cb"],
                "scopes": ["likes:write", "videos:read", "profile:read"],
                "confidential": confidential,
            },
            headers=developer_auth,
        )
        assert registered.status_code == 201, registered.text
        flow = Flow(
            client, platform, registered.json()["client_id"], creator_id, creator_auth,
            developer_auth, video.json()["id"],
        )  # fmt: skip
        flow.client_secret = registered.json()["client_secret"]  # type: ignore[attr-defined]
        sign_in(client, "maker")
        yield flow


@pytest.fixture
def flow(backend_settings: Settings) -> Iterator[Flow]:
    yield from _flow(backend_settings)


def test_the_whole_dance_gives_scoped_tokens_stored_hashed(flow: Flow) -> None:
    tokens = flow.tokens()
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "likes:write videos:read"
    assert TOKEN_PATTERN.fullmatch(tokens["access_token"])
    assert TOKEN_PATTERN.fullmatch(tokens["refresh_token"])
    liked = flow.like(tokens["access_token"])
    assert liked.status_code == 201, liked.text
    assert liked.json()["account_id"] == flow.creator_id  # the app acts for the creator
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = flow.client.get("/v1/me", headers=bearer)  # profile:read was not granted
    assert assert_problem(me, 403, "missing-scope")["scope"] == "profile:read"
    # a scope no app may hold: which fans' likes were revoked
    revocations = flow.client.get(f"/v1/videos/{flow.video_id}/revocations", headers=bearer)
    assert assert_problem(revocations, 403, "missing-scope")["scope"] == "verdicts:read"
    keys = flow.client.get("/v1/api-keys", headers=bearer)  # never what only people may do
    assert_problem(keys, 403, "forbidden")
    with flow.platform.db.read() as conn:
        row = conn.execute(select(oauth_tokens)).one()
    assert row.access_hash == digest(tokens["access_token"])
    assert tokens["access_token"].encode() not in repr(tuple(row)).encode()


def test_a_wrong_verifier_is_invalid_grant_and_spends_the_code(flow: Flow) -> None:
    code = flow.code()
    wrong = flow.exchange(code, verifier="w" * 50)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    assert "code_verifier" in wrong.json()["error_description"]
    assert flow.exchange(code).json()["error"] == "invalid_grant"


def test_a_replayed_code_fails_and_revokes_what_the_first_exchange_gave(flow: Flow) -> None:
    code = flow.code()
    first = flow.exchange(code)
    assert first.status_code == 200
    again = flow.exchange(code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert_problem(flow.like(first.json()["access_token"]), 401, "not-authenticated")


def test_the_redirect_uri_must_be_registered_and_the_same_at_exchange(flow: Flow) -> None:
    query = {**flow.params(), "redirect_uri": "https://evil.example/cb"}
    page = flow.client.get("/oauth/authorize?" + urlencode(query), follow_redirects=False)
    assert page.status_code == 422  # shown to the person, never sent to that URI
    assert "evil.example" not in page.headers.get("location", "")
    code = flow.code(redirect_uri="http://127.0.0.1:8765/cb")
    other = flow.exchange(code)  # REDIRECT is registered, but not the code's
    assert other.status_code == 400
    assert other.json()["error"] == "invalid_grant"


def test_an_expired_code_is_refused(flow: Flow) -> None:
    code = flow.code()
    past = utcnow() - timedelta(minutes=5)

    def age(conn: Any) -> None:
        conn.execute(update(oauth_codes).values(created_at=past, expires_at=past))

    flow.platform.db.write(age)
    answer = flow.exchange(code)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_an_expired_access_token_is_401(flow: Flow) -> None:
    tokens = flow.tokens()
    flow.platform.db.write(
        lambda conn: conn.execute(update(oauth_tokens).values(expires_at=utcnow()))
    )
    problem = assert_problem(flow.like(tokens["access_token"]), 401, "not-authenticated")
    assert "refresh token" in problem["detail"]


def test_pkce_is_required(flow: Flow) -> None:
    location = flow.authorize(code_challenge="", code_challenge_method="")
    query = parse_qs(urlsplit(location).query)
    assert query["error"] == ["invalid_request"]
    assert "PKCE" in query["error_description"][0]
    plain = flow.authorize(code_challenge_method="plain")
    assert parse_qs(urlsplit(plain).query)["error"] == ["invalid_request"]


def test_a_refusal_goes_back_as_access_denied(flow: Flow) -> None:
    location = flow.authorize("deny")
    assert location.startswith(REDIRECT)
    query = parse_qs(urlsplit(location).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["xyz-state"]
    assert "code" not in query


def test_the_consent_form_needs_its_csrf_token(flow: Flow) -> None:
    fields = {**flow.params(), "decision": "allow", "csrf": "forged"}
    sent = flow.client.post("/oauth/authorize", data=fields, follow_redirects=False)
    assert sent.status_code == 422
    assert "location" not in sent.headers
    with flow.platform.db.read() as conn:
        assert conn.execute(select(oauth_codes)).first() is None


def test_scope_escalation_is_refused_everywhere(flow: Flow) -> None:
    beyond = flow.authorize(scope="likes:write webhooks:write")  # not registered by the app
    assert parse_qs(urlsplit(beyond).query)["error"] == ["invalid_scope"]
    tokens = flow.tokens()  # likes:write videos:read
    wider = flow.refresh(tokens["refresh_token"], scope="likes:write profile:read")
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"
    narrower = flow.refresh(tokens["refresh_token"], scope="videos:read")
    assert narrower.status_code == 200, narrower.text
    assert narrower.json()["scope"] == "videos:read"
    refused = flow.client.post(
        "/v1/apps",
        json={"name": "x", "redirect_uris": [REDIRECT], "scopes": ["verdicts:read"]},
        headers=flow.developer_auth,
    )
    assert "verdicts:read" in assert_problem(refused, 422, "invalid-input")["detail"]


def test_refresh_tokens_rotate_and_a_replayed_one_ends_the_grant(flow: Flow) -> None:
    first = flow.tokens()
    second = flow.refresh(first["refresh_token"])
    assert second.status_code == 200, second.text
    new = second.json()
    assert new["refresh_token"] != first["refresh_token"]
    assert flow.like(new["access_token"]).status_code == 201
    replay = flow.refresh(first["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert_problem(flow.like(new["access_token"]), 401, "not-authenticated")
    assert flow.refresh(new["refresh_token"]).json()["error"] == "invalid_grant"


def test_revocation_per_rfc_7009(flow: Flow) -> None:
    one, two = flow.tokens(), flow.tokens()
    revoked = flow.client.post(
        "/v1/oauth/revoke", data={"token": one["access_token"], "client_id": flow.client_id}
    )
    assert revoked.status_code == 200
    assert revoked.headers["cache-control"] == "no-store"
    assert_problem(flow.like(one["access_token"]), 401, "not-authenticated")
    assert flow.like(two["access_token"]).status_code == 201  # another grant
    unknown = flow.client.post(
        "/v1/oauth/revoke", data={"token": "nonsense", "client_id": flow.client_id}
    )
    assert unknown.status_code == 200  # RFC 7009 2.2: an invalid token is not an error
    # revoking a refresh token ends its grant's access tokens too (RFC 7009 2.1)
    ended = flow.client.post(
        "/v1/oauth/revoke",
        data={"token": two["refresh_token"], "client_id": flow.client_id},
    )
    assert ended.status_code == 200
    assert_problem(flow.like(two["access_token"]), 401, "not-authenticated")
    assert flow.refresh(two["refresh_token"]).json()["error"] == "invalid_grant"


def test_only_creators_can_let_an_app_act_for_them(flow: Flow) -> None:
    fan_id, _ = _account(flow.client, "a-fan", "fan")
    flow.client.app.state.signins.set_password(fan_id, PASSWORD)  # type: ignore[attr-defined]
    flow.client.cookies.clear()
    sign_in(flow.client, "a-fan")
    page = flow.client.get("/oauth/authorize?" + urlencode(flow.params()))
    assert 'data-testid="allow"' not in page.text
    location = flow.authorize("allow")  # a forged allow from a fan is a refusal
    assert parse_qs(urlsplit(location).query)["error"] == ["access_denied"]


def test_a_retired_app_loses_its_tokens(flow: Flow) -> None:
    tokens = flow.tokens()
    apps = flow.client.get("/v1/apps", headers=flow.developer_auth).json()
    retired = flow.client.delete(f"/v1/apps/{apps[0]['id']}", headers=flow.developer_auth)
    assert retired.status_code == 200
    assert retired.json()["revoked_at"] is not None
    assert_problem(flow.like(tokens["access_token"]), 401, "not-authenticated")
    other = flow.client.get(f"/v1/apps/{apps[0]['id']}", headers=flow.creator_auth)
    assert_problem(other, 404, "app-not-found")


def _settings_csrf(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/settings").text)
    assert found is not None
    return found.group(1)


def test_the_creator_sees_and_revokes_the_apps_acting_for_them(flow: Flow) -> None:
    first, second = flow.tokens(), flow.tokens()
    pending = flow.code()  # consented a moment ago, not yet exchanged
    page = flow.client.get("/settings")
    listed = page.text.split('data-testid="authorized-apps"')[1].split("</table>")[0]
    assert "Clip Scheduler" in listed
    assert "@developer" in listed
    assert "<code>likes:write</code>" in listed
    assert "<code>videos:read</code>" in listed
    app_id = flow.client.get("/v1/apps", headers=flow.developer_auth).json()[0]["id"]
    revoked = flow.client.post(
        f"/settings/apps/{app_id}/revoke",
        data={"csrf": _settings_csrf(flow.client)},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    for tokens in (first, second):
        assert_problem(flow.like(tokens["access_token"]), 401, "not-authenticated")
        assert flow.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert flow.exchange(pending).json()["error"] == "invalid_grant"
    after = flow.client.get(revoked.headers["location"]).text
    assert 'data-testid="app-revoked"' in after
    assert (
        "Clip Scheduler" not in after.split('data-testid="authorized-apps"')[1].split("</table>")[0]
    )
    # the person may consent again later: a fresh grant works
    assert flow.like(flow.tokens()["access_token"]).status_code == 201


def test_revoking_an_app_needs_the_forms_csrf_and_a_real_app(flow: Flow) -> None:
    tokens = flow.tokens()
    app_id = flow.client.get("/v1/apps", headers=flow.developer_auth).json()[0]["id"]
    forged = flow.client.post(f"/settings/apps/{app_id}/revoke", data={"csrf": "forged"})
    assert forged.status_code == 422  # the console's answer to a form without its token
    assert flow.like(tokens["access_token"]).status_code == 201
    missing = flow.client.post(
        "/settings/apps/999999/revoke", data={"csrf": _settings_csrf(flow.client)}
    )
    assert missing.status_code == 404
    assert "999999" in missing.text


def test_a_confidential_app_must_authenticate(backend_settings: Settings) -> None:
    for flow in _flow(backend_settings, confidential=True):
        secret = flow.client_secret  # type: ignore[attr-defined]
        assert secret.startswith("plaudit_cs_")
        code = flow.code()
        without = flow.exchange(code)
        assert without.status_code == 401
        assert without.json()["error"] == "invalid_client"
        code = flow.code()
        assert flow.exchange(code, client_secret=secret).status_code == 200


def test_each_app_has_its_own_rate_limit(backend_settings: Settings) -> None:
    for flow in _flow(backend_settings.with_values(oauth_app_rate_limit="3/minute")):
        one, two = flow.tokens(), flow.tokens()
        assert flow.like(one["access_token"]).status_code == 201
        bearer = {"Authorization": f"Bearer {one['access_token']}"}
        assert flow.client.delete(f"/v1/videos/{flow.video_id}/likes", headers=bearer)
        assert flow.like(two["access_token"]).status_code == 201  # the app's third call
        problem = assert_problem(flow.like(one["access_token"]), 429, "rate-limited")
        assert problem["rule"] == "app"
        assert int(flow.like(two["access_token"]).headers["retry-after"]) >= 1
        # the person's own token is not the app's quota
        assert flow.client.get("/v1/me", headers=flow.creator_auth).status_code == 200


def test_codes_are_single_use_under_concurrent_exchanges(flow: Flow) -> None:
    import concurrent.futures

    code = flow.code()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: flow.exchange(code).status_code, range(4)))
    assert sorted(answers) == [200, 400, 400, 400]


def test_control_characters_are_refused_before_any_lookup(flow: Flow) -> None:
    answer = flow.client.post("/v1/oauth/token", data={"grant_type": "x", "client_id": "a\x00b"})
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "invalid_request",
        "error_description": "client_id holds a control character",
    }
    page = flow.client.get("/oauth/authorize", params={**flow.params(), "state": "s\x00"})
    assert assert_problem(page, 422, "invalid-input")["field"] == "state"  # the request guard
    shown = flow.client.get("/oauth/authorize", params=flow.params())
    csrf = re.search(r'name="csrf" value="([^"]+)"', shown.text)
    assert csrf is not None
    form = {**flow.params(), "client_id": "a\x00b", "csrf": csrf.group(1), "decision": "allow"}
    sent = flow.client.post("/oauth/authorize", data=form, follow_redirects=False)
    assert sent.status_code == 422
    assert "control character" in sent.text


def test_an_apps_webhook_endpoint_is_the_apps_and_ends_with_it(
    backend_settings: Settings,
) -> None:
    """Endpoints are registered per organisation or app (issue 13, item 6): what an app
    registers with its token names the app, is out of reach of the creator's other apps,
    and is disabled when the app is retired."""
    settings = backend_settings.with_values(webhooks_allow_private=True)
    with contextlib.closing(_flow(settings)) as flows:
        flow = next(flows)
        relay = flow.client.post(
            "/v1/apps",
            json={"name": "Hook Relay", "redirect_uris": [REDIRECT],
                  "scopes": ["webhooks:write", "webhooks:read"]},
            headers=flow.developer_auth,
        ).json()  # fmt: skip
        app = replace(flow, client_id=relay["client_id"])
        tokens = app.exchange(app.code(scope="webhooks:write webhooks:read")).json()
        app_auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        body = {"url": "http://127.0.0.1:9/hook", "events": ["ledger.checkpoint_signed"]}
        made = flow.client.post("/v1/webhooks/endpoints", json=body, headers=app_auth)
        assert made.status_code == 201, made.text
        theirs = made.json()
        assert theirs["app_id"] == relay["id"]
        auth = flow.creator_auth
        mine = flow.client.post("/v1/webhooks/endpoints", json=body, headers=auth).json()
        assert mine["app_id"] is None

        def listed(headers: dict[str, str]) -> dict[int, dict[str, Any]]:
            found = flow.client.get("/v1/webhooks/endpoints", headers=headers).json()
            return {e["id"]: e for e in found}

        assert set(listed(app_auth)) == {theirs["id"]}
        assert set(listed(auth)) == {theirs["id"], mine["id"]}
        not_its = flow.client.post(f"/v1/webhooks/endpoints/{mine['id']}/test", headers=app_auth)
        assert not_its.status_code == 404
        flow.client.delete(f"/v1/apps/{relay['id']}", headers=flow.developer_auth)
        after = listed(auth)
        assert after[theirs["id"]]["disabled_reason"] == "the app that registered it was retired"
        assert after[mine["id"]]["disabled_at"] is None
