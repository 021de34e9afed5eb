"""Issue 12's remaining pages clicked through in Chromium, in Chinese and English, against a
live `plaudit serve`: the operator's authenticity, persona, fund and ledger pages (with their
background jobs), an organisation's API keys, the streak and donate wizards and the segment
builder's completion (tests/integration/browser.py for the checks every page gets)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from plaudit.config import Settings, load_settings
from plaudit.ledger.cosignature import CosignatureSigner, cosign_checkpoint
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community
from tests.integration.browser import Browser, chromium_or_skip, open_browser
from tests.integration.server import running_server
from tests.integration.signins import demo_signin

pytestmark = pytest.mark.slow

SMALL = CommunitySize(
    "operator", accounts=1500, creators=20, videos=80, interactions=12000, days=30
)
LANGS = ["zh", "en"]
FARM = (70, 15)  # bot accounts x videos they all like in lockstep
EAGER_LIKES = 25  # one new account liking this many videos in a minute: the rules hold some
WITNESS = CosignatureSigner("witness.console.example/w1", b"c" * 32)
ANALYST = ("operator-test-analyst", "plaudit-analyst-2")


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    """A live server on a small community with a farm found by a scan, likes held by the
    real-time rules, a closed fund period, an analyst, and a configured witness."""
    chromium_or_skip()
    data = tmp_path_factory.mktemp("operator-console")
    settings = load_settings(flags={"data_dir": str(data / "data")}, env={}).with_values(
        privacy_k=10
    )
    platform = Platform(settings).open()
    try:
        _community_with_a_farm(platform, settings)
        _held_likes(platform)
        _closed_period(platform)
        _analyst(platform)
    finally:
        platform.close()
    env = {"PLAUDIT_PRIVACY_K": "10", "PLAUDIT_LEDGER_WITNESSES": WITNESS.verifier().key_string}
    old = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        with running_server(settings, data / "server.log") as base:
            _cosign_latest_checkpoint(base)
            yield base, settings
    finally:
        for key, value in old.items():
            os.environ.pop(key, None)
            if value is not None:
                os.environ[key] = value


def _community_with_a_farm(platform: Platform, settings: Settings) -> None:
    """The community, and a lockstep farm of fresh accounts over its first videos (as the
    authenticity service's tests make one), found by a platform scan."""
    from plaudit.interactions import BulkItem, ingest_op
    from plaudit.web import create_demo_signins

    end = datetime.now(UTC)
    load_community(platform.db, SMALL, seed=5, end=end, show_progress=False)
    bots = [platform.accounts.create(f"operator-test-bot{i}")[0].id for i in range(FARM[0])]
    start = end - timedelta(days=2)
    items = [
        BulkItem("like", bot, video, start + timedelta(seconds=5 * i + j))
        for i, bot in enumerate(bots)
        for j, video in enumerate(range(1, FARM[1] + 1))
    ]
    assert all(r.status == "created" for r in platform.db.write(ingest_op(items, None)))
    create_demo_signins(platform)
    fans = _coupon_completed_by_two_fans(platform)
    report = platform.authenticity.scan()
    assert report.verdicts >= 1, report.line()
    assert platform.campaigns.settle().counts.get("released") == len(LANGS)
    for lang, fan in zip(LANGS, fans, strict=True):
        (reward,) = platform.campaigns.rewards_of(fan)
        CODES[lang] = platform.campaigns.reveal_coupon(fan, reward.id)
    platform.persona.refresh()


CODES: dict[str, str] = {}
"""A released coupon's code per language run, for the shop's staff to redeem."""


def _coupon_completed_by_two_fans(platform: Platform) -> list[int]:
    """The demo brand's coupon task (women), completed by two women: released at the next
    scan and settlement, each gives a code to redeem."""
    from plaudit.campaigns.model import CampaignSpec
    from plaudit.web.queries import ConsoleQueries

    owner = _id(platform, demo_signin("brand", platform.settings.data_path)[0])
    organisation = ConsoleQueries(platform.db).organisations_of(owner)[0][0]
    fans = [
        platform.accounts.create(f"operator-test-shopper-{lang}", "fan")[0].id for lang in LANGS
    ]
    for fan in fans:
        platform.accounts.update_profile(fan, {"gender": "female", "consent_targeting": True})
    platform.persona.refresh()
    now = datetime.now(UTC)
    video = platform.videos.page(None, 1)[0].id
    spec = CampaignSpec(
        name="到店券 Shop coupon",
        task="coupon",
        segment="gender = female",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=7),
        budget_fen=10_000,
        reward_fen=1_000,
        video_ids=(video,),
    )
    campaign = platform.campaigns.create_campaign(owner, organisation, spec)
    for fan in fans:
        platform.campaigns.opt_in(fan, campaign.id)
        platform.interactions.like_sync(fan, video, source=f"campaign:{campaign.id}")
    return fans


def _held_likes(platform: Platform) -> None:
    """A new account likes EAGER_LIKES videos at once: above the per-minute hold limit the
    real-time rules accept its likes but hold them (after the scan: they stay open)."""
    eager = platform.accounts.create("operator-test-eager", "fan")[0].id
    videos = platform.videos.page(None, EAGER_LIKES)
    held = [platform.interactions.like_sync(eager, v.id).held for v in videos]
    assert any(held), held


def _closed_period(platform: Platform) -> None:
    from plaudit.fund.rules import Rule

    now = datetime.now(UTC)
    period = platform.fund.create_period(
        "console-closed", now - timedelta(days=20), now - timedelta(days=10), 1_000_000, Rule()
    )
    platform.fund.close(period.id)


def _analyst(platform: Platform) -> None:
    from plaudit.web.queries import ConsoleQueries
    from plaudit.web.signin import SignIns

    owner = _id(platform, demo_signin("brand", platform.settings.data_path)[0])
    analyst = platform.accounts.create(ANALYST[0], "brand")[0].id
    organisation = ConsoleQueries(platform.db).organisations_of(owner)[0][0]
    platform.campaigns.set_member(owner, organisation, analyst, "analyst")
    SignIns(platform.db).set_password(analyst, ANALYST[1])


def _id(platform: Platform, handle: str) -> int:
    from plaudit.store import catalog

    with platform.db.read() as conn:
        row = catalog.account_by_handle(conn, handle)
    assert row is not None
    return int(row.id)


def _cosign_latest_checkpoint(base: str) -> None:
    """The configured witness cosigns the server's checkpoint, through the public API."""
    from plaudit.ledger.checkpoint import open_checkpoint
    from plaudit.ledger.keys import parse_verifier_key

    vkey = parse_verifier_key(httpx.get(base + "/ledger/vkey").text.strip())
    for _ in range(150):  # until the integrator has caught up with the loaded community
        note = httpx.get(base + "/ledger/checkpoint")
        if note.status_code == 200:
            checkpoint = open_checkpoint(note.text, [vkey])
            if checkpoint.size > 0:
                break
        time.sleep(0.2)
    else:
        raise AssertionError("the server signed no checkpoint of its entries")
    body = note.text + cosign_checkpoint(checkpoint, WITNESS).line
    answer = httpx.post(
        base + "/v1/ledger/cosignatures", content=body, headers={"Content-Type": "text/plain"}
    )
    assert answer.status_code == 200, answer.text


@pytest.fixture(params=LANGS)
def browser(
    request: pytest.FixtureRequest, console: tuple[str, Settings], tmp_path: Path
) -> Iterator[Browser]:
    with open_browser(console[0], request.param, tmp_path / "profile") as opened:
        yield opened


def _sign_in(browser: Browser, console: tuple[str, Settings], role: str) -> None:
    browser.sign_in(*demo_signin(role, console[1].data_path))


def _number(text: str) -> int:
    return int(text.replace(",", "").strip())


def _job_finishes(page: Any, kind: str) -> Any:
    """Wait for the job's panel to stop polling; it must have shown progress or a result."""
    panel = page.locator(f"[data-job={kind}]")
    page.wait_for_selector(f"[data-job={kind}][data-status=done]", timeout=120_000)
    return panel


def test_operator_authenticity_scans_verdict_block_revocations_and_rules(
    browser: Browser, console: tuple[str, Settings]
) -> None:
    _sign_in(browser, console, "operator")
    page = browser.goto("/operator/authenticity")
    scan = page.locator("[data-testid=scans] tbody tr[data-scan]").first
    cells = scan.locator("td")
    assert _number(cells.nth(4).inner_text()) >= 1  # verdicts
    assert _number(cells.nth(5).inner_text()) >= 30  # likes revoked: the farm's
    # the rules' settings beside their hold counts: the eager account's likes are held
    rule = page.locator("[data-testid=rules] tr[data-rule=account_velocity]")
    assert rule.locator("td").nth(3).inner_text().strip() == "20"  # hold above (default)
    assert rule.locator("td").nth(4).inner_text().strip() == "60"  # refused above (default)
    assert _number(rule.locator("[data-count=held]").inner_text()) >= 1
    assert _number(rule.locator("[data-count=open_now]").inner_text()) >= 1
    ip = page.locator("[data-testid=rules] tr[data-rule=ip_velocity]")
    assert (
        ip.locator("td").nth(4).inner_text().strip() == {"zh": "从不", "en": "never"}[browser.lang]
    )
    browser.check("operator-authenticity")
    # a scan's verdicts, then the farm's verdict drawn as its accounts x videos block
    scan.locator("a").click()
    page.wait_for_load_state("networkidle")
    verdicts = page.locator("[data-testid=verdicts] tbody tr")
    accounts = [
        _number(verdicts.nth(i).locator("td").nth(4).inner_text()) for i in range(verdicts.count())
    ]
    farm = next(i for i, n in enumerate(accounts) if n >= 20)  # the injected farm's verdict
    browser.check("operator-verdicts")
    verdicts.nth(farm).locator("a").click()
    page.wait_for_load_state("networkidle")
    page.wait_for_selector("figure[data-chart=heatmap] .chart svg", state="attached")
    assert "T" in page.locator("[data-testid=window]").inner_text()  # ISO times, UTC
    heatmap = page.locator("figure[data-chart=heatmap]")
    rows = heatmap.locator("tbody tr")
    assert rows.count() >= 10  # the farm's accounts, each with the videos it liked
    liked = _number(rows.first.locator("td").nth(1).text_content() or "")  # folded table
    assert liked >= 1
    page.wait_for_selector("figure[data-chart=bar] .chart svg", state="attached")
    assert page.locator("figure[data-chart=bar] .chart svg").count() == 1  # observed vs expected
    browser.check("operator-verdict-block")
    # every revocation, newest first, linking back to its verdict
    page = browser.goto("/operator/revocations")
    revoked = page.locator("[data-testid=revocations] tbody tr")
    assert revoked.count() >= 30
    assert revoked.first.locator("a[href^='/operator/verdicts/']").count() == 1
    browser.check("operator-revocations")


def _like_through_the_api(base: str, handle: str) -> None:
    made = httpx.post(base + "/v1/accounts", json={"handle": handle, "kind": "fan"})
    assert made.status_code == 201, made.text
    auth = {"Authorization": f"Bearer {made.json()['token']}"}
    assert httpx.post(base + "/v1/videos/1/likes", headers=auth).status_code in (200, 201)


def test_operator_persona_refresh_progress_and_exact_count_log(
    browser: Browser, console: tuple[str, Settings]
) -> None:
    _like_through_the_api(browser.base, f"persona-fan-{browser.lang}")  # the index lags it
    _sign_in(browser, console, "operator")
    page = browser.goto("/operator/persona")
    before = page.locator("[data-testid=as-of]").get_attribute("data-as-of") or ""
    assert _number(page.locator("[data-testid=events-behind]").inner_text()) >= 1
    browser.check("operator-persona")
    # a refresh runs in the background; the page polls its progress until it is done
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/operator/jobs/" in r.url else None)
    page.locator("[data-testid=refresh]").click()
    panel = _job_finishes(page, "persona-refresh")
    assert any(url.endswith("/operator/jobs/persona-refresh") for url in polls)
    said = {"zh": "个账户同意定向", "en": "accounts with targeting consent"}[browser.lang]
    assert said in panel.locator("[data-testid=job-summary]").inner_text()  # the page's language
    assert "accounts with targeting consent" in (
        panel.locator("[data-testid=job-lines]").text_content() or ""
    )
    page = browser.goto("/operator/persona")
    after = page.locator("[data-testid=as-of]").get_attribute("data-as-of") or ""
    assert after > before
    assert _number(page.locator("[data-testid=events-behind]").inner_text()) == 0
    # an exact count is shown, and the access log has it first
    total = _number(page.locator("[data-testid=access-total]").inner_text())
    expression = f"gender = female and age >= {20 if browser.lang == 'zh' else 30}"
    page.fill("#exact-expression", expression)
    page.locator("form[action='/operator/persona/exact'] button").click()
    page.wait_for_load_state("networkidle")
    shown = page.locator("[data-testid=exact-count] [data-count]").get_attribute("data-count")
    assert shown is not None
    assert int(shown) >= 1
    assert _number(page.locator("[data-testid=access-total]").inner_text()) == total + 1
    first = page.locator("[data-testid=access-log] tbody tr").first.inner_text()
    assert expression in first
    assert "exact-count" in first
    log = console[1].data_path / "persona-access.log"
    assert expression in log.read_text().splitlines()[-1]
    browser.check("operator-persona-exact")


def test_operator_fund_period_verified_and_ledger_audit_with_witnesses(
    browser: Browser, console: tuple[str, Settings]
) -> None:
    _sign_in(browser, console, "operator")
    page = browser.goto("/operator")
    witness = page.locator("[data-testid=witnesses] tr[data-witness^='witness.console.example']")
    assert witness.count() == 1
    assert _number(witness.locator("td").nth(1).inner_text()) >= 1
    page.locator("[data-testid=audit]").click()
    panel = _job_finishes(page, "ledger-audit")
    result = panel.locator("[data-testid=job-result]")
    assert result.get_attribute("data-ok") == "true", panel.inner_text()
    said = {"zh": "0 处不一致", "en": "0 mismatches"}[browser.lang]
    assert said in panel.locator("[data-testid=job-summary]").inner_text()
    assert "0 mismatches" in (panel.locator("[data-testid=job-lines]").text_content() or "")
    browser.check("operator-audit")
    # the closed period: its statements, then verified against the log from the page
    page.locator("a", has_text="console-closed").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=statements] tbody tr").count() >= 1
    page.locator("[data-testid=verify]").click()
    panel = _job_finishes(page, "fund-verify")
    assert panel.locator("[data-testid=job-result]").get_attribute("data-ok") == "true"
    said = {"zh": "结算期 console-closed", "en": "Period console-closed"}[browser.lang]
    assert said in panel.locator("[data-testid=job-summary]").inner_text()
    assert (panel.locator("[data-testid=job-lines]").text_content() or "").startswith("OK: period")
    browser.check("operator-fund-verify")


def test_organisation_api_keys_by_role(browser: Browser, console: tuple[str, Settings]) -> None:
    _sign_in(browser, console, "brand")
    page = browser.goto("/brand")
    page.locator("main h2 a").first.click()
    page.wait_for_load_state("networkidle")
    page.locator("a[href$='/keys']").click()
    page.wait_for_load_state("networkidle")
    keys_path = page.url.removeprefix(browser.base)
    name = f"shop-sync-{browser.lang}"
    page.fill("#key-name", name)
    page.select_option("#scope-segments", "read")
    page.fill("#key-days", "30")
    page.locator("main form[action$='/keys'] button").click()
    page.wait_for_load_state("networkidle")
    secret = page.locator("[data-testid=new-key-secret]").input_value()
    assert secret.startswith("plaudit_sk_")
    row = page.locator(f"tr[data-key={name}]")
    assert "segments:read" in row.inner_text()
    never = {"zh": "从未使用", "en": "never used"}[browser.lang]
    assert row.locator("[data-testid=last-used]").inner_text() == never
    browser.check("organisation-keys")
    # the key works for its scope, and not beyond it; its use shows on the page
    auth = {"Authorization": f"Bearer {secret}"}
    assert httpx.get(browser.base + "/v1/segments/saved", headers=auth).status_code == 200
    beyond = httpx.get(browser.base + "/v1/me", headers=auth)
    assert beyond.status_code == 403, beyond.text
    page = browser.goto(keys_path)
    row = page.locator(f"tr[data-key={name}]")
    assert row.locator("[data-testid=last-used]").inner_text() != never
    # shown once: the page no longer holds the secret
    assert secret not in page.content()
    row.locator("button").click()
    page.wait_for_load_state("networkidle")
    assert httpx.get(browser.base + "/v1/segments/saved", headers=auth).status_code == 401
    assert page.locator(f"tr[data-key={name}] button").count() == 0
    # an analyst of the organisation is told that owners manage its keys
    browser.context.clear_cookies()
    browser.sign_in(*ANALYST)
    page = browser.goto(keys_path)
    assert page.locator("[data-testid=owners-only]").count() == 1
    assert page.locator("[data-testid=keys]").count() == 0
    browser.check("organisation-keys-analyst")


def _wizard_to_money(browser: Browser, name: str, task: str) -> Any:
    page = browser.goto("/brand/campaigns/new?segment=gender+%3D+female")
    page.fill("#name", name)
    page.check(f"input[name=task][value={task}]")
    page.locator("#wizard button[name=next]").click()
    page.fill("#video_ids", "1 2 3")
    page.locator("#wizard button[name=next]").click()
    assert page.locator("#wizard").get_attribute("data-step") == "money"
    return page


def test_streak_and_donate_wizards(browser: Browser, console: tuple[str, Settings]) -> None:
    _sign_in(browser, console, "brand")
    # a check-in streak: its length is checked against the campaign's days
    name = f"连续打卡 Check-in {browser.lang}"
    page = _wizard_to_money(browser, name, "streak")
    assert page.locator("#charity").count() == 0  # the donate field is not asked
    page.fill("#reward", "8")
    page.fill("#budget", "800")
    page.fill("#days", "7")
    page.fill("#streak_days", "9")
    browser.expected_status = {422}
    page.locator("#wizard button[name=next]").click()
    error = page.locator("[data-testid=wizard-error]")
    assert "streak days" in error.inner_text()
    assert "7" in error.inner_text()
    page.fill("#streak_days", "5")
    page.check("input[name=streak_miss][value=end]")
    page.locator("#wizard button[name=next]").click()
    assert page.locator("#wizard").get_attribute("data-step") == "preview"
    rule = page.locator("[data-testid=task-rule]").inner_text()
    assert "5" in rule
    assert {"zh": "中断一天", "en": "Missing a day ends"}[browser.lang] in rule
    assert page.locator("[data-testid=disclosure-preview]").count() == 1
    browser.expected_status = set()
    browser.problems.clear()
    browser.check("wizard-streak")
    page.locator("#wizard button[name=next]").click()
    page.wait_for_load_state("networkidle")
    assert "/brand/campaigns/" in page.url
    assert page.locator("h1").inner_text() == name
    # a donation task: it must name its charity
    name = f"点赞捐赠 Donate {browser.lang}"
    page = _wizard_to_money(browser, name, "donate")
    assert page.locator("#streak_days").count() == 0
    page.fill("#reward", "0.50")
    page.fill("#budget", "500")
    browser.expected_status = {422}
    page.locator("#wizard button[name=next]").click()
    assert "charity" in page.locator("[data-testid=wizard-error]").inner_text()
    charity = "壹基金 One Foundation"
    page.fill("#charity", charity)
    page.locator("#wizard button[name=next]").click()
    assert page.locator("#wizard").get_attribute("data-step") == "preview"
    rule = page.locator("[data-testid=task-rule]").inner_text()
    assert charity in rule
    assert "0.50" in rule
    browser.expected_status = set()
    browser.problems.clear()
    browser.check("wizard-donate")
    page.locator("#wizard button[name=next]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == name


def test_segment_builder_completes_tag_names_in_both_languages(
    browser: Browser, console: tuple[str, Settings]
) -> None:
    _sign_in(browser, console, "brand")
    page = browser.goto("/brand/segments")
    box = page.locator("#expression")
    options = page.locator("#tag-suggestions [role=option]")
    # a Chinese name finds the tag, whatever the page's language; Tab inserts its id
    box.press_sequentially("女性", delay=20)
    assert options.first.locator("code").inner_text() == "gender.female"
    browser.check("segment-completion")
    box.press("Tab")
    assert box.input_value() == "gender.female"
    assert page.locator("#tag-suggestions").is_hidden()
    # after `city_tier in (` the values of that family are offered; an English name picks one
    box.press_sequentially(" and city_tier in (", delay=20)
    assert options.count() == 6  # the six tiers
    box.press_sequentially("新一", delay=20)
    assert [options.nth(i).locator("code").inner_text() for i in range(options.count())] == [
        "city_tier.new1"
    ]
    box.press("ArrowDown")
    assert options.first.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == "suggestion-0"
    box.press("Enter")
    box.press_sequentially(", 1) and wom", delay=20)
    assert options.first.locator("code").inner_text() == "gender.female"
    box.press("Escape")
    assert page.locator("#tag-suggestions").is_hidden()
    assert box.input_value() == "gender.female and city_tier in (new1, 1) and wom"
    # the completed expression is sized like a typed one
    box.press_sequentially("en", delay=20)
    box.press("Tab")
    size = page.locator("[data-testid=segment-size] [data-count]")
    size.wait_for()
    assert box.input_value() == "gender.female and city_tier in (new1, 1) and gender.female"


def test_shop_staff_redeem_a_coupon_once(browser: Browser, console: tuple[str, Settings]) -> None:
    _sign_in(browser, console, "brand")
    page = browser.goto("/brand/redeem")
    page.fill("#code", CODES[browser.lang])
    page.locator("main form button").click()
    page.wait_for_load_state("networkidle")
    answer = page.locator("[data-answer]")
    assert answer.get_attribute("data-answer") == "redeemed"
    assert "¥10.00" in answer.inner_text()
    browser.check("redeem-redeemed")
    page.fill("#code", CODES[browser.lang])
    page.locator("main form button").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-answer]").get_attribute("data-answer") == "already"
    browser.check("redeem-already")
