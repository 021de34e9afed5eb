"""Sign-in for people through the console's forms: argon2id, session cookies, CSRF, attempt
limits, sign-out everywhere, no open redirect; on both engines."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from plaudit.api import create_app
from plaudit.config import Settings
from plaudit.platform import Platform
from plaudit.store import tables

PASSWORD = "correct horse battery"


@pytest.fixture
def console(backend_settings: Settings) -> Iterator[tuple[TestClient, Platform, int]]:
    platform = Platform(backend_settings)
    with TestClient(create_app(backend_settings, platform)) as client:
        account, _token = platform.accounts.create("ming", "fan", "小明")
        client.app.state.signins.set_password(account.id, PASSWORD)  # type: ignore[attr-defined]
        yield client, platform, account.id


def _csrf(client: TestClient, path: str = "/signin") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def _sign_in(client: TestClient, password: str = PASSWORD, next_: str = "") -> object:
    form = {"csrf": _csrf(client), "handle": "ming", "password": password, "next": next_}
    return client.post("/signin", data=form, follow_redirects=False)


def test_password_is_stored_as_argon2id(console: tuple[TestClient, Platform, int]) -> None:
    _client, platform, account_id = console
    with platform.db.read() as conn:
        stored = conn.execute(
            select(tables.account_passwords.c.password_hash).where(
                tables.account_passwords.c.account_id == account_id
            )
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_sign_in_sets_a_private_session_cookie(console: tuple[TestClient, Platform, int]) -> None:
    client, _platform, _id = console
    response = _sign_in(client)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/me/likes"  # type: ignore[attr-defined]
    cookie = response.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "plaudit_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP here; Secure when served over TLS
    page = client.get("/me/likes")
    assert page.status_code == 200
    assert "小明" in page.text


def test_wrong_password_is_refused_and_attempts_are_limited(
    console: tuple[TestClient, Platform, int],
) -> None:
    client, _platform, _id = console
    for _ in range(5):
        refused = _sign_in(client, "not the password")
        assert refused.status_code == 401  # type: ignore[attr-defined]
    limited = _sign_in(client)  # even the right password waits now
    assert limited.status_code == 429  # type: ignore[attr-defined]
    assert "plaudit_session" not in limited.headers.get("set-cookie", "")  # type: ignore[attr-defined]


def test_a_form_without_its_csrf_token_is_refused(
    console: tuple[TestClient, Platform, int],
) -> None:
    client, _platform, _id = console
    _csrf(client)  # the pre-sign-in token cookie exists, but the form does not carry it
    response = client.post("/signin", data={"handle": "ming", "password": PASSWORD})
    assert response.status_code == 422
    assert "security token" in response.text
    _sign_in(client)
    assert client.post("/settings/tokens", data={"csrf": "forged"}).status_code == 422


def test_sign_out_everywhere_ends_every_session(
    console: tuple[TestClient, Platform, int], backend_settings: Settings
) -> None:
    client, _platform, _id = console
    _sign_in(client)
    with TestClient(client.app) as other:
        _sign_in(other)
        assert other.get("/settings").status_code == 200
        client.post("/signout", data={"csrf": _csrf(client, "/settings"), "everywhere": "1"})
        assert (
            other.get("/settings", follow_redirects=False).headers["location"].startswith("/signin")
        )


def test_next_never_leaves_the_site(console: tuple[TestClient, Platform, int]) -> None:
    client, _platform, _id = console
    for target in (
        "//evil.example/x",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\\evil.example/x",
        "/\t/evil.example/x",
    ):
        response = _sign_in(client, next_=target)
        assert response.headers["location"] == "/me/likes"  # type: ignore[attr-defined]


def test_language_switch_returns_to_the_same_page_with_its_query(
    console: tuple[TestClient, Platform, int],
) -> None:
    """A person switching language halfway through a form (the OAuth consent page, a search)
    lands on the same request, not on its bare path."""
    client, _platform, _id = console
    page = client.get("/signin?next=/me/likes%3Fpage%3D2")
    found = re.search(r'name="next" value="([^"]+)"', page.text.split('action="/lang"')[1])
    assert found is not None
    target = found.group(1).replace("&amp;", "&")
    response = client.post(
        "/lang",
        data={"csrf": _csrf(client), "to": "en", "next": target},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/signin?next=/me/likes%3Fpage%3D2"
    assert "plaudit_lang=en" in response.headers["set-cookie"]


def test_api_errors_stay_problem_json(console: tuple[TestClient, Platform, int]) -> None:
    client, _platform, _id = console
    response = client.get("/v1/videos/999999")
    assert response.headers["content-type"].startswith("application/problem+json")
    page = client.get("/videos/999999")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


def test_token_made_on_the_settings_page_works_until_revoked(
    console: tuple[TestClient, Platform, int],
) -> None:
    client, _platform, _id = console
    _sign_in(client)
    made = client.post("/settings/tokens", data={"csrf": _csrf(client, "/settings")})
    token = re.search(r"(pl_[A-Za-z0-9_-]+)", made.text)
    assert token is not None
    token_id = re.findall(r"/settings/tokens/(\d+)/revoke", made.text)[0]
    client.post(f"/settings/tokens/{token_id}/revoke", data={"csrf": _csrf(client, "/settings")})
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {token.group(1)}"})
    assert me.status_code == 401
