"""`plaudit demo`: load a seeded, reproducible synthetic community."""

from __future__ import annotations

from pathlib import Path

import click

from plaudit.cli.common import settings_from, settings_options
from plaudit.platform import Platform

__all__ = ["demo"]


@click.command()
@click.option(
    "--size",
    type=click.Choice(["small", "medium", "large"]),
    default="small",
    show_default=True,
    help="small: ~10k accounts, 200k interactions; medium: ~1M / 20M; large: ~10M / 50M.",
)
@click.option(
    "--seed",
    type=int,
    default=42,
    show_default=True,
    help="Random seed: the same seed gives the same community.",
)
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing (successfully) when the database already has accounts.",
)
@settings_options
def demo(
    size: str,
    seed: int,
    if_empty: bool,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """Load a synthetic demo community (accounts, creators, videos, interactions).

    Interactions go through the bulk ingest path, so counters, uniqueness and the event
    sequence hold exactly as for live traffic. The database must not have accounts yet.
    """
    from plaudit.sim import SIZES
    from plaudit.sim.load import load_community

    settings = settings_from(config_file, data_dir=data_dir, database_url=database_url)
    platform = Platform(settings).open()
    try:
        summary = load_community(platform.db, SIZES[size], seed, skip_if_loaded=if_empty)
    finally:
        platform.close()
    click.echo(summary)
