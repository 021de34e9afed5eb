"""plaudit report: figures built from a small known world, verified from the log, tampering
caught. Expected numbers are counted from what each test did, never by the report's code."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from plaudit.accounts.erasure import erase_account
from plaudit.config import Settings
from plaudit.errors import RefusedByRule
from plaudit.fund import Rule
from plaudit.interactions import Device
from plaudit.ledger.entries import Kind, decode_entry
from plaudit.ledger.keystore import load_or_create_signer
from plaudit.ledger.sources import StoreLog
from plaudit.ledger.verify import VerificationFailed
from plaudit.reports.build import build_report
from plaudit.reports.period import Period
from plaudit.reports.publish import list_reports, write_report
from plaudit.reports.render import render_html
from plaudit.reports.verify import verify_report
from plaudit.store import utcnow
from plaudit.subjects import export_data
from tests.campaigns.conftest import TARGET, World, make_world
from tests.ledger.test_ledger_verify import MemoryLog


@pytest.fixture
def world(backend_settings: Settings) -> Iterator[World]:
    """Two accounts a day per device: the second is held, a third refused (device_accounts)."""
    yield from make_world(
        backend_settings.with_values(rule_device_accounts_hold=1, rule_device_accounts_limit=2)
    )


def _now_period() -> Period:
    now = utcnow()
    return Period("test", now - timedelta(days=1), now + timedelta(days=1))


def _populate(world: World) -> dict[str, Any]:
    """Two campaign likes (one revoked, appealed, reinstated), organic likes, an unlike."""
    alice, bea = world.fan(), world.fan()
    world.refresh_persona()
    campaign = world.campaign()
    service = world.platform.campaigns
    service.opt_in(alice, campaign.id)
    service.opt_in(bea, campaign.id)
    source = f"campaign:{campaign.id}"
    world.like(alice, world.videos[0], source)
    fake = world.like(bea, world.videos[1], source).like
    organic = [world.fan() for _ in range(3)]
    for fan in organic:
        world.like(fan, world.videos[2])
    asyncio.run(world.platform.interactions.unlike(organic[0], world.videos[2]))
    world.revoke(fake.id, bea, fake.video_id)
    world.scan()
    service.settle()
    world.platform.integrator.catch_up()
    return {"campaign": campaign.id, "bea": bea, "fake": fake}


def _values(report: dict[str, Any]) -> dict[str, Any]:
    return {f["key"]: f["value"] for f in report["figures"]}


def _closed_fund_period(world: World, pool_fen: int) -> datetime:
    """A fund period over the hour that just ended, closed as an operator would; its end."""
    now = utcnow()
    world.platform.fund.create_period("last-hour", now - timedelta(hours=1), now, pool_fen, Rule())
    world.platform.fund.close("last-hour", now=utcnow())
    return now


def _phone_likes(world: World) -> None:
    """Three accounts like from one phone: accepted, held, refused (rule device_accounts)."""
    phone = Device(device_key="one-phone")
    interactions = world.platform.interactions
    first = asyncio.run(interactions.like(world.fan(), world.videos[3], device=phone))
    second = asyncio.run(interactions.like(world.fan(), world.videos[3], device=phone))
    assert (first.held, second.held) == (False, True)
    with pytest.raises(RefusedByRule):
        asyncio.run(interactions.like(world.fan(), world.videos[3], device=phone))


def _data_subjects(world: World, made: dict[str, Any]) -> None:
    """An operator's exact count, two exports (API and console), one account deleted."""
    platform = world.platform
    platform.persona.exact_count(TARGET, "account:1")
    export_data(platform, made["bea"], "api")
    export_data(platform, made["bea"], "console")
    leaver = world.fan()
    handle = platform.accounts.get(leaver).handle
    erase_account(platform.accounts, platform.db, platform.settings.data_path, leaver, handle)


def test_the_report_counts_what_happened(world: World) -> None:
    made = _populate(world)
    closed_at = _closed_fund_period(world, 100_000)
    _phone_likes(world)
    _data_subjects(world, made)
    world.platform.fund.create_period(
        "next-hour", closed_at, closed_at + timedelta(hours=1), 123_456, Rule()
    )
    world.platform.integrator.catch_up()
    report = build_report(world.platform, _now_period())
    values = _values(report)
    kinds = values["interactions_by_kind"]
    assert (kinds["like"], kinds["unlike"], kinds["revoke"], kinds["reinstate"]) == (7, 1, 1, 0)
    assert values["revocations"] == 1
    assert values["incentivised_likes"] == 2
    assert values["incentivised_likes_by_campaign"] == {str(made["campaign"]): 2}
    assert values["incentivised_likes_by_task"] == {"coupon": 2}
    assert values["disclosure_rate"] == {"disclosed": 2, "recorded": 2, "rate_percent": "100.00"}
    assert values["fake_likes_by_detector"] == {"operator": 1}
    # 7 likes, 1 unliked: 6 active, 1 of them revoked (the held one counts as not revoked)
    assert values["period_likes_at_checkpoint"] == {
        "active": 6,
        "revoked": 1,
        "authentic_or_held": 5,
    }
    assert values["held_likes"] == {"open": 1}
    assert values["rule_refusals"] == {
        "account_velocity": 0,
        "device_velocity": 0,
        "device_accounts": 1,
    }
    # one refused and one held at the like (prevented), one revoked without a hold (removed)
    assert values["prevented_vs_removed"] == {
        "refused": 1,
        "held": 1,
        "prevented": 2,
        "removed": 1,
        "proactive_rate_percent": "66.67",
    }
    assert values["persona_exact_count_accesses"] == {"exact-count": 1, "unreadable": 0}
    assert values["data_exports"] == {"api": 1, "console": 1, "total": 2}
    assert values["account_deletions"] == 1
    # the closed hour paid its whole pool to the one creator with authentic likes
    assert values["creator_fund"] == {
        "periods": [
            {
                "name": "last-hour",
                "pool_fen": 100_000,
                "closed": True,
                "creators_paid": 1,
                "payouts_fen": 100_000,
            },
            {
                "name": "next-hour",
                "pool_fen": 123_456,
                "closed": False,
                "creators_paid": 0,
                "payouts_fen": 0,
            },
        ],
        "total_pool_fen": 223_456,
        "total_payouts_fen": 100_000,
    }
    assert values["like_to_revocation_s"]["count"] == 1
    assert 0 <= values["like_to_revocation_s"]["median"] < 60
    # alice's reward released (1,000 fen), bea's voided
    assert values["campaign_completions"] == {
        "released": {"count": 1, "fen": 1000},
        "voided": {"count": 1, "fen": 1000},
    }
    assert values["rewards_released"] == {"coupon": {"count": 1, "fen": 1000}}
    bases = {f["key"]: f["basis"] for f in report["figures"]}
    assert bases["revocations"] == "log"
    assert bases["prevented_vs_removed"] == "operator"
    assert set(bases.values()) == {"log", "log+operator", "operator"}
    for figure in report["figures"]:
        assert figure["rule"]["en"]
        assert figure["rule"]["zh"]
        assert figure["title"]["zh"]
    check = verify_report(report, StoreLog(world.platform.ledger))
    assert check.failures == []
    assert "--    creator_fund: operator, not verifiable from the log" in check.lines
    assert "OK    revocations = 1" in check.lines
    en = render_html(report, "en")
    assert "¥1,000.00" in en  # the closed period's payouts, printed from integer fen


def test_an_appeal_reinstates_and_a_later_report_lists_corrections(world: World) -> None:
    made = _populate(world)
    period = _now_period()
    first = build_report(world.platform, period)
    authenticity = world.platform.authenticity
    [verdict_id] = _values(first)["revocations_by_verdict"]
    appeal = authenticity.appeal(int(verdict_id), made["bea"], "it was me")
    authenticity.decide(appeal.id, "reinstate")
    world.platform.integrator.catch_up()
    second = build_report(world.platform, period, first)
    values = _values(second)
    assert values["reinstatements"] == 1
    assert values["appeals"] == {
        "filed": 1,
        "decided_reinstated": 1,
        "decided_upheld": 0,
        "open": 0,
    }
    changed = {c["key"]: c for c in second["corrections"]}
    assert changed["reinstatements"]["before"] == 0
    assert changed["reinstatements"]["after"] == 1
    assert "log grew" in changed["reinstatements"]["why"]["en"]
    assert "账本" in changed["reinstatements"]["why"]["zh"]
    assert "appeals" in changed
    assert verify_report(second, StoreLog(world.platform.ledger)).failures == []
    # the first report still verifies: its checkpoint is a prefix of the grown log
    assert verify_report(first, StoreLog(world.platform.ledger)).failures == []


@pytest.fixture
def built(sqlite_settings: Settings) -> Iterator[tuple[World, dict[str, Any]]]:
    for world in make_world(sqlite_settings):
        _populate(world)
        yield world, build_report(world.platform, _now_period())


def test_a_report_claiming_a_dropped_revocation_fails(built: tuple[World, dict[str, Any]]) -> None:
    world, report = built
    edited = copy.deepcopy(report)
    for figure in edited["figures"]:
        if figure["key"] == "revocations":
            figure["value"] -= 1
        if figure["key"] == "interactions_by_kind":
            figure["value"]["revoke"] -= 1
    check = verify_report(edited, StoreLog(world.platform.ledger))
    assert len(check.failures) == 2
    assert "revocations: the report says 0, the log gives 1" in check.failures


def _entries(world: World) -> list[bytes]:
    size = world.platform.ledger.size()
    return [world.platform.ledger.entry(i) for i in range(size)]


def test_a_log_rewritten_without_its_revocation_fails(built: tuple[World, dict[str, Any]]) -> None:
    """The operator serves a history whose REVOKE is replaced, signed with its own key."""
    world, report = built
    signer = load_or_create_signer(world.platform.settings.data_path, report["log"]["origin"])
    entries = _entries(world)
    kept = [entries[0] if decode_entry(e).kind == Kind.REVOKE else e for e in entries]
    assert len(kept) == len(entries)
    forged = MemoryLog(kept, signer)
    with pytest.raises(VerificationFailed, match="does not extend the trusted checkpoint"):
        verify_report(report, forged, trusted=report["log"]["checkpoint"])
    check = verify_report(report, forged)  # without --trusted: the report's root catches it
    assert any("computed from another history" in f for f in check.failures)
    assert "revocations: the report says 1, the log gives 0" in check.failures


def test_a_changed_entry_fails(built: tuple[World, dict[str, Any]]) -> None:
    world, report = built
    entries = _entries(world)
    changed = bytearray(entries[0])
    changed[-1] ^= 1
    tampered = MemoryLog(
        entries, load_or_create_signer(world.platform.settings.data_path, report["log"]["origin"])
    )
    bundle = next(path for path in tampered.served if path.startswith("tile/entries/"))
    from plaudit.ledger.tiles import decode_entry_bundle, encode_entry_bundle

    served = decode_entry_bundle(tampered.served[bundle])
    served[0] = bytes(changed)
    tampered.served[bundle] = encode_entry_bundle(served)
    with pytest.raises(VerificationFailed, match="entry 0"):
        verify_report(report, tampered)


def test_a_report_under_another_key_fails(built: tuple[World, dict[str, Any]]) -> None:
    world, report = built
    from plaudit.ledger import Ed25519Signer

    other = Ed25519Signer(report["log"]["origin"], bytes(32)).verifier().key_string
    with pytest.raises(VerificationFailed, match="not signed by the log key"):
        verify_report(report, StoreLog(world.platform.ledger), vkey=other)


def test_the_folder_holds_every_file_and_is_listed(
    built: tuple[World, dict[str, Any]], tmp_path: Path
) -> None:
    _world, report = built
    folder = tmp_path / "reports" / "test"
    written = write_report(report, folder)
    names = sorted(p.name for p in written)
    assert names == sorted(
        [
            "report.json",
            "checkpoint.txt",
            "report.zh.html",
            "report.en.html",
            "report.zh.pdf",
            "report.en.pdf",
        ]
    )
    zh = (folder / "report.zh.html").read_text(encoding="utf-8")
    assert "互动数据白皮书" in zh
    assert "账本可验证" in zh
    assert "<svg" in zh
    en = (folder / "report.en.html").read_text(encoding="utf-8")
    assert "log-verified" in en
    assert "operator-attested" in en
    assert (folder / "report.zh.pdf").read_bytes().startswith(b"%PDF")
    assert json.loads((folder / "report.json").read_text()) == report
    [listed] = list_reports(tmp_path / "reports")
    assert listed["folder"] == "test"
    assert len(listed["files"]) == 6


def test_earlier_reports_of_other_periods_are_recomputed_for_corrections(world: World) -> None:
    made = _populate(world)
    now = utcnow()
    wider = build_report(
        world.platform, Period("wider", now - timedelta(days=2), now + timedelta(days=2))
    )
    authenticity = world.platform.authenticity
    [verdict_id] = _values(wider)["revocations_by_verdict"]
    authenticity.decide(authenticity.appeal(int(verdict_id), made["bea"], "me").id, "reinstate")
    world.platform.integrator.catch_up()
    report = build_report(world.platform, _now_period(), earlier=[wider])
    changed = {(c["period"], c["key"]): c for c in report["corrections"]}
    reinstated = changed[("wider", "reinstatements")]
    assert (reinstated["before"], reinstated["after"]) == (0, 1)
    assert "log grew" in reinstated["why"]["en"]
    assert changed[("wider", "appeals")]["after"]["decided_reinstated"] == 1
    assert "operator's records changed" in changed[("wider", "appeals")]["why"]["en"]
    assert all(period == "wider" for period, _key in changed)
    page = render_html(report, "en")
    assert "<td>wider</td>" in page


def test_report_build_compares_with_the_published_report_by_itself(
    sqlite_settings: Settings,
) -> None:
    """Rebuilding a period lists what changed since the published one, without --previous."""
    from click.testing import CliRunner

    from plaudit.cli.main import cli

    def like_once() -> None:
        for world in make_world(sqlite_settings):
            world.like(world.fan(), world.videos[0])

    day = utcnow().date()
    args = ["report", "build", "--from", str(day), "--to", str(day + timedelta(days=1))]
    args += ["--no-pdf", "--data-dir", str(sqlite_settings.data_path)]
    like_once()
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "0 corrections" in first.output
    like_once()
    second = CliRunner().invoke(cli, args)
    assert second.exit_code == 0, second.output
    folder = sqlite_settings.data_path / "reports" / f"{day}..{day + timedelta(days=1)}"
    rebuilt = json.loads((folder / "report.json").read_text())
    likes = next(c for c in rebuilt["corrections"] if c["key"] == "interactions_by_kind")
    assert likes["after"]["like"] == likes["before"]["like"] + 1
    assert f"{len(rebuilt['corrections'])} corrections" in second.output
