"""`plaudit creator`: outputs, the daily refresh, approvals, and one-line errors."""

from __future__ import annotations

import json
import os
import sys

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from plaudit.cli.main import cli, main
from plaudit.config import ENV_PREFIX
from plaudit.store import tables
from tests.strategy.conftest import TINY, Community


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)


def _run(community: Community, *args: str) -> tuple[int, str]:
    data = str(community.platform.settings.data_path)
    result = CliRunner().invoke(cli, [*args, "--data-dir", data], catch_exceptions=False)
    return result.exit_code, result.stdout


def _main(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["plaudit", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    code = exited.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().err


def test_refresh_stores_every_plan(community: Community) -> None:
    code, out = _run(community, "creator", "plans", "refresh")
    assert code == 0
    assert out.strip() == f"{TINY.creators} creator plans refreshed"
    with community.platform.db.read() as conn:
        stored = conn.execute(select(func.count()).select_from(tables.creator_plans)).scalar()
    assert stored == TINY.creators


def test_plan_insights_and_inbox_read_the_assistant(community: Community) -> None:
    top = str(community.top_creator)
    code, out = _run(community, "creator", "plan", top, "--json")
    assert code == 0
    plan = json.loads(out)
    assert plan["creator_id"] == community.top_creator
    code, out = _run(community, "creator", "plan", top)
    assert f"plan of creator {top}" in out
    assert f"@{plan['fans'][0]['handle']}" in out
    code, out = _run(community, "creator", "insights", top)
    insights = community.platform.strategy.insights(community.top_creator)
    assert insights["summary"]["en"] in out
    assert insights["summary"]["zh"] in out
    code, out = _run(community, "creator", "inbox", top)
    assert code == 0
    assert "-> @" in out
    everything = len(community.platform.strategy.inbox(community.top_creator)["items"])
    assert everything > 2
    code, out = _run(community, "creator", "inbox", top, "--limit", "2")
    assert out.count(" -> ") == 2
    assert f"{everything} items (the first 2; --limit shows more)" in out
    code, out = _run(community, "creator", "inbox", top, "--limit", "2", "--json")
    assert len(json.loads(out)["items"]) == 2


def test_approve_runs_the_chosen_item_with_the_edited_text(community: Community) -> None:
    top = str(community.top_creator)
    code, out = _run(community, "creator", "inbox", top, "--json")
    item = json.loads(out)["items"][0]["id"]
    code, out = _run(community, "creator", "approve", top, item, "--body", f"{item}=谢谢你！",
                     "--json")  # fmt: skip
    assert code == 0
    (result,) = json.loads(out)
    assert result["outcome"] == "executed"
    c = tables.comments
    with community.platform.db.read() as conn:
        made = conn.execute(select(c).where(c.c.id == result["comment_id"])).one()
    assert (made.body, made.source, made.account_id) == ("谢谢你！", "assistant", int(top))
    code, out = _run(community, "creator", "approve", top, item)
    assert out.strip().startswith(f"{item}: skipped")


def test_errors_are_one_line_with_exit_codes(
    community: Community, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = ("--data-dir", str(community.platform.settings.data_path))
    top = str(community.top_creator)
    code, err = _main(capsys, monkeypatch, "creator", "approve", top, "wave-1", *data)
    assert code == 2
    assert err.startswith("error: action id 'wave-1' is not valid")
    assert len(err.strip().splitlines()) == 1
    code, err = _main(capsys, monkeypatch, "creator", "approve", top, "reply-1", "--body",
                      "no-equals", *data)  # fmt: skip
    assert code == 2
    assert "ID=TEXT" in err
    fan = community.platform.accounts.create("cli-fan", "fan")[0].id
    code, err = _main(capsys, monkeypatch, "creator", "plan", str(fan), *data)
    assert code == 2
    assert "for creator accounts" in err
    code, err = _main(capsys, monkeypatch, "creator", "plan", "99999", *data)
    assert code == 1
    assert "does not exist" in err


@pytest.mark.parametrize(
    "command",
    [("insights",), ("plan",), ("inbox",), ("approve",), ("actions",), ("plans", "refresh")],
)
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, ["creator", *command, "--help"])
    assert result.exit_code == 0
    assert "--data-dir" in result.stdout
