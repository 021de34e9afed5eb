"""`plaudit db`: schema migrations."""

from __future__ import annotations

from pathlib import Path

import click

from plaudit.cli.common import settings_from, settings_options
from plaudit.store import Database, current_revision, head_revision

__all__ = ["db"]


@click.group()
def db() -> None:
    """Manage the database schema."""


@db.command()
@settings_options
def upgrade(config_file: Path | None, data_dir: str | None, database_url: str | None) -> None:
    """Apply every pending migration (also done automatically at start)."""
    settings = settings_from(config_file, data_dir=data_dir, database_url=database_url)
    database = Database(settings)
    try:
        before = current_revision(database.write_engine)
        database.migrate()
        click.echo(f"schema at {head_revision()} (was {before or 'empty'})")
    finally:
        database.close()
