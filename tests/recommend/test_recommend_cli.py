"""`plaudit strategy`: train, eval and recommend through the real entry point; bad input is
one line on stderr with exit status 2."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from plaudit.cli.main import cli, main
from plaudit.config import ENV_PREFIX

from .conftest import Community, planted_tastes


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def run_main(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["plaudit", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    out, err = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 1), out, err


@pytest.mark.parametrize("command", [[], ["train"], ["eval"], ["recommend"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(cli, ["strategy", *command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("account_id,ts\n1,2\n", "lacks video_id"),
        ("1,2\n1,\n", "line 2: video_id is empty"),
    ],
)
def test_bad_eval_files_are_one_line_errors(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    text: str,
    message: str,
) -> None:
    path = tmp_path / "in.csv"
    path.write_text(text)
    code, out, err = run_main(capsys, monkeypatch, "strategy", "eval", "--input", str(path))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert message in err


def test_time_split_needs_ts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "in.csv"
    path.write_text("1,2\n1,3\n1,4\n")
    code, _out, err = run_main(
        capsys, monkeypatch, "strategy", "eval", "--input", str(path), "--split", "time"
    )
    assert code == 2
    assert "needs a ts column" in err


@pytest.mark.parametrize("prefix", ["", "user-"], ids=["integer ids", "text ids"])
def test_eval_json_on_a_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, prefix: str
) -> None:
    feedback, _ = planted_tastes(users=120, items=60, per_user=10)
    path = tmp_path / "likes.csv"
    rows = zip(feedback.accounts.tolist(), feedback.videos.tolist(), feedback.ts.tolist(),  # type: ignore[union-attr]
               strict=True)  # fmt: skip
    path.write_text(
        "account_id,video_id,ts\n" + "".join(f"{prefix}{a},{v},{t}\n" for a, v, t in rows)
    )
    args = ("strategy", "eval", "--input", str(path), "--split", "time", "--json")
    code, out, err = run_main(capsys, monkeypatch, *args)
    assert code == 0
    assert err.startswith("progress: eval\n")  # off a terminal, plain lines say what it does
    report = json.loads(out)
    assert set(report["models"]) == {"popularity", "item_knn", "engine"}
    for figures in report["models"].values():
        assert {"recall@10", "ndcg@10", "train_seconds"} <= set(figures)
    assert report["split"] == "time"
    assert report["test_accounts"] == 120  # leave-last-out: one test pair per account


def test_train_on_an_empty_platform_says_what_to_do(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = str(tmp_path / "data")
    assert run_main(capsys, monkeypatch, "db", "upgrade", "--data-dir", data)[0] == 0
    code, _out, err = run_main(capsys, monkeypatch, "strategy", "train", "--data-dir", data)
    assert code == 2
    assert "no likes to train on" in err
    assert "plaudit demo" in err


def test_train_then_recommend(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, community: Community
) -> None:
    data = community.settings.data_dir
    code, out, _err = run_main(
        capsys, monkeypatch, "strategy", "train", "--data-dir", data, "--iterations", "5"
    )
    assert code == 0
    assert "likes of" in out
    assert "ALS fit" in out
    code, out, _err = run_main(
        capsys, monkeypatch, "strategy", "recommend", "2", "--limit", "3", "--json",
        "--data-dir", data,
    )  # fmt: skip
    assert code == 0
    body = json.loads(out)
    assert body["account_id"] == 2
    assert len(body["items"]) == 3
    assert {"video_id", "creator_id", "category", "score"} == set(body["items"][0])
    code, out, _err = run_main(
        capsys, monkeypatch, "strategy", "recommend", "2", "--creators", "--data-dir", data
    )
    assert code == 0
    assert out.startswith("account 2: ")
    assert "creator_id" in out


def test_recommend_for_an_unknown_account(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, community: Community
) -> None:
    args = ("strategy", "recommend", "987654", "--data-dir", community.settings.data_dir)
    code, _out, err = run_main(capsys, monkeypatch, *args)
    assert code == 1
    assert err == "error: account 987654 does not exist\n"


def test_categories_need_an_input_file(tmp_path: Path) -> None:
    path = tmp_path / "cats.csv"
    path.write_text("1,food\n")
    result = CliRunner().invoke(cli, ["strategy", "eval", "--categories", str(path)])
    assert result.exit_code == 2
    assert "--categories goes with --input" in result.output
