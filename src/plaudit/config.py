"""Settings: declared once, resolved from flags, then environment, then a TOML file, then defaults.

Every setting is a field of `Settings` carrying its help text and parser (the datasette
pattern), so `plaudit config` can print them all with their values and where each value came
from, and a test keeps `docs/operations.md` complete. Nothing here runs at import time: a
`Settings` object is built by `load_settings` and passed to whatever needs it.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from plaudit.errors import ConfigError

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
    # imported here: the ledger's crypto would cost every `plaudit` start ~40 ms otherwise
    from plaudit.ledger.cosignature import parse_cosignature_verifier_key
    from plaudit.ledger.errors import KeyFormatError

    keys: list[str] = []
    for item in items:
        try:
            keys.append(parse_cosignature_verifier_key(_parse_str(item).strip()).key_string)
        except KeyFormatError as exc:
            raise ValueError(f"not a witness cosignature key (name+id+base64): {exc}") from None
    return ",".join(dict.fromkeys(keys))


def _parse_rate(value: Any) -> str:
    """A rate such as `600/minute` or `10/second` (the `limits` library's notation)."""
    import limits

    text = _parse_str(value).strip()
    try:
        limits.parse(text)
    except ValueError:
        raise ValueError(f"expected a rate such as 600/minute, got {value!r}") from None
    return text


def _parse_limits_storage(value: Any) -> str:
    """A `limits` storage URI: memory:// (one process) or redis://HOST:PORT (shared)."""
    text = _parse_str(value).strip()
    if not text.startswith(("memory://", "redis://", "rediss://", "memcached://")):
        raise ValueError(f"expected memory:// or redis://HOST:PORT, got {value!r}")
    return text


def _parse_epoch(value: Any) -> str:
    """An ISO 8601 instant with a zone, not before 1970 (the ledger's time field is unsigned);
    kept as its normalised UTC text so it prints and round-trips like every other setting."""
    try:
        moment = datetime.fromisoformat(_parse_str(value).strip())
    except ValueError:
        raise ValueError(
            f"expected an ISO 8601 time such as 2020-01-01T00:00:00Z, got {value!r}"
        ) from None
    if moment.tzinfo is None:
        raise ValueError(f"expected a time with a zone (Z or +08:00), got {value!r}")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{value!r} is outside the years 1970-9999") from None
    if moment.year < 1970:
        raise ValueError(f"the epoch cannot be before 1970-01-01T00:00:00Z, got {value!r}")
    return moment.isoformat().replace("+00:00", "Z")


def _parse_networks(value: Any) -> str:
    """Addresses or networks (CIDR), separated by commas or spaces; a TOML list works too."""
    text = value if isinstance(value, list | tuple) else _parse_str(value).replace(",", " ")
    items = text if isinstance(text, list | tuple) else text.split()
    nets: list[str] = []
    for item in items:
        try:
            nets.append(str(ipaddress.ip_network(_parse_str(item).strip(), strict=False)))
        except ValueError:
            raise ValueError(
                f"expected an IP address or network such as 10.0.0.0/8, got {item!r}"
            ) from None
    return ",".join(dict.fromkeys(nets))


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
        0.25,
        "Differential-privacy epsilon of one audience count shown to a brand or creator "
        "(a segment count, a campaign's eligible audience, a lookalike's bounds); smaller "
        "values add more noise; 0 turns the noise off (differencing then recovers exact "
        "counts: docs/segments.md).",
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
    ledger_witness_urls: str = _setting(
        "",
        "Where the server sends each new checkpoint for cosigning (c2sp.org/tlog-witness "
        "add-checkpoint): <witness name>=<submission URL prefix> per witness, separated by "
        "commas or spaces; each name must have its key in ledger_witnesses.",
        _parse_str,
    )
    witness_interval_s: float = _setting(
        5.0,
        "Seconds between two rounds of sending the latest checkpoint to the witnesses.",
        _parse_positive_float,
    )
    # --- the open API platform (docs/api.md) ---
    idempotency_window_s: int = _setting(
        86_400,
        "Seconds an Idempotency-Key and its stored response are kept; a retry after that is "
        "a new request.",
        _parse_positive_int,
    )
    rate_limit: str = _setting(
        "10000/minute",
        "Requests one credential (account token or API key) may make in a moving window; "
        "more are 429 with Retry-After.",
        _parse_rate,
    )
    rate_limit_account: str = _setting(
        "30000/minute",
        "Requests one account may make with all its tokens, API keys and apps' access tokens "
        "together in a moving window; more are 429 with Retry-After.",
        _parse_rate,
    )
    rate_limit_anonymous: str = _setting(
        "1000/minute",
        "Requests without a credential one client address may make in a moving window.",
        _parse_rate,
    )
    rate_limit_storage: str = _setting(
        "memory://",
        "Where rate-limit counters live: memory:// counts per process; redis://HOST:PORT "
        "shares them between API processes (PostgreSQL deployments with several servers).",
        _parse_limits_storage,
    )
    oauth_code_ttl_s: int = _setting(
        60,
        "Seconds an OAuth authorization code may wait for its exchange (RFC 6749 4.1.2 asks "
        "for a short life; it works once).",
        _parse_positive_int,
    )
    oauth_access_ttl_s: int = _setting(
        3600,
        "Seconds a third-party app's access token works; then the app uses its refresh token.",
        _parse_positive_int,
    )
    oauth_refresh_ttl_s: int = _setting(
        30 * 86_400,
        "Seconds a refresh token works; each use replaces it with a new one (rotation).",
        _parse_positive_int,
    )
    oauth_app_rate_limit: str = _setting(
        "20000/minute",
        "Requests one third-party app may make with all its access tokens together in a "
        "moving window (on top of each token's own `rate_limit`); more are 429.",
        _parse_rate,
    )
    oauth_allow_http: bool = _setting(
        False,
        "Serve the OAuth endpoints over plain http from any host (tests behind a proxy); "
        "https is required otherwise, except on loopback addresses.",
        _parse_bool,
    )
    webhooks_allow_private: bool = _setting(
        False,
        "Let webhook endpoints point at private, loopback and link-local addresses (tests, "
        "a receiver on the same network); refused by default against SSRF.",
        _parse_bool,
    )
    # --- privacy of audience answers (docs/segments.md, "Privacy") ---
    dp_epsilon_insights: float = _setting(
        2.0,
        "Differential-privacy epsilon of one insight profile or fan base (spread over all "
        "its cells); 0 turns the noise off.",
        _parse_non_negative_float,
    )
    dp_epsilon_overlap: float = _setting(
        1.0,
        "Differential-privacy epsilon of one overlap answer (spread over its cells); 0 turns "
        "the noise off.",
        _parse_non_negative_float,
    )
    privacy_budget: float = _setting(
        20.0,
        "Epsilon each organisation, creator and brand account may spend on new audience "
        "questions per privacy_budget_window_s; then 429 privacy-budget-exhausted.",
        _parse_positive_float,
    )
    privacy_budget_window_s: int = _setting(
        86_400,
        "Length of the rolling window of the privacy budget, in seconds.",
        _parse_positive_int,
    )
    privacy_round: int = _setting(
        10,
        "Noisy audience counts are shown rounded to a multiple of this.",
        _parse_positive_int,
    )
    segment_max_expansion: int = _setting(
        10_000,
        "Most conditions a segment expression may expand to with its saved segments written "
        "out; more is a 422.",
        _parse_positive_int,
    )
    segment_max_reference_depth: int = _setting(
        8,
        "Most levels of saved segments referring to saved segments; more is a 422.",
        _parse_positive_int,
    )
    campaigns_running_max: int = _setting(
        20,
        "Most running (not ended) campaigns one organisation may have at once.",
        _parse_positive_int,
    )
    # --- hardening (docs/security.md) ---
    platform_epoch: str = _setting(
        "2000-01-01T00:00:00Z",
        "The earliest time an interaction may carry (bulk `at`); earlier items are refused "
        "one by one. Not before 1970-01-01T00:00:00Z, the ledger's first representable time.",
        _parse_epoch,
    )
    clock_skew_s: float = _setting(
        300.0,
        "How far in the future a bulk item's `at` may be (the sender's clock running fast).",
        _parse_non_negative_float,
    )
    max_body_bytes: int = _setting(
        4 * 1024 * 1024,
        "Largest request body accepted; a bigger one is a 413 payload-too-large problem.",
        _parse_positive_int,
    )
    token_ttl_s: float = _setting(
        0.0,
        "Bearer tokens expire this many seconds after they are issued; 0 keeps them until "
        "revoked (DELETE /v1/me/tokens/{id}, `plaudit accounts revoke-token`).",
        _parse_non_negative_float,
    )
    passkey_rp_id: str = _setting(
        "localhost",
        "The console's passkey (WebAuthn) relying party: the domain people open the console "
        "on, such as plaudit.example.com. A passkey belongs to it; an IP address cannot be one.",
        _parse_str,
    )
    passkey_origins: str = _setting(
        "",
        "Origins (scheme://host[:port], comma separated) passkeys may be used from. Empty: "
        "http://localhost:PORT and https://localhost:PORT with this server's port.",
        _parse_str,
    )
    trusted_proxies: str = _setting(
        "",
        "Addresses or networks (CIDR, comma separated) of your reverse proxies: only a "
        "connection from one of them may name the client with X-Forwarded-For or Forwarded. "
        "Empty trusts no header (docs/security.md).",
        _parse_networks,
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
    def passkey_origin_list(self) -> list[str]:
        """The origins a passkey response may come from (`passkey_origins` or its default)."""
        given = [o.strip().rstrip("/") for o in self.passkey_origins.split(",") if o.strip()]
        return given or [f"http://localhost:{self.port}", f"https://localhost:{self.port}"]

    @property
    def witness_keys(self) -> tuple[str, ...]:
        """The cosignature verifier keys of `ledger_witnesses`, one per witness."""
        return tuple(key for key in self.ledger_witnesses.split(",") if key)

    @property
    def epoch(self) -> datetime:
        """`platform_epoch` as an aware UTC datetime."""
        return datetime.fromisoformat(self.platform_epoch)

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
