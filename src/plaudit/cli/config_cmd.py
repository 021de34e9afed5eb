"""`plaudit config`: every setting with its value, where the value came from, and help."""

from __future__ import annotations

from pathlib import Path

import click

from plaudit.cli.common import print_json, settings_from, settings_options
from plaudit.config import SETTINGS

__all__ = ["config"]


@click.command()
@settings_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def config(
    config_file: Path | None, data_dir: str | None, database_url: str | None, as_json: bool
) -> None:
    """Show every setting: current value, source (flag, env, file, default) and help."""
    settings = settings_from(config_file, data_dir=data_dir, database_url=database_url)
    rows = [
        {
            "name": s.name,
            "env": s.env_var,
            "value": _shown(s.name, getattr(settings, s.name)),
            "source": settings.sources[s.name],
            "help": s.help,
        }
        for s in SETTINGS
    ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        click.echo(f"{row['name']} = {row['value']!r}  [{row['source']}; {row['env']}]")
        click.echo(f"    {row['help']}")


def _shown(name: str, value: object) -> object:
    return _redact(str(value)) if name == "database_url" and value else value


def _redact(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest or ":" not in rest.split("@", 1)[0]:
        return url
    credentials, host = rest.split("@", 1)
    return f"{scheme}{sep}{credentials.split(':', 1)[0]}:***@{host}"
