"""A third-party app completes the OAuth 2.0 flow in the browser: a creator signs in to a live
`plaudit serve` in Debian's Chromium, reads the consent page in Chinese or English, clicks
Allow, and the browser lands on the app's loopback redirect URI with a code, which the app
exchanges (with its PKCE verifier) for tokens that act for the creator within their scopes."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from plaudit.client import ApiError, Client, authorization_url
from plaudit.config import Settings, load_settings
from plaudit.platform import Platform
from plaudit.web.signin import SignIns
from tests.integration.browser import chromium_or_skip, open_browser
from tests.integration.server import free_port, running_server

pytestmark = pytest.mark.slow
PASSWORD = "creator-password-1"


class _Callback(BaseHTTPRequestHandler):
    """The app's redirect URI: remembers the query it was sent and thanks the person."""

    received: ClassVar[list[dict[str, list[str]]]] = []

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/callback":  # not the browser's own /favicon.ico
            type(self).received.append(parse_qs(parts.query))
        body = b"<!doctype html><html lang=en><title>App</title><main><h1>Connected</h1></main>"
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@dataclass
class Live:
    base: str
    client_id: str
    redirect_uri: str
    video_id: int
    creator_id: int


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    chromium_or_skip()
    data = tmp_path_factory.mktemp("oauth")
    settings: Settings = load_settings(flags={"data_dir": str(data / "data")}, env={})
    port = free_port()
    redirect_uri = f"http://127.0.0.1:{port}/callback"
    platform = Platform(settings).open()
    try:
        creator = platform.accounts.create("oauth-creator", "creator")[0].id
        SignIns(platform.db).set_password(creator, PASSWORD)
        developer = platform.accounts.create("app-developer", "creator")[0].id
        app, _ = platform.oauth.register(
            developer, "剪辑排期 Clip Scheduler", [redirect_uri], ["likes:write", "videos:read"]
        )
        video = platform.videos.publish(creator, "clip", "food", 30).id
    finally:
        platform.close()
    receiver = HTTPServer(("127.0.0.1", port), _Callback)
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    try:
        with running_server(settings, data / "server.log") as base:
            yield Live(base, app.client_id, redirect_uri, video, creator)
    finally:
        receiver.shutdown()
        receiver.server_close()


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_app_gets_a_creators_consent_in_the_browser(
    live: Live, lang: str, tmp_path: Path
) -> None:
    start = authorization_url(
        live.base, live.client_id, live.redirect_uri, ["likes:write", "videos:read"]
    )
    _Callback.received.clear()
    with open_browser(live.base, lang, tmp_path / "profile") as browser:
        page = browser.goto(start.url.removeprefix(live.base))
        page.wait_for_url("**/signin?next=**")  # not signed in: sign in, then come back
        page.fill("#handle", "oauth-creator")
        page.fill("#password", PASSWORD)
        page.locator("main form[action='/signin'] button").click()
        page.wait_for_url("**/oauth/authorize?**")
        asker = page.locator("[data-testid=asker]").inner_text()
        assert "剪辑排期 Clip Scheduler" in asker
        assert "@app-developer" in asker
        scopes = page.locator("[data-testid=scopes] li").all_inner_texts()
        expected = {
            "zh": ["以你的名义点赞和取消点赞", "查看你的视频"],
            "en": ["Like and unlike videos as you", "See your videos"],
        }[lang]
        assert all(any(e in s for s in scopes) for e in expected), scopes
        browser.check("oauth-consent")
        page.locator("[data-testid=allow]").click()
        page.wait_for_url(live.redirect_uri + "?**")
        assert page.locator("h1").inner_text() == "Connected"
    (sent,) = _Callback.received
    assert sent["state"] == [start.state]
    exchange = (live.client_id, sent["code"][0], live.redirect_uri, start.code_verifier)
    with Client(live.base) as app:  # the app's side, through plaudit.client
        tokens = app.exchange_code(*exchange)
    assert tokens.scope == "likes:write videos:read"
    with Client(live.base, tokens.access_token) as acting:
        liked = acting.like(live.video_id)
        assert liked.account_id == live.creator_id  # the app acts for the creator
        assert acting.rate_limit is not None
        with pytest.raises(ApiError) as outside:
            acting.me()
        assert outside.value.type == "missing-scope"
        assert outside.value.problem["scope"] == "profile:read"
    with Client(live.base) as app:
        fresh = app.refresh_tokens(live.client_id, tokens.refresh_token)
        app.revoke_token(live.client_id, fresh.refresh_token)
        with pytest.raises(ApiError) as replayed:  # a code works once
            app.exchange_code(*exchange)
        assert replayed.value.type == "invalid_grant"
    after = httpx.post(
        f"{live.base}/v1/videos/{live.video_id}/likes",
        headers={"Authorization": f"Bearer {fresh.access_token}"},
    )
    assert after.status_code == 401
