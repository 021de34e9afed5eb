"""The `plaudit` command: help everywhere, accounts and tokens, config, db, errors, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from plaudit import __version__
from plaudit.cli.main import cli, main
from plaudit.config import ENV_PREFIX, SETTINGS, load_settings
from plaudit.errors import InvalidInput
from plaudit.platform import Platform
from plaudit.store import head_revision

PLAUDIT = Path(sys.executable).with_name("plaudit")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No PLAUDIT_* setting from the caller's environment, and no ./plaudit-data left behind."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path) -> str:
    return str(tmp_path / "data")


def run(runner: CliRunner, *args: str, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(cli, list(args), env=env, catch_exceptions=False)


def run_main(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    """Run the real entry point in-process: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["plaudit", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    out, err = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 1), out, err


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Walk the tree the way click does (the top group loads its commands lazily)."""
    yield path
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name)


def _command_at(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), name)
        assert found is not None, name
        command = found
    return command


ALL_COMMANDS = list(_commands(cli))


def test_the_command_tree_is_what_the_docs_describe() -> None:
    assert set(ALL_COMMANDS) >= {
        (),
        ("serve",),
        ("demo",),
        ("db",),
        ("db", "upgrade"),
        ("accounts",),
        ("accounts", "create"),
        ("accounts", "token"),
        ("config",),
    }


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda p: " ".join(("plaudit", *p)))
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_works_on_every_command(runner: CliRunner, path: tuple[str, ...], flag: str) -> None:
    result = run(runner, *path, flag)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    command = _command_at(path)
    assert (command.help or "").strip(), f"{' '.join(path)} has no help text"
    flat = " ".join(result.output.split())
    assert command.help is not None
    assert " ".join(command.help.split("\n")[0].split()) in flat
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert (param.help or "").strip(), f"{' '.join(path)} {param.opts} has no help"
            assert param.opts[0] in result.output


def test_version(runner: CliRunner) -> None:
    result = run(runner, "--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"plaudit, version {__version__}"


def test_accounts_create_json_then_token_authenticate(runner: CliRunner, data_dir: str) -> None:
    created = run(
        runner,
        "accounts",
        "create",
        "--handle",
        "alice",
        "--kind",
        "creator",
        "--data-dir",
        data_dir,
        "--json",
    )
    assert created.exit_code == 0, created.output
    body = json.loads(created.stdout)
    assert set(body) >= {"id", "token"}
    assert isinstance(body["id"], int)
    assert body["token"].startswith("pl_")
    assert (body["handle"], body["kind"]) == ("alice", "creator")

    issued = run(runner, "accounts", "token", str(body["id"]), "--data-dir", data_dir)
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip()
    assert token.startswith("pl_")
    assert token != body["token"]
    assert "\n" not in token

    platform = Platform(load_settings(flags={"data_dir": data_dir}, env={})).open()
    try:
        assert platform.accounts.authenticate(token) == body["id"]
        assert platform.accounts.authenticate(body["token"]) == body["id"]
    finally:
        platform.close()


def test_accounts_create_prints_id_and_token_for_people(runner: CliRunner, data_dir: str) -> None:
    result = run(runner, "accounts", "create", "--handle", "bob", "--data-dir", data_dir)
    assert result.exit_code == 0, result.output
    first, second = result.stdout.strip().splitlines()
    assert first.startswith("account ")
    assert "fan @bob" in first
    assert second.startswith("token: pl_")


def test_the_database_url_flag_picks_the_database(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    result = run(runner, "accounts", "create", "--handle", "carol", "--database-url", url)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "elsewhere.db").exists()


def test_an_unknown_kind_is_a_usage_error(runner: CliRunner, data_dir: str) -> None:
    result = runner.invoke(
        cli, ["accounts", "create", "--handle", "dave", "--kind", "admin", "--data-dir", data_dir]
    )
    assert result.exit_code == 2
    assert "admin" in result.stderr


def test_an_unknown_option_exits_2_with_one_error_line(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["accounts", "create", "--handle", "erin", "--bogus"])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1
    assert errors[0].startswith("Error: No such option")
    assert "--bogus" in errors[0]
    assert "Traceback" not in result.output


def test_a_bad_handle_exits_2_with_an_error_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data_dir: str
) -> None:
    code, out, err = run_main(
        capsys, monkeypatch, "accounts", "create", "--handle", "no spaces", "--data-dir", data_dir
    )
    assert code == 2
    assert out == ""
    assert err.startswith("error: handle 'no spaces' is not valid")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_a_taken_handle_exits_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data_dir: str
) -> None:
    args = ("accounts", "create", "--handle", "frank", "--data-dir", data_dir)
    assert run_main(capsys, monkeypatch, *args)[0] == 0
    code, _, err = run_main(capsys, monkeypatch, *args)
    assert code == 1
    assert err == "error: handle 'frank' is taken; choose another\n"


def test_a_token_for_a_missing_account_exits_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data_dir: str
) -> None:
    assert run_main(capsys, monkeypatch, "db", "upgrade", "--data-dir", data_dir)[0] == 0
    code, out, err = run_main(
        capsys, monkeypatch, "accounts", "token", "99", "--data-dir", data_dir
    )
    assert code == 1
    assert (out, err) == ("", "error: account 99 does not exist\n")


@pytest.mark.parametrize(
    "command",
    [
        ("accounts", "token", "1"),
        ("ledger", "audit"),
        ("persona", "refresh"),
        ("segment", "count", "all"),
        ("fund", "close", "2026-11"),
        ("campaigns", "settle"),
    ],
)
def test_commands_that_read_a_platform_refuse_a_directory_without_one(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    data_dir: str,
    command: tuple[str, ...],
) -> None:
    """A mistyped --data-dir is an error with the fix, not a new empty platform."""
    code, out, err = run_main(capsys, monkeypatch, *command, "--data-dir", data_dir)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: --data-dir {data_dir} holds no Plaudit platform;")
    assert "`plaudit demo`" in err
    assert not Path(data_dir).exists()


def test_account_ids_start_at_one(runner: CliRunner, data_dir: str) -> None:
    result = runner.invoke(cli, ["accounts", "token", "0", "--data-dir", data_dir])
    assert result.exit_code == 2


def _config_rows(result: Result) -> dict[str, dict[str, Any]]:
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    return {row["name"]: row for row in rows}


def test_config_json_lists_every_setting_with_value_source_and_help(runner: CliRunner) -> None:
    rows = _config_rows(run(runner, "config", "--json"))
    assert list(rows) == [s.name for s in SETTINGS]
    for setting in SETTINGS:
        row = rows[setting.name]
        assert row["value"] == setting.default
        assert row["source"] == "default"
        assert row["help"] == setting.help
        assert row["env"] == setting.env_var


def test_config_json_reports_flags_env_and_file(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "plaudit.toml"
    config.write_text('[plaudit]\nlog_level = "debug"\nport = 7000\n')
    rows = _config_rows(
        run(
            runner,
            "config",
            "--json",
            "--data-dir",
            str(tmp_path / "d"),
            "--config",
            str(config),
            env={"PLAUDIT_PORT": "9123"},
        )
    )
    assert (rows["data_dir"]["value"], rows["data_dir"]["source"]) == (str(tmp_path / "d"), "flag")
    assert (rows["port"]["value"], rows["port"]["source"]) == (9123, "env")
    assert (rows["log_level"]["value"], rows["log_level"]["source"]) == ("debug", "file")
    assert rows["host"]["source"] == "default"


def test_config_file_from_plaudit_config(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "plaudit.toml"
    config.write_text("access_log = true\n")
    rows = _config_rows(run(runner, "config", "--json", env={"PLAUDIT_CONFIG": str(config)}))
    assert (rows["access_log"]["value"], rows["access_log"]["source"]) == (True, "file")


def test_config_table_names_each_setting_and_source(runner: CliRunner) -> None:
    result = run(runner, "config", env={"PLAUDIT_PORT": "9124"})
    assert result.exit_code == 0
    for setting in SETTINGS:
        assert f"{setting.name} = " in result.stdout
        assert setting.help in result.stdout
    assert "port = 9124  [env; PLAUDIT_PORT]" in result.stdout


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_config_never_prints_a_database_password(runner: CliRunner, as_json: bool) -> None:
    url = "postgresql+psycopg://plaudit:s3cret-pw@db.internal/plaudit"
    args = ["config", "--database-url", url] + (["--json"] if as_json else [])
    result = run(runner, *args)
    assert result.exit_code == 0
    assert "db.internal" in result.stdout
    assert "s3cret-pw" not in result.stdout


@pytest.mark.parametrize(
    ("env", "setting"),
    [({"PLAUDIT_PORT": "abc"}, "port"), ({"PLAUDIT_ACCESS_LOG": "maybe"}, "access_log")],
)
def test_a_bad_setting_is_a_usage_error_naming_it(
    runner: CliRunner, env: dict[str, str], setting: str
) -> None:
    result = runner.invoke(cli, ["config", "--json"], env=env)
    assert result.exit_code == 2
    assert setting in result.stderr
    assert result.stdout == ""


def test_an_unknown_key_in_the_config_file_is_a_usage_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    config = tmp_path / "plaudit.toml"
    config.write_text("prot = 8000\n")
    result = runner.invoke(cli, ["config", "--config", str(config)])
    assert result.exit_code == 2
    assert "prot" in result.stderr
    assert "port" in result.stderr


def test_db_upgrade_on_an_empty_dir_prints_the_schema_revision(
    runner: CliRunner, data_dir: str
) -> None:
    first = run(runner, "db", "upgrade", "--data-dir", data_dir)
    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == f"schema at {head_revision()} (was empty)"
    again = run(runner, "db", "upgrade", "--data-dir", data_dir)
    assert again.stdout.strip() == f"schema at {head_revision()} (was {head_revision()})"
    assert (Path(data_dir) / "plaudit.db").exists()


def _installed(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    return subprocess.run(
        [str(PLAUDIT), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=60
    )


def test_installed_command_exit_codes(tmp_path: Path) -> None:
    bad = _installed(
        "accounts", "create", "--handle", "x y", "--data-dir", str(tmp_path / "d"), cwd=tmp_path
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.startswith("error: handle 'x y' is not valid")
    assert bad.stderr.count("\n") == 1
    assert "Traceback" not in bad.stderr

    unknown = _installed("db", "upgrade", "--bogus", cwd=tmp_path)
    assert unknown.returncode == 2
    errors = [line for line in unknown.stderr.splitlines() if "Error" in line]
    assert len(errors) == 1
    assert "--bogus" in errors[0]
    assert "Traceback" not in unknown.stderr


def test_apps_register_list_and_retire(runner: CliRunner, data_dir: str) -> None:
    made = run(runner, "accounts", "create", "--handle", "dev", "--kind", "creator",
               "--data-dir", data_dir, "--json")  # fmt: skip
    developer = str(json.loads(made.stdout)["id"])
    registered = run(
        runner, "apps", "register", "--developer", developer, "--name", "Scheduler",
        "--redirect-uri", "https://app.example/cb", "--scope", "likes:write",
        "--confidential", "--data-dir", data_dir,
    )  # fmt: skip
    assert registered.exit_code == 0, registered.output
    app = json.loads(registered.stdout)
    assert app["client_id"].startswith("plaudit_app_")
    assert app["client_secret"].startswith("plaudit_cs_")
    listed = run(runner, "apps", "list", "--developer", developer, "--data-dir", data_dir)
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [app["id"]]
    assert "client_secret" not in listed.stdout
    with pytest.raises(InvalidInput, match="redirect URI"):  # plain http off loopback
        run(
            runner, "apps", "register", "--developer", developer, "--name", "Spy",
            "--redirect-uri", "http://app.example/cb", "--scope", "likes:read",
            "--data-dir", data_dir,
        )  # fmt: skip
    retired = run(runner, "apps", "retire", str(app["id"]), "--developer", developer,
                  "--data-dir", data_dir)  # fmt: skip
    assert json.loads(retired.stdout)["revoked_at"] is not None
