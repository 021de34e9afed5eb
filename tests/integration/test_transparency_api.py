"""A built report is published at /transparency and verifies from the running server's
public tile API; a tampered report, or a checkpoint missing a required witness, fails."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from plaudit.cli.main import cli
from plaudit.config import Settings
from plaudit.platform import Platform
from plaudit.reports.build import build_report
from plaudit.reports.period import Period
from plaudit.reports.publish import write_report
from plaudit.store import utcnow
from plaudit.witness.keystore import load_or_create_witness_key
from tests.integration.server import running_server


def _publish(settings: Settings) -> Path:
    platform = Platform(settings).open(writer_thread=True)
    try:
        creator, _ = platform.accounts.create("maker", "creator")
        video = platform.videos.publish(creator.id, "dumplings", "food").id
        for i in range(5):
            fan, _ = platform.accounts.create(f"fan{i}")
            asyncio.run(platform.interactions.like(fan.id, video, "app"))
        now = utcnow()
        report = build_report(
            platform, Period("today", now - timedelta(hours=1), now + timedelta(hours=1))
        )
        folder = settings.data_path / "reports" / "today"
        write_report(report, folder, pdf=False)
        return folder / "report.json"
    finally:
        platform.close()


def test_a_published_report_verifies_from_the_tile_api(
    backend_settings: Settings, tmp_path: Path
) -> None:
    report_path = _publish(backend_settings)
    runner = CliRunner()
    with running_server(backend_settings, tmp_path / "server.log") as base:
        page = httpx.get(base + "/transparency")
        assert page.status_code == 200
        assert "today" in page.text
        assert "report.zh.html" in page.text
        assert httpx.get(base + "/transparency/reports.json").json()[0]["folder"] == "today"
        served = httpx.get(base + "/transparency/today/report.json")
        assert served.json() == json.loads(report_path.read_text())
        assert httpx.get(base + "/transparency/today/../plaudit.db").status_code == 404
        assert httpx.get(base + "/transparency/today/plaudit.db").status_code == 404
        vkey = httpx.get(base + "/ledger/vkey").text.strip()

        ok = runner.invoke(
            cli, ["report", "verify", str(report_path), "--url", base, "--vkey", vkey]
        )
        assert ok.exit_code == 0, ok.output
        assert "OK    interactions_by_kind" in ok.output
        assert "--    prevented_vs_removed: operator" in ok.output

        tampered = json.loads(report_path.read_text())
        for figure in tampered["figures"]:
            if figure["key"] == "interactions_by_kind":
                figure["value"]["like"] += 1
        bad = tmp_path / "tampered.json"
        bad.write_text(json.dumps(tampered))
        failed = runner.invoke(cli, ["report", "verify", str(bad), "--url", base, "--vkey", vkey])
        assert failed.exit_code == 1
        assert "FAIL: interactions_by_kind" in failed.output

        witness = load_or_create_witness_key(tmp_path / "w", "witness.example/w1")
        args = ["--url", base, "--vkey", vkey, "--witness", witness.verifier().key_string]
        unwitnessed = runner.invoke(cli, ["report", "verify", str(report_path), *args])
        assert unwitnessed.exit_code == 1
        assert "did not cosign" in unwitnessed.output
        ledger = runner.invoke(cli, ["ledger", "verify", *args, "--quorum", "1"])
        assert ledger.exit_code == 1
        assert "only 0 of the 1 witnesses cosigned" in ledger.output


@pytest.mark.parametrize("bad", ["2026-Q9", "soon"])
def test_report_build_says_what_period_to_give(bad: str, sqlite_settings: Settings) -> None:
    result = CliRunner().invoke(
        cli, ["report", "build", "--period", bad, "--data-dir", str(sqlite_settings.data_path)]
    )
    assert result.exit_code == 2
    assert "2026-Q4" in result.output
