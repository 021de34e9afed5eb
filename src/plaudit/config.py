"""Settings: declared once, resolved from flags, then environment, then a TOML file, then defaults.

Every setting is a field of `Settings` carrying its help text and parser (the datasette
pattern), so `plaudit config` can print them all with their values and where each value came
from, and a test keeps `docs/operations.md` complete. Nothing here runs at import time: a
`Settings` object is built by `load_settings` and passed to whatever needs it.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plaudit.errors import ConfigError
from plaudit.ledger.cosignature import parse_cosignature_verifier_key
from plaudit.ledger.errors import KeyFormatError

__all__ = ["ENV_PREFIX", "SETTINGS", "Setting", "Settings", "load_settings"]

ENV_PREFIX = "PLAUDIT_"


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _parse_positive_int(value: Any) -> int:
    if isinstance(value, bool | float):
        raise ValueError(f"expected a positive integer, got {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a positive integer, got {value!r}") from None
    if number <= 0:
        raise ValueError(f"expected a positive integer, got {value!r}")
    return number


def _parse_positive_float(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a positive number, got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"expected a positive number, got {value!r}")
    return number


def _parse_non_negative_float(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number >= 0, got {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"expected a number >= 0, got {value!r}")
    return number


def _parse_port(value: Any) -> int:
    port = _parse_positive_int(value)
    if port > 65535:
        raise ValueError(f"expected a TCP port from 1 to 65535, got {value!r}")
    return port


def _parse_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _parse_log_level(value: Any) -> str:
    level = _parse_str(value).lower()
    if level not in {"debug", "info", "warning", "error"}:
        raise ValueError(f"expected debug, info, warning or error, got {value!r}")
    return level


def _parse_synchronous(value: Any) -> str:
    mode = _parse_str(value).lower()
    if mode not in {"full", "normal"}:
        raise ValueError(f"expected full or normal, got {value!r}")
    return mode


def _parse_reward_hold(value: Any) -> str:
    mode = _parse_str(value).lower()
    if mode not in {"scan", "none"}:
        raise ValueError(f"expected scan or none, got {value!r}")
    return mode


def _parse_counter_store(value: Any) -> str:
    mode = _parse_str(value).lower()
    if mode not in {"auto", "memory", "postgres"}:
        raise ValueError(f"expected auto, memory or postgres, got {value!r}")
    return mode


def _parse_witnesses(value: Any) -> str:
    """Witness cosignature keys, separated by commas or spaces (a TOML list works too).

    Kept as one normalised string (`key,key`), so the value prints and round-trips through
    JSON like every other setting; `Settings.witness_keys` gives the keys.
    """
    items = (
        value if isinstance(value, list | tuple) else _parse_str(value).replace(",", " ").split()
    )
    keys: list[str] = []
    for item in items:
        try:
            keys.append(parse_cosignature_verifier_key(_parse_str(item).strip()).key_string)
        except KeyFormatError as exc:
            raise ValueError(f"not a witness cosignature key (name+id+base64): {exc}") from None
    return ",".join(dict.fromkeys(keys))


def _setting(default: Any, help_text: str, parse: Callable[[Any], Any]) -> Any:
    return field(default=default, metadata={"help": help_text, "parse": parse})


@dataclass(frozen=True)
class Settings:
    """Resolved settings; `sources` says where each value came from (flag/env/file/default)."""

    data_dir: str = _setting(
        "./plaudit-data",
        "Directory for the embedded database, keys and generated files; created on first use.",
        _parse_str,
    )
    database_url: str = _setting(
        "",
        "SQLAlchemy URL of the system of record. Empty: SQLite at DATA_DIR/plaudit.db. "
        "postgresql+psycopg://user:pass@host/db selects PostgreSQL.",
        _parse_str,
    )
    host: str = _setting("127.0.0.1", "Address `plaudit serve` listens on.", _parse_str)
    port: int = _setting(8000, "TCP port `plaudit serve` listens on.", _parse_port)
    pool_size: int = _setting(10, "PostgreSQL connections pooled per process.", _parse_positive_int)
    sqlite_busy_timeout_ms: int = _setting(
        5000,
        "How long a SQLite connection waits for a lock before failing, in milliseconds.",
        _parse_positive_int,
    )
    sqlite_synchronous: str = _setting(
        "full",
        "SQLite durability: full survives power loss at each commit; normal survives a "
        "crash of the process but may lose the last commits on power loss.",
        _parse_synchronous,
    )
    write_batch_max: int = _setting(
        256,
        "Most queued writes committed in one transaction (group commit): larger batches "
        "raise throughput and latency.",
        _parse_positive_int,
    )
    bulk_max_items: int = _setting(
        10000, "Most interactions accepted by one bulk request.", _parse_positive_int
    )
    ledger_origin: str = _setting(
        "plaudit.localhost/ledger",
        "The ledger's name (the checkpoint origin line): a name you control, such as your "
        "domain and a path.",
        _parse_str,
    )
    checkpoint_interval_s: float = _setting(
        1.0,
        "Most seconds between signed checkpoints while there are new ledger entries.",
        _parse_positive_float,
    )
    ledger_witnesses: str = _setting(
        "",
        "Witnesses whose cosignatures the ledger accepts (POST /v1/ledger/cosignatures) and "
        "serves with its checkpoints: their cosignature verifier keys (name+id+base64, type "
        "0x04), separated by commas or spaces.",
        _parse_witnesses,
    )
    log_level: str = _setting(
        "info", "Server log level: debug, info, warning or error.", _parse_log_level
    )
    access_log: bool = _setting(
        False, "Log every HTTP request (slows the server under load).", _parse_bool
    )
    privacy_k: int = _setting(
        100,
        "Smallest audience count shown to brands and creators; smaller counts and insight "
        "cells are suppressed and shown as <k.",
        _parse_positive_int,
    )
    dp_epsilon: float = _setting(
        0.0,
        "Differential-privacy epsilon of the Laplace noise added to audience insights; "
        "0 turns the noise off, smaller values add more noise.",
        _parse_non_negative_float,
    )
    # --- authenticity: real-time rules at ingest (docs/authenticity.md, "Real-time rules") ---
    rules_enabled: bool = _setting(
        True,
        "Apply the real-time authenticity rules to likes (single and bulk); false accepts "
        "every like with risk 0.",
        _parse_bool,
    )
    rule_account_hold_per_min: int = _setting(
        20, "Likes by one account in 60 s above which its likes are held.", _parse_positive_int
    )
    rule_account_limit_per_min: int = _setting(
        60,
        "Likes by one account in 60 s above which its likes are refused (429).",
        _parse_positive_int,
    )
    rule_device_hold_per_min: int = _setting(
        30, "Likes from one device in 60 s above which they are held.", _parse_positive_int
    )
    rule_device_limit_per_min: int = _setting(
        120,
        "Likes from one device in 60 s above which they are refused (429).",
        _parse_positive_int,
    )
    rule_ip_hold_per_min: int = _setting(
        600,
        "Likes from one public IP prefix (/24, /48) in 60 s above which they are held "
        "(never refused: many people share a carrier NAT).",
        _parse_positive_int,
    )
    rule_device_accounts_hold: int = _setting(
        3,
        "Accounts seen liking from one device in 24 h above which their likes are held.",
        _parse_positive_int,
    )
    rule_device_accounts_limit: int = _setting(
        10,
        "Accounts seen liking from one device in 24 h above which likes are refused (403).",
        _parse_positive_int,
    )
    rule_new_account_age_s: int = _setting(
        86_400,
        "Accounts younger than this many seconds are new: their likes carry more risk.",
        _parse_positive_int,
    )
    rule_new_account_hold_per_hour: int = _setting(
        30,
        "Likes by a new account in one hour above which its likes are held.",
        _parse_positive_int,
    )
    # --- campaigns (docs/campaigns.md) ---
    reward_hold: str = _setting(
        "scan",
        "When a campaign reward may be released: scan waits until every like behind it is "
        "covered by a finished authenticity scan (and not held or revoked); none releases "
        "as soon as the likes are not held or revoked (for tests and trusted deployments).",
        _parse_reward_hold,
    )
    rules_counter_store: str = _setting(
        "auto",
        "Where the real-time rules count likes: memory (this process only), postgres (one "
        "set of windows shared by every API process, in 10 s buckets; needs a PostgreSQL "
        "database_url) or auto (postgres when the database is PostgreSQL, else memory).",
        _parse_counter_store,
    )
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser()

    @property
    def db_url(self) -> str:
        """The effective database URL: the configured one, or SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_path / 'plaudit.db').resolve()}"

    @property
    def witness_keys(self) -> tuple[str, ...]:
        """The cosignature verifier keys of `ledger_witnesses`, one per witness."""
        return tuple(key for key in self.ledger_witnesses.split(",") if key)

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    def with_values(self, **overrides: Any) -> Settings:
        """A copy with some values overridden and validated (tests and commands use it)."""
        parsed = {
            name: _coerce(_lookup(name), value, "override") for name, value in overrides.items()
        }
        sources = {**self.sources, **dict.fromkeys(overrides, "override")}
        return dataclasses.replace(self, sources=sources, **parsed)


@dataclass(frozen=True)
class Setting:
    """The declaration of one setting, for help output and documentation."""

    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any]

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper()


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(f.name, f.default, f.metadata["help"], f.metadata["parse"])
    for f in dataclasses.fields(Settings)
    if "help" in f.metadata
)
_BY_NAME: Mapping[str, Setting] = {s.name: s for s in SETTINGS}


def _lookup(name: str) -> Setting:
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(_BY_NAME))
        raise ConfigError(f"unknown setting {name!r}; known settings: {known}") from None


def _coerce(setting: Setting, value: Any, source: str) -> Any:
    try:
        return setting.parse(value)
    except ValueError as exc:
        raise ConfigError(f"setting {setting.name} (from {source}): {exc}") from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    section = data.get("plaudit", data)
    if not isinstance(section, dict):
        raise ConfigError(f"config file {path}: [plaudit] must be a table of settings")
    for key in section:
        _lookup(key)
    return section


def load_settings(
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Resolve every setting: flags, then PLAUDIT_* variables, then the file, then defaults.

    `env` defaults to the process environment; `config_file` defaults to $PLAUDIT_CONFIG.
    An unknown key in the file is an error, so a typo never silently falls back to a default.
    """
    environ = os.environ if env is None else env
    if config_file is None and environ.get(ENV_PREFIX + "CONFIG"):
        config_file = Path(environ[ENV_PREFIX + "CONFIG"])
    file_values = _read_toml(config_file) if config_file else {}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for setting in SETTINGS:
        flag = (flags or {}).get(setting.name)
        if flag is not None:
            values[setting.name], sources[setting.name] = _coerce(setting, flag, "flag"), "flag"
        elif setting.env_var in environ:
            values[setting.name] = _coerce(setting, environ[setting.env_var], setting.env_var)
            sources[setting.name] = "env"
        elif setting.name in file_values:
            values[setting.name] = _coerce(setting, file_values[setting.name], str(config_file))
            sources[setting.name] = "file"
        else:
            values[setting.name], sources[setting.name] = setting.default, "default"
    return Settings(sources=sources, **values)
