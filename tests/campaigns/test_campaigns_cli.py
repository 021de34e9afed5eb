"""`plaudit campaigns` and `plaudit orgs`: settle after a scan, reports as JSON and CSV,
listings, organisations, and one-line errors (SQLite; the service tests cover PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from plaudit.cli.main import cli
from plaudit.config import load_settings
from tests.campaigns.conftest import World, make_world

PLAUDIT = Path(sys.executable).with_name("plaudit")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    settings = load_settings(flags={"data_dir": str(tmp_path / "data")}, env={})
    yield from make_world(settings)


def _run(world: World, *args: str) -> tuple[int, str]:
    data_dir = str(world.platform.settings.data_path)
    result = CliRunner().invoke(cli, [*args, "--data-dir", data_dir])
    return result.exit_code, result.stdout


def test_the_platform_scan_settles_what_it_cleared(world: World) -> None:
    fan = world.fan()
    world.refresh_persona()
    campaign = world.campaign()
    world.platform.campaigns.opt_in(fan, campaign.id)
    world.like(fan, world.videos[0], f"campaign:{campaign.id}")

    code, output = _run(world, "authenticity", "scan")
    assert code == 0, output
    assert "campaign completions settled: 1 released" in output
    assert _run(world, "campaigns", "settle") == (0, "nothing to settle\n")


def test_settle_then_report_as_json_and_csv(world: World) -> None:
    fan = world.fan()
    world.refresh_persona()
    campaign = world.campaign()
    world.platform.campaigns.opt_in(fan, campaign.id)
    world.like(fan, world.videos[0], f"campaign:{campaign.id}")

    code, output = _run(world, "campaigns", "settle")
    assert (code, output.splitlines()[0][:21]) == (0, "pending: 1 (waiting: ")
    assert "run `plaudit authenticity scan`" in output
    world.scan()
    code, output = _run(world, "campaigns", "settle", "--json")
    assert (code, json.loads(output)) == (0, {"released": 1})
    assert _run(world, "campaigns", "settle") == (0, "nothing to settle\n")

    code, output = _run(world, "campaigns", "report", str(campaign.id))
    report = json.loads(output)
    assert (code, report["spent_fen"], report["completions"]["released"]) == (0, 1_000, 1)
    code, output = _run(world, "campaigns", "report", str(campaign.id), "--csv")
    header, *days = output.strip().splitlines()
    assert header.startswith("day,opted_in,likes,authentic_likes")
    assert [line.split(",")[5] for line in days] == ["1"]  # one reward released today

    code, output = _run(world, "campaigns", "list")
    assert code == 0
    assert f"{campaign.id}\torg {world.organisation.id}\tcoupon\t1000/10000 fen" in output


def test_organisations_from_the_command_line(world: World) -> None:
    brand, _ = world.platform.accounts.create("cli_brand", "brand")
    helper, _ = world.platform.accounts.create("cli_helper", "brand")
    code, output = _run(world, "orgs", "create", "Tea House", "--owner", str(brand.id))
    assert code == 0, output
    org_id = output.split()[1]
    code, output = _run(
        world, "orgs", "member", org_id, str(helper.id), "--role", "manager", "--by", str(brand.id)
    )
    assert (code, output.strip()) == (0, f"account {helper.id} is manager of organisation {org_id}")
    members = world.platform.campaigns.members(brand.id, int(org_id))
    assert {(m.account_id, m.role) for m in members} == {
        (brand.id, "owner"),
        (helper.id, "manager"),
    }


def test_errors_are_one_line_without_a_traceback(world: World, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAUDIT_")}
    data_dir = str(world.platform.settings.data_path)
    done = subprocess.run(
        [str(PLAUDIT), "campaigns", "report", "999", "--data-dir", data_dir],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == "error: campaign 999 does not exist\n"
    assert _run(world, "orgs", "create", "X", "--owner", "0")[0] == 2


@pytest.mark.parametrize(
    "command", [["campaigns"], ["campaigns", "settle"], ["campaigns", "report"], ["orgs", "member"]]
)
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
