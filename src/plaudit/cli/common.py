"""What every command shares: settings options, error reporting, JSON output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from plaudit.config import Settings, load_settings
from plaudit.errors import ConfigError, InvalidInput, PlauditError

__all__ = ["fail", "print_json", "settings_from", "settings_options"]

F = TypeVar("F", bound=Callable[..., Any])


def settings_options(command: F) -> F:
    """Add --data-dir, --database-url and --config to a command."""
    options = [
        click.option(
            "--config",
            "config_file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="TOML file of settings (also $PLAUDIT_CONFIG).",
        ),
        click.option("--database-url", help="SQLAlchemy URL; default SQLite in the data dir."),
        click.option("--data-dir", help="Data directory (default ./plaudit-data)."),
    ]
    for option in options:
        command = option(command)
    return command


def settings_from(config_file: Path | None = None, **flags: Any) -> Settings:
    try:
        return load_settings(flags=flags, config_file=config_file)
    except ConfigError as exc:
        raise click.UsageError(exc.detail) from None


def fail(error: PlauditError) -> None:
    """Report a Plaudit error as one line; exit 2 for bad input, 1 for everything else."""
    click.echo(f"error: {error.detail}", err=True)
    sys.exit(2 if isinstance(error, InvalidInput | ConfigError) else 1)


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, default=str))
