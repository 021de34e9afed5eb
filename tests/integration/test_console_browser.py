"""The web console clicked through in Chromium, in Chinese and English, against a live
`plaudit serve` on a demo community (tests/integration/browser.py for the page checks)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from plaudit.config import Settings, load_settings
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community
from plaudit.web import DEMO_SIGNINS
from tests.integration.browser import Browser, chromium_or_skip, open_browser
from tests.integration.server import running_server

pytestmark = pytest.mark.slow

SMALL = CommunitySize("console", accounts=1500, creators=20, videos=80, interactions=12000, days=30)
PASSWORD = {s.role: (s.handle, s.password) for s in DEMO_SIGNINS}
LANGS = ["zh", "en"]


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    """A live server on a small demo community with the demo sign-ins and a checkpoint."""
    chromium_or_skip()
    data = tmp_path_factory.mktemp("console")
    # a small community: a privacy floor of 10 lets its fan composition show
    settings = load_settings(flags={"data_dir": str(data / "data")}, env={}).with_values(
        privacy_k=10
    )
    platform = Platform(settings).open()
    try:
        load_community(platform.db, SMALL, seed=3, end=datetime.now(UTC), show_progress=False)
        from plaudit.persona.refresh import refresh_index
        from plaudit.web import create_demo_signins

        refresh_index(platform.db, settings.data_path)
        create_demo_signins(platform)
    finally:
        platform.close()
    old = os.environ.get("PLAUDIT_PRIVACY_K")
    os.environ["PLAUDIT_PRIVACY_K"] = "10"  # the server's floor, as the refresh's above
    try:
        with running_server(settings, data / "server.log") as base:
            _wait_for_checkpoint(base)
            yield base, settings
    finally:
        os.environ.pop("PLAUDIT_PRIVACY_K", None)
        if old is not None:
            os.environ["PLAUDIT_PRIVACY_K"] = old


def _wait_for_checkpoint(base: str) -> None:
    import time

    for _ in range(100):
        if httpx.get(base + "/ledger/checkpoint").status_code == 200:
            return
        time.sleep(0.2)
    raise AssertionError("the server signed no checkpoint")


@pytest.fixture(params=LANGS)
def browser(
    request: pytest.FixtureRequest, console: tuple[str, Settings], tmp_path: Path
) -> Iterator[Browser]:
    with open_browser(console[0], request.param, tmp_path / "profile") as opened:
        yield opened


def _heading(browser: Browser) -> str:
    return str(browser.page.locator("h1").first.inner_text())


def test_public_pages_and_audit(browser: Browser) -> None:
    page = browser.goto("/")
    assert (
        _heading(browser)
        == {
            "zh": "每个点赞都真实、可验证、有价值",
            "en": "Every like real, verifiable and worth something",
        }[browser.lang]
    )
    assert page.locator("[data-testid=checkpoint]").inner_text().startswith("plaudit")
    assert page.locator("html").get_attribute("lang") == {"zh": "zh-CN", "en": "en"}[browser.lang]
    browser.check("home")
    page.locator("a[href='/ledger-audit']").first.click()
    page.locator("#consistency-form button").click()
    page.wait_for_selector("#consistency-result[data-verdict]")
    result = page.locator("#consistency-result")
    assert result.get_attribute("data-verdict") == "valid", result.inner_text()
    browser.check("audit")
    page.fill("#index", "3")
    page.locator("form[action='/ledger-audit/entries'] button").click()
    assert page.locator("main table").count() == 1
    browser.check("entry")
    browser.goto("/videos/1")
    assert page.locator("[data-count=authentic]").inner_text()
    browser.check("video")
    page.locator("main a[href^='/creators/']").first.click()
    assert page.locator("table tbody tr").count() >= 1
    browser.check("creator-public")


def test_fan_verifies_a_receipt_in_the_browser(browser: Browser, tmp_path: Path) -> None:
    browser.sign_in(*PASSWORD["fan"])
    page = browser.page
    assert page.url.endswith("/me/likes")
    browser.check("my-likes")
    page.locator("a[href$='/verify']").first.click()
    page.wait_for_load_state("networkidle")
    # the check runs in the page: no request may reach the server while it runs
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.locator("#verify-form button").click()
    page.wait_for_selector("#verify-result[data-verdict]")
    assert page.locator("#verify-result").get_attribute("data-verdict") == "valid"
    assert requests == []
    browser.check("verify")
    # a tampered receipt (one proof hash changed) is rejected by the same page
    text = page.locator("#receipt").input_value()
    lines = text.split("\n")
    lines[3] = ("A" if lines[3][0] != "A" else "B") + lines[3][1:]
    page.fill("#receipt", "\n".join(lines))
    page.locator("#verify-form button").click()
    page.wait_for_selector("#verify-result li.bad")
    assert page.locator("#verify-result").get_attribute("data-verdict") == "invalid"
    # the downloaded file verifies offline with the CLI
    with page.expect_download() as download:
        page.locator("main a[download]").first.click()
    saved = tmp_path / "like.tlog-proof"
    download.value.save_as(saved)
    vkey = page.locator("#vkey").input_value()
    result = subprocess.run(
        [sys.executable, "-m", "plaudit", "ledger", "verify", str(saved), "--vkey", vkey],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_creator_dashboard_charts_and_language_switch(browser: Browser) -> None:
    browser.sign_in(*PASSWORD["creator"])
    page = browser.page
    assert page.url.endswith("/creator"), page.url
    assert not browser.problems, browser.problems
    page.wait_for_selector("figure[data-chart] .chart svg", state="attached")
    assert page.locator("figure[data-chart] .chart svg").count() >= 3  # growth, hours, TGI
    assert page.locator("figure[data-chart=heatmap]").count() == 1
    browser.check("dashboard")
    other = "en" if browser.lang == "zh" else "zh"
    page.locator(f"header button[value={other}]").click()
    page.wait_for_load_state("networkidle")
    assert _heading(browser) == {"zh": "创作者中心", "en": "Creator centre"}[other]
    page.wait_for_selector("figure[data-chart] .chart svg", state="attached")
    assert not browser.problems, browser.problems


def test_settings_tokens_and_sign_out_everywhere(browser: Browser) -> None:
    browser.sign_in(*PASSWORD["brand"])
    page = browser.goto("/settings")
    page.locator("form[action='/settings/tokens'] button").click()
    token = page.locator("[data-testid=new-token]").inner_text().strip()
    browser.check("settings")
    me = httpx.get(browser.base + "/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["handle"] == "demo-brand"
    page.locator("form[action='/settings/tokens'] button").click()  # a second, never used
    second = page.locator("[data-testid=new-token]").inner_text().strip()
    page.locator("form[action$='/revoke'] button").first.click()  # the newest: the second
    assert page.locator("tbody tr").first.inner_text().count("#") == 1
    revoked = httpx.get(browser.base + "/v1/me", headers={"Authorization": f"Bearer {second}"})
    assert revoked.status_code == 401
    page.locator("main form[action='/signout'] button").click()
    page.wait_for_load_state("networkidle")
    browser.expected_status.add(303)
    browser.goto("/settings")
    assert "/signin" in page.url
