"""`plaudit experiments`: create, assign, report and list from the command line."""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from plaudit.cli.main import cli, main
from plaudit.config import ENV_PREFIX
from plaudit.experiments import Arm, assign
from plaudit.interactions.service import NO_DEVICE, like_op
from plaudit.platform import Platform
from plaudit.store import utcnow


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)


def _run(platform: Platform, *args: str) -> tuple[int, str]:
    data = str(platform.settings.data_path)
    result = CliRunner().invoke(cli, [*args, "--data-dir", data], catch_exceptions=False)
    return result.exit_code, result.stdout


def test_create_assign_and_report(platform: Platform) -> None:
    owner = platform.accounts.create("cli-owner", "operator")[0].id
    start = (utcnow() - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%S")
    code, out = _run(
        platform, "experiments", "create", "--name", "thank fans", "--owner", str(owner),
        "--unit", "creator", "--metric", "likes_received", "--arm", "control",
        "--arm", "thanks:1", "--start", start, "--days", "10", "--pre-days", "5", "--json",
    )  # fmt: skip
    assert code == 0, out
    experiment = json.loads(out)
    fans = [platform.accounts.create(f"cli-fan-{i}", "fan")[0].id for i in range(12)]
    arms: dict[str, list[int]] = {"control": [], "thanks": []}
    for i in range(12):
        unit = platform.accounts.create(f"cli-creator-{i}", "creator")[0].id
        code, out = _run(platform, "experiments", "assign", str(experiment["id"]), str(unit))
        assert out.strip() == assign(experiment["id"], unit, _arms(experiment))
        video = platform.videos.publish(unit, "v", "food").id
        for fan in fans[: i + 1]:
            platform.db.write(like_op(fan, video, "app", NO_DEVICE, utcnow() - timedelta(days=1)))
        arms[out.strip()].append(i + 1)
    code, out = _run(platform, "experiments", "report", str(experiment["id"]), "--json")
    assert code == 0
    report = json.loads(out)
    means = {a["arm"]: a["mean"] for a in report["arms"]}
    days = report["window"]["days"]
    for arm, likes in arms.items():
        assert means[arm] == pytest.approx(sum(likes) / len(likes) / days)
    code, out = _run(platform, "experiments", "report", str(experiment["id"]))
    assert "CUPED theta" in out
    assert "95% CI" in out
    code, out = _run(platform, "experiments", "list")
    assert "thank fans" in out


def _arms(experiment: dict[str, Any]) -> tuple[Arm, ...]:
    return tuple(Arm(a["name"], a["weight"]) for a in experiment["arms"])


def test_errors_are_one_line(
    platform: Platform, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = platform.accounts.create("cli-owner2", "creator")[0].id
    data = ("--data-dir", str(platform.settings.data_path))
    monkeypatch.setattr(sys, "argv", ["plaudit", "experiments", "create", "--name", "x",
                                      "--owner", str(owner), "--unit", "creator", "--metric",
                                      "likes_received", "--arm", "only", *data])  # fmt: skip
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    assert capsys.readouterr().err.startswith("error: an experiment has 2 to 10 arms")
