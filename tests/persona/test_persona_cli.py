"""`plaudit persona` and `plaudit segment`: the documented outputs and exit codes."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from plaudit.cli.main import cli, main
from plaudit.config import ENV_PREFIX, load_settings
from plaudit.persona import TAGS
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community
from tests.persona.conftest import Community, top_creator

EXAMPLE = (
    "city_tier in (1, new1) and age in 25..35 and spend >= 5000 and gender = female "
    "and not interest.gaming"
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_tags_lists_the_taxonomy() -> None:
    code, out, _ = _run("persona", "tags", "--json")
    assert code == 0
    listed = json.loads(out)
    assert len(listed["tags"]) == len(TAGS) >= 200
    assert {"id", "family", "en", "zh", "definition"} <= set(listed["tags"][0])
    code, out, _ = _run("persona", "tags")
    assert "city_tier.new1" in out
    assert "新一线城市" in out


def test_count_prints_the_documented_json(community: Community) -> None:
    data = str(community.settings.data_path)
    code, out, _ = _run("segment", "count", "gender = female", "--json", "--data-dir", data)
    assert code == 0
    assert json.loads(out) == {
        "expression": "gender = female",
        "count": len(community.index.tag("gender.female")),
    }
    code, out, _ = _run("segment", "count", EXAMPLE, "--json", "--data-dir", data)
    assert json.loads(out) == {"expression": EXAMPLE, "count": "<100", "suppressed": True}


def test_exact_counts_are_logged(community: Community) -> None:
    data = community.settings.data_path
    code, out, _ = _run("segment", "count", EXAMPLE, "--exact", "--json", "--data-dir", str(data))
    assert code == 0
    assert isinstance(json.loads(out)["count"], int)
    log = (data / "persona-access.log").read_text().splitlines()
    assert json.loads(log[-1])["expr"] == EXAMPLE


def _main(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str]:
    """The real entry point, which renders Plaudit errors: (exit code, stderr)."""
    monkeypatch.setattr(sys, "argv", ["plaudit", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    code = exited.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().err


def test_a_bad_expression_is_one_line_and_exit_2(
    community: Community, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = str(community.settings.data_path)
    args = ("segment", "count", "citytier in (1, new1)", "--data-dir", data)
    code, err = _main(capsys, monkeypatch, *args)
    assert code == 2
    assert err == "error: unknown tag 'citytier' at column 1; did you mean 'city_tier'?\n"


def test_insights_overlap_fans_and_saved_segments(community: Community, tmp_path: Path) -> None:
    data = str(community.settings.data_path)
    code, out, _ = _run("segment", "insights", "role.fan", "--data-dir", data)
    assert code == 0
    assert "families" in json.loads(out)
    code, out, _ = _run("segment", "overlap", "role.fan", "gender = male", "--data-dir", data)
    assert code == 0
    assert len(json.loads(out)["pairs"]) == 1
    creator = str(top_creator(community)[0])
    code, out, _ = _run("segment", "fans", creator, "--json", "--data-dir", data)
    assert code == 0
    assert set(json.loads(out)["sentence"]) == {"en", "zh"}
    assert _run("segment", "save", "men", "gender = male", "--data-dir", data)[0] == 0
    code, out, _ = _run("segment", "count", "segment:men", "--json", "--data-dir", data)
    assert json.loads(out)["count"] == len(community.index.tag("gender.male"))
    target = tmp_path / "men.roaring"
    code, out, _ = _run(
        "segment", "export", "segment:men", "--output", str(target), "--data-dir", data
    )
    assert code == 0
    assert target.stat().st_size > 0


def test_refresh_then_export(tmp_path: Path) -> None:
    data = tmp_path / "data"
    platform = Platform(load_settings(flags={"data_dir": str(data)}, env={})).open()
    size = CommunitySize("cli", accounts=300, creators=10, videos=40, interactions=2000, days=20)
    load_community(platform.db, size, seed=2, end=datetime.now(UTC), show_progress=False)
    platform.close()
    code, out, err = _run("persona", "refresh", "--data-dir", str(data))
    assert code == 0, err
    assert "accounts with targeting consent" in out
    assert (data / "persona" / "manifest.json").exists()
    output = tmp_path / "tags.parquet"
    code, out, _ = _run("persona", "export", "--output", str(output), "--data-dir", str(data))
    assert code == 0
    table = pq.read_table(output)
    assert table.column_names == ["account_id", "age", "tags"]
    assert 0 < table.num_rows < 300


def test_no_index_yet_says_what_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _main(capsys, monkeypatch, "db", "upgrade", "--data-dir", str(tmp_path))[0] == 0
    args = ("segment", "count", "role.fan", "--data-dir", str(tmp_path))
    code, err = _main(capsys, monkeypatch, *args)
    assert code == 1
    assert "run `plaudit persona refresh` first" in err


def test_fans_prints_a_summary_and_precise_errors(
    community: Community, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = str(community.settings.data_path)
    creator = top_creator(community)[0]
    code, out, _ = _run("segment", "fans", str(creator), "--data-dir", data)
    assert code == 0
    found = community.platform.persona.fan_base(creator)
    lines = out.splitlines()
    assert lines[0].startswith(f"creator {creator}: ")
    assert found["sentence"]["en"] in lines[1]
    assert "show as <100" in lines[-1]
    assert "--json lists every group" in lines[-1]
    assert len(out) < 4000  # a summary, not every group
    code, err = _main(capsys, monkeypatch, "segment", "fans", "999999", "--data-dir", data)
    assert (code, err) == (1, "error: account 999999 does not exist\n")
    fan = str(community.platform.accounts.create("just_a_fan")[0].id)
    code, err = _main(capsys, monkeypatch, "segment", "fans", fan, "--data-dir", data)
    assert code == 2
    assert err == f"error: account {fan} is a fan; a fan base is a creator account's followers\n"


def test_lookalike_from_a_creators_fans(community: Community) -> None:
    data = str(community.settings.data_path)
    creator = str(top_creator(community)[0])
    args = ["segment", "lookalike", "--creator", creator, "--size", "50", "--data-dir", data]
    result = CliRunner().invoke(cli, args, env={"PLAUDIT_PRIVACY_K": "1"})
    assert result.exit_code == 0, result.output
    about = json.loads(result.stdout)
    assert about["seed_expression"] == f"fans of creator {creator}"
    assert about["size"] == 50
    assert "naive-Bayes" in about["method"]
    both = CliRunner().invoke(cli, ["segment", "lookalike", "role.fan", "--creator", "1",
                                    "--size", "5", "--data-dir", data])  # fmt: skip
    assert both.exit_code == 2
