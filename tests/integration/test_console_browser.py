"""The web console clicked through in Chromium, in Chinese and English, against a live
`plaudit serve` on a demo community (tests/integration/browser.py for the page checks)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Connection

from plaudit.config import Settings, load_settings
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community
from plaudit.web import read_demo_signins
from tests.integration.browser import Browser, chromium_or_skip, open_browser
from tests.integration.server import running_server

pytestmark = pytest.mark.slow

SMALL = CommunitySize("console", accounts=1500, creators=20, videos=80, interactions=12000, days=30)
PASSWORD: dict[str, tuple[str, str]] = {}  # role -> (handle, password), from the demo's file
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
        PASSWORD.update(
            {s.role: (s.handle, s.password) for s in read_demo_signins(settings.data_path)}
        )
        _coupon_task_for_the_fan(platform)
        _revoke_a_like_of_the_fan(platform)
        _experiment_of_the_creator(platform)
        _analyst_and_appeals(platform)
        refresh_index(platform.db, settings.data_path)  # the fan's new profile is in segments
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


def _coupon_task_for_the_fan(platform: Platform) -> None:
    """A running like-to-get-coupon task whose segment (women) holds the demo fan."""
    from plaudit.campaigns.model import CampaignSpec

    brand = platform.accounts.create("console-brand", "brand")[0].id
    fan = _id(platform, "demo-fan")
    creator = _id(platform, "demo-creator")
    platform.accounts.update_profile(fan, {"gender": "female", "consent_targeting": True})
    organisation = platform.campaigns.create_organisation(brand, "控制台测试品牌")
    video = platform.videos.page(None, 1, creator_id=creator)[0].id
    now = datetime.now(UTC)
    spec = CampaignSpec(
        name="点赞即领券 Console coupon",
        task="coupon",
        segment="gender = female",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=7),
        budget_fen=100_000,
        reward_fen=500,
        video_ids=(video,),
    )
    platform.campaigns.create_campaign(brand, organisation.id, spec)


def _revoke_a_like_of_the_fan(platform: Platform) -> None:
    """An operator's verdict revoking the fan's newest like (as the authenticity tests do)."""
    from plaudit.store import authenticity as authenticity_sql
    from plaudit.store import utcnow

    fan = _id(platform, "demo-fan")
    like = platform.interactions.likes_of(fan, None, 1)[0]

    def op(conn: Connection) -> None:
        verdict = authenticity_sql.insert_verdict(conn, None, "operator", 1.0, "{}", utcnow())
        authenticity_sql.revoke(conn, verdict, [(like.id, fan, like.video_id)], utcnow())

    platform.db.write(op)


def _experiment_of_the_creator(platform: Platform) -> None:
    """A running creator-level experiment over every creator, all exposed."""
    owner = _id(platform, "demo-creator")
    now = datetime.now(UTC)
    windows = (now - timedelta(days=20), now - timedelta(days=10), now + timedelta(days=10))
    experiment = platform.experiments.create(
        owner, "封面实验 Cover test", "creator", "likes_received", ["control", "new"], windows
    )
    for video in platform.videos.page(None, 1000):
        platform.experiments.assign(experiment.id, video.creator_id, expose=True)


ANALYST = ("console-analyst", "plaudit-analyst-1")


def _analyst_and_appeals(platform: Platform) -> None:
    """An analyst in the demo brand's organisation, and one open appeal per language for the
    operator (two fans whose newest like a verdict revoked, each appealing)."""
    from plaudit.store import authenticity as authenticity_sql
    from plaudit.store import console as console_sql
    from plaudit.store import utcnow
    from plaudit.web.signin import SignIns

    owner = _id(platform, "demo-brand")
    analyst = platform.accounts.create(ANALYST[0], "brand")[0].id
    with platform.db.read() as conn:
        organisation = console_sql.organisations_of(conn, owner)[0].id
    platform.campaigns.set_member(owner, organisation, analyst, "analyst")
    SignIns(platform.db).set_password(analyst, ANALYST[1])
    fans = [a for a in map(platform.accounts.get, range(1, 300)) if a.kind == "fan"]
    appealed = 0
    for fan in fans:
        if fan.handle == "demo-fan" or appealed == len(LANGS):
            continue
        likes = platform.interactions.likes_of(fan.id, None, 1)
        if not likes:
            continue
        like = likes[0]

        def op(conn: Connection, like: Any = like) -> int:
            verdict = authenticity_sql.insert_verdict(conn, None, "operator", 1.0, "{}", utcnow())
            authenticity_sql.revoke(
                conn, verdict, [(like.id, like.account_id, like.video_id)], utcnow()
            )
            return int(verdict)

        verdict_id = platform.db.write(op)
        platform.authenticity.appeal(verdict_id, fan.id, "我自己点的赞 I liked it myself")
        appealed += 1


def _id(platform: Platform, handle: str) -> int:
    from plaudit.store import catalog

    with platform.db.read() as conn:
        row = catalog.account_by_handle(conn, handle)
    assert row is not None
    return int(row.id)


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


def test_fan_tasks_rewards_privacy_and_export(browser: Browser, tmp_path: Path) -> None:
    browser.sign_in(*PASSWORD["fan"])
    page = browser.goto("/me/tasks")
    row = page.locator("tbody tr", has_text="Console coupon")
    if row.locator("button").count():  # the fan opts in once (the server lives for the module)
        row.locator("button").click()
        page.wait_for_load_state("networkidle")
    taking_part = {"zh": "已参加", "en": "Taking part"}[browser.lang]
    assert taking_part in page.locator("tbody tr", has_text="Console coupon").inner_text()
    browser.check("my-tasks")
    browser.goto("/me/rewards")
    browser.check("my-rewards")
    page = browser.goto("/me/revoked")
    form = page.locator("form[action$='/appeal']")
    if form.count():  # the fan appeals once (the server lives for the module)
        form.locator("textarea").fill("我自己点的赞 / I liked it myself")
        form.locator("button").click()
        page.wait_for_load_state("networkidle")
    waiting = {"zh": "等待审核", "en": "waiting for review"}[browser.lang]
    assert waiting in page.locator("[data-testid=appeal-status]").inner_text()
    browser.check("my-revoked")
    page = browser.goto("/me/privacy")
    box = page.locator("#consent_personalisation")
    was = box.is_checked()
    box.set_checked(not was)
    page.locator("main form button").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#consent_personalisation").is_checked() is (not was)
    assert page.locator("[role=status]").count() == 1
    browser.check("privacy")
    with page.expect_download() as download:
        page.locator("a[href='/me/export.json']").click()
    saved = tmp_path / "export.json"
    download.value.save_as(saved)
    exported = json.loads(saved.read_text())
    assert exported["account"]["handle"] == "demo-fan"
    assert exported["profile"]["consent_personalisation"] is (not was)
    assert len(exported["likes"]) >= 1


def test_creator_dashboard_charts_and_language_switch(browser: Browser) -> None:
    browser.sign_in(*PASSWORD["creator"])
    page = browser.page
    assert page.url.endswith("/creator"), page.url
    assert not browser.problems, browser.problems
    # growth, hours, TGI: ECharts draws each chart on its own, so wait for all three
    page.wait_for_function("document.querySelectorAll('figure[data-chart] .chart svg').length >= 3")
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


def test_creator_inbox_bulk_approval_revocations_and_fund(browser: Browser) -> None:
    browser.sign_in(*PASSWORD["creator"])
    page = browser.goto("/creator/inbox")
    boxes = page.locator("input[name=ids]")
    assert boxes.count() >= 2
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.locator("main form button").click()
    page.wait_for_load_state("networkidle")
    posted = {"zh": "已发布", "en": "posted"}[browser.lang]
    assert page.locator("[data-testid=results] li").count() == 2
    assert page.locator("[data-testid=results]").inner_text().count(posted) == 2
    browser.check("inbox")
    browser.goto("/creator/revocations")
    browser.check("revocations")
    browser.goto("/creator/fund")
    browser.check("fund")
    page = browser.goto("/creator/experiments")
    report = page.locator("[data-testid=experiment-report]")
    assert report.count() == 1
    assert report.locator("tbody tr").count() == 1  # new vs control
    browser.check("experiments")


EXAMPLE = "city_tier in (new1, 1) and age in 25..35 and spend >= 5000 and gender = female"
# The seed's segment is a few dozen accounts in this small community, so its noised size may
# rightly fall under the floor (no insights, no campaign): the later steps use a wider one.
WIDER = "gender = female and age in 25..35"


def test_brand_segment_wizard_report_and_operator_appeal(browser: Browser) -> None:
    """Issue 12's flow: an analyst builds the seed's segment and sees its insights, the
    owner starts a coupon campaign through the wizard, the analyst reads its report; an
    operator reinstates an appealed like and sees the video's counts move."""
    browser.sign_in(*ANALYST)
    page = browser.page
    assert page.url.endswith("/brand")
    browser.goto("/brand/segments")
    box = page.locator("#expression")
    # a typo: the error names its column and the fix, as the user types (htmx)
    box.press_sequentially("city_tier in (1, new1) and gendre = female", delay=5)
    error = page.locator("[data-testid=segment-error]")
    error.wait_for()
    assert error.get_attribute("data-column") == "28"
    assert "did you mean 'gender'?" in error.inner_text()
    page.locator("[data-testid=apply-fix]").click()
    page.wait_for_load_state("networkidle")
    assert box.input_value() == "city_tier in (1, new1) and gender = female"
    # the pickers write the seed's segment; its private size follows
    box.fill("")
    page.select_option("#pick-tier", ["new1", "1"])
    page.fill("#pick-age-from", "25")
    page.fill("#pick-age-to", "35")
    page.select_option("#pick-spend", "5000")
    page.select_option("#pick-gender", "female")
    page.locator("#pick-add").click()
    assert box.input_value() == EXAMPLE
    size = page.locator("[data-testid=segment-size] [data-count]")
    size.wait_for()
    shown = size.get_attribute("data-count") or ""
    assert shown.startswith("<") or int(shown) >= 10, shown
    browser.check("segment-builder")
    with page.expect_response(lambda answer: "/brand/segments/size" in answer.url):
        box.fill(WIDER)  # its size comes as you type: let it arrive before leaving the page
    page.locator("button[name=insights]").click()
    page.wait_for_load_state("networkidle")
    # ECharts draws after the page settles: wait for the first TGI chart, not a fixed instant
    page.wait_for_selector("figure[data-chart=bar] svg", state="attached")
    browser.check("segment-insights")
    # the owner starts a coupon campaign for it through the wizard
    browser.context.clear_cookies()
    browser.sign_in(*PASSWORD["brand"])
    browser.goto("/brand/segments?expression=" + WIDER.replace(" ", "+"))
    page.locator("[data-testid=start-campaign]").click()
    name = f"冬季新品券 Winter coupon {browser.lang}"
    page.fill("#name", name)
    page.locator("#wizard button[name=next]").click()
    assert page.locator("#wizard").get_attribute("data-step") == "audience"
    assert page.locator("#segment").input_value() == WIDER
    browser.expected_status = {422}
    page.fill("#video_ids", "1 x")
    page.locator("#wizard button[name=next]").click()
    assert "videos" in page.locator("[data-testid=wizard-error]").inner_text()
    page.fill("#video_ids", "1 2")
    page.locator("#wizard button[name=next]").click()
    page.fill("#reward", "5")
    page.fill("#budget", "12.345")
    page.locator("#wizard button[name=next]").click()
    assert "budget" in page.locator("[data-testid=wizard-error]").inner_text()
    page.fill("#budget", "1000")
    page.locator("#wizard button[name=next]").click()
    assert page.locator("#wizard").get_attribute("data-step") == "preview"
    assert name in page.locator("[data-testid=fan-preview]").inner_text()
    assert page.locator("[data-testid=disclosure-preview]").count() == 1
    browser.expected_status = set()
    browser.problems.clear()
    browser.check("campaign-wizard")
    page.locator("#wizard button[name=next]").click()
    page.wait_for_load_state("networkidle")
    assert "/brand/campaigns/" in page.url
    # later the analyst reads its report and downloads the CSV
    browser.context.clear_cookies()
    browser.sign_in(*ANALYST)
    page.locator("a", has_text=name).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == name
    assert page.locator("[data-testid=spent]").inner_text() == "¥0.00"
    assert page.locator("form[action$='/end']").count() == 0  # analysts read, never end
    with page.expect_download() as download:
        page.locator("a[download]").click()
    assert download.value.suggested_filename.endswith(".csv")
    browser.check("campaign-report")
    # an operator reinstates an appealed like; the video's authentic count goes up
    browser.context.clear_cookies()
    browser.sign_in(*PASSWORD["operator"])
    assert page.url.endswith("/operator/appeals")
    browser.check("operator-appeals")
    page.locator("[data-appeal] button[value=reinstate]").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=reinstated-count]").inner_text() == "1"
    row = page.locator("[data-testid=decided] tbody tr").first
    before = int(row.locator("[data-authentic-before]").get_attribute("data-authentic-before"))
    after = int(row.locator("[data-authentic-after]").get_attribute("data-authentic-after"))
    assert after == before + 1
    browser.check("operator-decided")


def test_brand_overlap_lookalike_members_and_redemption(browser: Browser) -> None:
    browser.sign_in(*PASSWORD["brand"])
    page = browser.goto("/brand/segments/overlap")
    page.fill("#e1", "gender = female")
    page.fill("#e2", "age in 25..35")
    page.locator("main form[method=get] button").click()
    page.wait_for_load_state("networkidle")
    page.wait_for_selector("figure[data-chart=bar] svg", state="attached")
    assert page.locator("figure[data-chart=bar] svg").count() == 1
    assert page.locator("figure tbody tr").count() == 3  # two sizes and their intersection
    browser.check("segment-overlap")
    page.fill("#la-expression", "gender = female and age in 25..35")
    page.fill("#la-size", "60")
    page.fill("#la-name", f"look_{browser.lang}")
    page.locator("form[action$='/lookalike'] button").click()
    page.wait_for_load_state("networkidle")
    assert (
        f"segment:look_{browser.lang}" in page.locator("[data-testid=lookalike-saved]").inner_text()
    )
    browser.check("lookalike")
    # the owner makes console-brand a manager of the organisation
    page = browser.goto("/brand")
    page.locator("main h2 a").first.click()
    page.wait_for_load_state("networkidle")
    page.fill("#member-handle", "console-brand")
    page.select_option("#member-role", "manager")
    page.locator("form[action$='/members'] button").click()
    page.wait_for_load_state("networkidle")
    manager = {"zh": "管理员", "en": "manager"}[browser.lang]
    assert manager in page.locator("tr[data-member=console-brand]").inner_text()
    browser.check("organisation")
    # a shop's staff type a code no coupon has: the page says so plainly
    page = browser.goto("/brand/redeem")
    page.fill("#code", "NOPE-0000")
    page.locator("main form button").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-answer]").get_attribute("data-answer") == "malformed"
    assert "20 letters" in page.locator("[data-answer]").inner_text()
    page.fill("#code", "ABCD-EFGH-2KLM-NPQR-STUV")
    page.locator("main form button").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-answer]").get_attribute("data-answer") == "unknown"
    browser.check("redeem")


def test_operator_verdict_settlement_fund_and_ledger_health(browser: Browser) -> None:
    browser.sign_in(*PASSWORD["operator"])
    page = browser.goto("/operator")
    assert int(page.locator("[data-testid=ledger-size]").inner_text().replace(",", "")) > 0
    assert page.locator("[data-testid=checkpoint]").inner_text().startswith("plaudit")
    page.locator("form[action='/operator/campaigns/settle'] button").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=settled]").count() == 1
    browser.check("operator")
    # a period over the last 30 days is created, then closed with its statements
    today = datetime.now(UTC).date()
    name = f"console-{browser.lang}"
    page.fill("#period-name", name)
    page.fill(
        "#period-starts", (today - timedelta(days=60 if browser.lang == "zh" else 90)).isoformat()
    )
    page.fill(
        "#period-ends", (today - timedelta(days=31 if browser.lang == "zh" else 61)).isoformat()
    )
    page.fill("#period-pool", "10000")
    page.locator("form[action='/operator/fund/periods'] button").click()
    page.wait_for_load_state("networkidle")
    row = page.locator(f"tr[data-period={name}]")
    row.locator("button").click()
    page.wait_for_load_state("networkidle")
    assert name in page.locator("[data-testid=closed]").inner_text()
    browser.check("operator-fund")
    link = "main h2 a[href^='/operator/verdicts/']"
    for status in ("open", "reinstated"):  # the other tests may have decided the appeals
        page = browser.goto(f"/operator/appeals?status={status}")
        if page.locator(link).count():
            break
    page.locator(link).first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=evidence]").count() == 1
    browser.check("operator-verdict")
