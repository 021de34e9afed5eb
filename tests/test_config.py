"""Settings: precedence flags > PLAUDIT_* env > TOML file > defaults, validation, sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.config import ENV_PREFIX, SETTINGS, Settings, load_settings
from plaudit.errors import ConfigError

NAMES = {s.name for s in SETTINGS}
DEFAULTS = {s.name: s.default for s in SETTINGS}


def write_toml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_every_setting_is_declared_with_help_and_an_env_var() -> None:
    assert {s.name for s in SETTINGS} == {
        "data_dir",
        "database_url",
        "host",
        "port",
        "pool_size",
        "sqlite_busy_timeout_ms",
        "sqlite_synchronous",
        "write_batch_max",
        "bulk_max_items",
        "ledger_origin",
        "checkpoint_interval_s",
        "log_level",
        "access_log",
        "ledger_witnesses",
        "privacy_k",
        "dp_epsilon",
        # authenticity: real-time rules (issue 4)
        "rules_enabled",
        "rule_account_hold_per_min",
        "rule_account_limit_per_min",
        "rule_device_hold_per_min",
        "rule_device_limit_per_min",
        "rule_ip_hold_per_min",
        "rule_device_accounts_hold",
        "rule_device_accounts_limit",
        "rule_new_account_age_s",
        "rule_new_account_hold_per_hour",
        # campaigns (issue 7)
        "reward_hold",
        "ledger_witness_urls",
        "witness_interval_s",
        # the open API platform (issue 13)
        "idempotency_window_s",
        "rate_limit",
        "rate_limit_anonymous",
        "rate_limit_storage",
        "webhooks_allow_private",
        # third-party apps and per-account quota (issue 13, OAuth)
        "rate_limit_account",
        "oauth_code_ttl_s",
        "oauth_access_ttl_s",
        "oauth_refresh_ttl_s",
        "oauth_app_rate_limit",
        "oauth_allow_http",
        # privacy of audience answers (issue 17)
        "dp_epsilon_insights",
        "dp_epsilon_overlap",
        "privacy_budget",
        "privacy_budget_window_s",
        "privacy_round",
        "segment_max_expansion",
        "segment_max_reference_depth",
        "campaigns_running_max",
        # hardening (issue 17)
        "platform_epoch",
        "clock_skew_s",
        "max_body_bytes",
        "token_ttl_s",
        "trusted_proxies",
        # shared rule windows (issue 15)
        "rules_counter_store",
        # passkeys (issue 11)
        "passkey_rp_id",
        "passkey_origins",
    }
    for setting in SETTINGS:
        assert setting.help.strip(), setting.name
        assert setting.env_var == "PLAUDIT_" + setting.name.upper()


def test_defaults_apply_when_nothing_is_given() -> None:
    settings = load_settings(flags={}, env={})
    for name, default in DEFAULTS.items():
        assert getattr(settings, name) == default
    assert settings.sources == dict.fromkeys(NAMES, "default")


def test_default_database_is_sqlite_inside_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(flags={"data_dir": str(tmp_path / "d")}, env={})
    assert settings.is_sqlite
    assert settings.db_url == f"sqlite:///{(tmp_path / 'd' / 'plaudit.db').resolve()}"


def test_relative_data_dir_gives_an_absolute_sqlite_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(flags={"data_dir": "rel"}, env={})
    path = Path(settings.db_url.removeprefix("sqlite:///"))
    assert path.is_absolute()
    assert path == tmp_path.resolve() / "rel" / "plaudit.db"


def test_data_dir_expands_the_home_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = load_settings(flags={"data_dir": "~/plaudit"}, env={})
    assert settings.data_path == tmp_path / "plaudit"


def test_a_configured_database_url_is_used_as_is() -> None:
    url = "postgresql+psycopg://u:p@db.example/plaudit"
    settings = load_settings(flags={"database_url": url}, env={})
    assert settings.db_url == url
    assert not settings.is_sqlite


def test_precedence_flag_over_env_over_file_over_default(tmp_path: Path) -> None:
    config = write_toml(
        tmp_path / "p.toml",
        '[plaudit]\nport = 7001\nhost = "file-host"\nlog_level = "debug"\npool_size = 3\n',
    )
    env = {"PLAUDIT_PORT": "7002", "PLAUDIT_HOST": "env-host", "PLAUDIT_POOL_SIZE": "4"}
    settings = load_settings(flags={"port": 7003}, env=env, config_file=config)
    assert (settings.port, settings.sources["port"]) == (7003, "flag")
    assert (settings.host, settings.sources["host"]) == ("env-host", "env")
    assert (settings.pool_size, settings.sources["pool_size"]) == (4, "env")
    assert (settings.log_level, settings.sources["log_level"]) == ("debug", "file")
    assert (settings.write_batch_max, settings.sources["write_batch_max"]) == (256, "default")


def test_a_flag_of_none_means_not_given() -> None:
    settings = load_settings(flags={"port": None, "data_dir": None}, env={"PLAUDIT_PORT": "9100"})
    assert (settings.port, settings.sources["port"]) == (9100, "env")
    assert settings.sources["data_dir"] == "default"


def test_top_level_toml_keys_work_without_a_plaudit_table(tmp_path: Path) -> None:
    config = write_toml(tmp_path / "p.toml", 'port = 7100\naccess_log = true\nhost = "h"\n')
    settings = load_settings(env={}, config_file=config)
    assert (settings.port, settings.access_log, settings.host) == (7100, True, "h")
    assert settings.sources["port"] == settings.sources["access_log"] == "file"


def test_plaudit_config_env_picks_the_file(tmp_path: Path) -> None:
    config = write_toml(tmp_path / "p.toml", "[plaudit]\nport = 7200\n")
    settings = load_settings(env={"PLAUDIT_CONFIG": str(config)})
    assert (settings.port, settings.sources["port"]) == (7200, "file")


def test_an_explicit_config_file_wins_over_plaudit_config(tmp_path: Path) -> None:
    from_env = write_toml(tmp_path / "env.toml", "port = 7300\n")
    explicit = write_toml(tmp_path / "explicit.toml", "port = 7301\n")
    settings = load_settings(env={"PLAUDIT_CONFIG": str(from_env)}, config_file=explicit)
    assert settings.port == 7301


def test_unknown_key_in_the_file_names_the_known_settings(tmp_path: Path) -> None:
    config = write_toml(tmp_path / "p.toml", "[plaudit]\nprot = 8000\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(env={}, config_file=config)
    detail = caught.value.detail
    assert "prot" in detail
    for name in NAMES:
        assert name in detail


def test_missing_config_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(env={"PLAUDIT_CONFIG": str(tmp_path / "absent.toml")})


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    config = write_toml(tmp_path / "p.toml", "port = = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(env={}, config_file=config)


def test_plaudit_key_that_is_not_a_table_is_a_config_error(tmp_path: Path) -> None:
    config = write_toml(tmp_path / "p.toml", "plaudit = 3\n")
    with pytest.raises(ConfigError, match=r"\[plaudit\]"):
        load_settings(env={}, config_file=config)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("port", "abc"),
        ("port", "-1"),
        ("port", "0"),
        ("port", "80.5"),
        ("port", "true"),
        ("pool_size", ""),
        ("write_batch_max", "-5"),
        ("checkpoint_interval_s", "-0.5"),
        ("checkpoint_interval_s", "soon"),
        ("access_log", "maybe"),
        ("access_log", "2"),
        ("log_level", "verbose"),
        ("sqlite_synchronous", "off"),
    ],
)
def test_bad_env_values_name_the_setting(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env={ENV_PREFIX + name.upper(): value})
    assert name in caught.value.detail
    assert ENV_PREFIX + name.upper() in caught.value.detail


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("port = true", "port"),
        ('port = "abc"', "port"),
        ("port = -80", "port"),
        ('access_log = "maybe"', "access_log"),
        ("host = 5", "host"),
        ('checkpoint_interval_s = "never"', "checkpoint_interval_s"),
    ],
)
def test_bad_file_values_name_the_setting(tmp_path: Path, line: str, name: str) -> None:
    config = write_toml(tmp_path / "p.toml", f"[plaudit]\n{line}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(env={}, config_file=config)
    assert name in caught.value.detail


def test_a_fractional_port_in_the_file_is_rejected_not_truncated(tmp_path: Path) -> None:
    config = write_toml(tmp_path / "p.toml", "port = 8080.9\n")
    with pytest.raises(ConfigError, match="port"):
        load_settings(env={}, config_file=config)


def test_a_nan_checkpoint_interval_is_rejected() -> None:
    with pytest.raises(ConfigError, match="checkpoint_interval_s"):
        load_settings(env={"PLAUDIT_CHECKPOINT_INTERVAL_S": "nan"})


def test_a_port_above_65535_is_rejected_when_settings_load() -> None:
    with pytest.raises(ConfigError, match="port"):
        load_settings(env={"PLAUDIT_PORT": "70000"})


def test_bad_flag_values_name_the_setting() -> None:
    with pytest.raises(ConfigError, match="write_batch_max"):
        load_settings(flags={"write_batch_max": 0}, env={})


@given(st.integers(min_value=1, max_value=10**12), st.sampled_from(["", " ", "\t"]))
def test_positive_integer_strings_parse(number: int, pad: str) -> None:
    settings = load_settings(env={"PLAUDIT_BULK_MAX_ITEMS": f"{pad}{number}{pad}"})
    assert settings.bulk_max_items == number


@given(st.integers(max_value=0))
def test_non_positive_integers_are_rejected(number: int) -> None:
    with pytest.raises(ConfigError, match="pool_size"):
        load_settings(env={"PLAUDIT_POOL_SIZE": str(number)})


def _random_case(draw: st.DrawFn, word: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(c.upper() if f else c for c, f in zip(word, flips, strict=True))


@st.composite
def bool_texts(draw: st.DrawFn) -> tuple[str, bool]:
    word, meaning = draw(
        st.sampled_from(
            [
                ("1", True),
                ("true", True),
                ("yes", True),
                ("on", True),
                ("0", False),
                ("false", False),
                ("no", False),
                ("off", False),
            ]
        )
    )
    pad = draw(st.sampled_from(["", " ", "  "]))
    return pad + _random_case(draw, word) + pad, meaning


@given(bool_texts())
def test_bool_strings_parse_in_any_case(case: tuple[str, bool]) -> None:
    text, meaning = case
    assert load_settings(env={"PLAUDIT_ACCESS_LOG": text}).access_log is meaning


@given(st.text(max_size=8))
def test_other_strings_are_not_booleans(text: str) -> None:
    if text.strip().lower() in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
        return
    with pytest.raises(ConfigError, match="access_log"):
        load_settings(env={"PLAUDIT_ACCESS_LOG": text})


def test_with_values_overrides_validates_and_reports_override(tmp_path: Path) -> None:
    base = load_settings(flags={"data_dir": str(tmp_path)}, env={})
    changed = base.with_values(port="9000", access_log="yes")
    assert (changed.port, changed.access_log) == (9000, True)
    assert changed.sources["port"] == changed.sources["access_log"] == "override"
    assert changed.sources["data_dir"] == "flag"
    assert (base.port, base.sources["port"]) == (8000, "default")


def test_with_values_rejects_bad_values() -> None:
    base = load_settings(env={})
    with pytest.raises(ConfigError, match="port"):
        base.with_values(port="abc")
    with pytest.raises(ConfigError, match="log_level"):
        base.with_values(log_level="loud")


def test_with_values_rejects_unknown_settings() -> None:
    with pytest.raises(ConfigError, match="known settings"):
        load_settings(env={}).with_values(prot=1)


def test_settings_are_immutable_values() -> None:
    settings = load_settings(env={})
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]
    assert settings == Settings(**DEFAULTS)


def test_shared_rule_windows_on_sqlite_are_refused_with_the_fix(tmp_path: Path) -> None:
    from plaudit.platform import Platform

    settings = load_settings(
        flags={"data_dir": str(tmp_path), "rules_counter_store": "postgres"}, env={}
    )
    with pytest.raises(ConfigError, match=r"needs a PostgreSQL database.*database_url"):
        Platform(settings)
