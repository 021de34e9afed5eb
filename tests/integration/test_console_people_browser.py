"""A person's own console pages clicked through in Chromium, in Chinese and English: passkeys
(WebAuthn, with Chromium's virtual authenticator over CDP), deleting one's account, and the
creator's engagement plan, quality scores and 30-day dashboard.

The server is opened at http://localhost:PORT: a passkey belongs to a domain name (the default
`passkey_rp_id` is localhost), never to an IP address.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from plaudit.config import Settings, load_settings
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community
from plaudit.web import create_demo_signins, read_demo_signins
from plaudit.web.signin import SignIns
from tests.integration.browser import Browser, chromium_or_skip, open_browser
from tests.integration.server import running_server

pytestmark = pytest.mark.slow

SMALL = CommunitySize("people", accounts=1200, creators=15, videos=60, interactions=9000, days=40)
LANGS = ["zh", "en"]
SIGNINS: dict[str, tuple[str, str]] = {}  # role -> (handle, password), from demo-signins.txt
PEOPLE: dict[str, tuple[str, str, str]] = {}  # "passkey-zh" -> (handle, password, API token)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    """A live server on a small demo community, with per-language people for the tests that
    change their account (passkeys, deletion)."""
    chromium_or_skip()
    data = tmp_path_factory.mktemp("people")
    settings = load_settings(flags={"data_dir": str(data / "data")}, env={}).with_values(
        privacy_k=10
    )
    # rewards released at once in the set-up (no scan), as a finished scan would release them
    platform = Platform(settings.with_values(reward_hold="none")).open()
    try:
        load_community(platform.db, SMALL, seed=5, end=datetime.now(UTC), show_progress=False)
        from plaudit.persona.refresh import refresh_index

        signins = SignIns(platform.db)
        for lang in LANGS:
            for purpose in ("passkey", "leaving", "reward"):
                handle = f"{purpose}-{lang}"
                account, token = platform.accounts.create(handle, "fan", f"{purpose} {lang}")
                password = f"{handle}-password-1"
                signins.set_password(account.id, password)
                PEOPLE[handle] = (handle, password, token)
                profile = {"gender": "female", "consent_targeting": True}
                platform.accounts.update_profile(account.id, profile)
        refresh_index(platform.db, settings.data_path)
        path = create_demo_signins(platform)
        SIGNINS.update({s.role: (s.handle, s.password) for s in read_demo_signins(path.parent)})
        _released_coupons(platform, [f"reward-{lang}" for lang in LANGS])
    finally:
        platform.close()
    with running_server(settings, data / "server.log") as base:
        yield base.replace("127.0.0.1", "localhost"), settings


def _released_coupons(platform: Platform, handles: list[str]) -> None:
    """A coupon task (women, one like of a demo creator's video) that these fans completed,
    with their rewards released."""
    from plaudit.campaigns.model import CampaignSpec
    from plaudit.store import catalog

    def account_id(handle: str) -> int:
        with platform.db.read() as conn:
            row = catalog.account_by_handle(conn, handle)
        assert row is not None
        return int(row.id)

    brand = platform.accounts.create("people-brand", "brand")[0].id
    organisation = platform.campaigns.create_organisation(brand, "控制台测试品牌 People")
    creator = account_id("demo-creator")
    video = platform.videos.page(None, 1, creator_id=creator)[0].id
    now = datetime.now(UTC)
    spec = CampaignSpec(
        name="点赞即领券 Coupon",
        task="coupon",
        segment="gender = female",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=7),
        budget_fen=100_000,
        reward_fen=500,
        video_ids=(video,),
    )
    campaign = platform.campaigns.create_campaign(brand, organisation.id, spec)
    for handle in handles:
        fan = account_id(handle)
        platform.campaigns.opt_in(fan, campaign.id)
        platform.interactions.like_sync(fan, video, f"campaign:{campaign.id}")
    platform.campaigns.settle()
    for handle in handles:
        assert len(platform.campaigns.rewards_of(account_id(handle))) == 1


@pytest.fixture(params=LANGS)
def browser(
    request: pytest.FixtureRequest, console: tuple[str, Settings], tmp_path: Path
) -> Iterator[Browser]:
    with open_browser(console[0], request.param, tmp_path / "profile") as opened:
        yield opened


def _authenticator(browser: Browser) -> tuple[Any, str]:
    """A CTAP2 platform authenticator with resident keys and user verification, as a phone
    or laptop with a screen lock has (Chromium's virtual authenticator, over CDP)."""
    cdp = browser.context.new_cdp_session(browser.page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    made = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return cdp, made["authenticatorId"]


def _passkey_sign_in(browser: Browser) -> Any:
    page = browser.goto("/signin")
    page.locator("#passkey-signin button").click()
    return page


def test_passkey_add_sign_in_clone_refused_and_remove(browser: Browser) -> None:
    handle, password, _token = PEOPLE[f"passkey-{browser.lang}"]
    cdp, authenticator = _authenticator(browser)
    browser.sign_in(handle, password)
    page = browser.goto("/settings")
    assert page.locator("[data-testid=passkeys] tbody tr[data-passkey]").count() == 0
    name = f"笔记本 Laptop {browser.lang}"
    page.fill("#passkey-name", name)
    page.locator("#passkey-add button").click()
    page.wait_for_url("**/settings?passkey=added")
    rows = page.locator("[data-testid=passkeys] tbody tr[data-passkey]")
    assert rows.count() == 1
    assert name in rows.first.inner_text()
    browser.check("settings-passkeys")
    # signed out, the passkey alone signs in: no handle, no password
    browser.context.clear_cookies()
    page = browser.goto("/signin")
    # a newcomer on this machine is told where the demo's passwords are
    assert "demo-signins.txt" in page.locator("[data-testid=demo-hint]").inner_text()
    browser.check("signin")
    page.locator("#passkey-signin button").click()
    page.wait_for_url("**/me/likes")
    assert f"{handle.split('-')[0]} {browser.lang}" in page.locator("header .who").inner_text()
    page = browser.goto("/settings")
    never = {"zh": "从未", "en": "Never"}[browser.lang]
    assert never not in page.locator("tr[data-passkey]").first.inner_text()  # last used: now
    # a copy of the key whose counter lags the original's (a cloned authenticator) is refused
    found = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(found) == 1
    assert found[0]["signCount"] >= 1
    clone = {**found[0], "signCount": found[0]["signCount"] - 1}
    cdp.send(
        "WebAuthn.removeCredential",
        {"authenticatorId": authenticator, "credentialId": clone["credentialId"]},
    )
    cdp.send("WebAuthn.addCredential", {"authenticatorId": authenticator, "credential": clone})
    browser.context.clear_cookies()
    browser.expected_status = {401}
    page = _passkey_sign_in(browser)
    page.wait_for_selector("#passkey-signin[data-state=failed]")
    refusal = page.locator("#passkey-result").inner_text()
    assert "cloned authenticator" in refusal, refusal
    assert "/signin" in page.url
    browser.problems.clear()  # the 401 and the console's note of it were expected
    # with the password, the person removes the passkey; it then signs nobody in
    browser.expected_status = set()
    browser.sign_in(handle, password)
    page = browser.goto("/settings")
    page.locator("tr[data-passkey] form button").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("tr[data-passkey]").count() == 0
    browser.check("settings-passkey-removed")
    browser.context.clear_cookies()
    browser.expected_status = {401}
    page = _passkey_sign_in(browser)
    page.wait_for_selector("#passkey-signin[data-state=failed]")
    assert "not registered here" in page.locator("#passkey-result").inner_text()
    browser.problems.clear()


def test_delete_my_account_after_typing_my_handle(browser: Browser) -> None:
    handle, password, token = PEOPLE[f"leaving-{browser.lang}"]
    me = httpx.get(browser.base + "/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    browser.sign_in(handle, password)
    page = browser.goto("/me/privacy")
    page.locator("main a[href='/me/delete']").click()
    page.wait_for_load_state("networkidle")
    browser.check("delete-account")
    # a wrong handle deletes nothing and says why
    browser.expected_status = {422}
    page.fill("#confirm", handle + "x")
    page.locator("main form button").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=delete-problem]").count() == 1
    browser.problems.clear()
    browser.expected_status = set()
    assert httpx.get(
        browser.base + "/v1/me", headers={"Authorization": f"Bearer {token}"}
    ).is_success
    page.fill("#confirm", handle)
    page.locator("main form button").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=deleted]").count() == 1
    browser.check("account-deleted")
    # the same service as DELETE /v1/me ran: tokens revoked, sessions and password gone
    gone = httpx.get(browser.base + "/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401
    browser.expected_status = {303, 401}
    browser.goto("/settings")
    assert "/signin" in page.url
    browser.sign_in(handle, password)
    assert "/signin" in page.url  # the password no longer opens anything
    browser.problems.clear()


def test_creator_plan_quality_and_30_day_dashboard(browser: Browser) -> None:
    browser.sign_in(*SIGNINS["creator"])
    page = browser.page
    assert page.url.endswith("/creator"), page.url
    page.wait_for_selector("figure[data-chart] .chart svg", state="attached")
    # the window is the last 30 days: 31 China days at most in the per-day table, ending today
    days = page.locator("figure[data-chart=line]").first.locator("tbody tr")
    assert 30 <= days.count() <= 31
    likes = int(page.locator("[data-testid=window-likes]").inner_text().replace(",", ""))
    per_day = sum(
        int(days.nth(i).locator("td").nth(1).text_content() or "0") for i in range(days.count())
    )
    assert likes == per_day > 0
    assert page.locator("[data-testid=top-videos] tbody tr").count() >= 1
    browser.check("dashboard-30-days")
    # the engagement plan: hours, fans with their reasons, what resonates, audiences
    page.locator("main nav a[href='/creator/plan']").click()
    page.wait_for_load_state("networkidle")
    assert (
        page.locator("h1").inner_text() == {"zh": "互动计划", "en": "Engagement plan"}[browser.lang]
    )
    assert page.locator("[data-testid=plan-fans] tbody tr").count() >= 1
    hours = page.locator("[data-testid=posting-hours]").inner_text()
    assert {"zh": "北京时间", "en": "China time"}[browser.lang] in hours
    page.wait_for_selector("figure[data-chart] .chart svg", state="attached")
    assert page.locator("figure[data-chart] .chart svg").count() >= 1
    browser.check("plan")
    # quality scores of my videos, highest first, as the public API computes them
    page.locator("main nav a[href='/creator/quality']").click()
    page.wait_for_load_state("networkidle")
    rows = page.locator("[data-testid=quality] tbody tr[data-video]")
    assert rows.count() >= 1
    first = rows.first
    video = first.get_attribute("data-video")
    shown = float(first.locator("[data-score]").get_attribute("data-score") or "nan")
    api = httpx.get(f"{browser.base}/v1/videos/{video}/quality").json()
    assert shown == api["score"]
    scores = [float(rows.nth(i).locator("[data-score]").get_attribute("data-score") or 0)
              for i in range(rows.count())]  # fmt: skip
    assert scores == sorted(scores, reverse=True)
    page.wait_for_selector("figure[data-chart=bar] .chart svg", state="attached")
    assert page.locator("figure[data-chart=bar] .chart svg").count() == 1
    browser.check("quality")
    # the footer links the transparency reports from every page
    page.locator("footer a[href='/transparency']").click()
    page.wait_for_load_state("networkidle")
    assert "/transparency" in page.url


def test_fan_reveals_a_coupon_once(browser: Browser) -> None:
    handle, password, _token = PEOPLE[f"reward-{browser.lang}"]
    browser.sign_in(handle, password)
    page = browser.goto("/me/rewards")
    reveal = page.locator("form[action$='/reveal'] button")
    assert reveal.count() == 1
    browser.check("my-rewards-coupon")
    reveal.click()
    page.wait_for_load_state("networkidle")
    code = page.locator("[data-testid=coupon]").inner_text()
    assert len(code.replace("-", "")) == 20, code
    browser.check("my-rewards-revealed")
    # shown once: the page never shows it again, and the button is gone
    page = browser.goto("/me/rewards")
    assert page.locator("[data-testid=coupon]").count() == 0
    assert page.locator("form[action$='/reveal']").count() == 0
    assert code not in page.content()


def test_keyboard_only_sign_in(browser: Browser) -> None:
    """The skip link comes first, and the sign-in form works from the keyboard alone."""
    handle, password = SIGNINS["fan"]
    page = browser.goto("/signin")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.focus("#handle")
    page.keyboard.type(handle)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/me/likes")
    browser.check("signed-in-by-keyboard")
