"""`plaudit lake`: export the platform's facts to the event lake, and show what it holds."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from plaudit.cli.common import log_progress, open_platform, print_json, settings_options

if TYPE_CHECKING:
    from plaudit.platform import Platform

__all__ = ["lake"]


@click.group()
def lake() -> None:
    """The event lake: day-partitioned Parquet for the batch jobs (docs/scale.md)."""


def _default_lake(data_path: Path, lake_url: str | None) -> str:
    return lake_url or str(data_path / "lake")


def _echo_progress(draw: Callable[[int, int], None]) -> Callable[[int, int], None]:
    """The bar on a terminal; a line per chunk in logs, so long exports are never silent."""

    def report(done: int, total: int) -> None:
        draw(done, total)
        if not sys.stderr.isatty():
            click.echo(f"lake export: {done:,} of {total:,} events", err=True)

    return report


def _integrate_pending(platform: Platform) -> None:
    """The lake holds what the ledger holds: integrate what is pending first, unless a
    running server's integrator is doing it (then its next export takes the rest)."""
    from plaudit.errors import Conflict

    try:
        platform.integrator.catch_up()
    except Conflict:
        click.echo("a running server integrates the ledger; exporting what it has", err=True)


@lake.command("export")
@click.argument("lake_url", required=False, metavar="[LAKE]")
@settings_options
def export_command(
    lake_url: str | None,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """Export new events, profiles and campaign facts to LAKE (default DATA_DIR/lake).

    LAKE is a directory or an fsspec URL (s3://bucket/lake needs plaudit[lake] and s3fs).
    Exports what the ledger has integrated since the last export; running it again exports
    nothing twice.
    """
    from plaudit.lake import export_lake
    from plaudit.lake.key import load_or_create_lake_key

    with open_platform(config_file, data_dir, database_url) as platform:
        _integrate_pending(platform)
        url = _default_lake(platform.settings.data_path, lake_url)
        key = load_or_create_lake_key(platform.settings.data_path)
        with log_progress("exporting the lake", show_from=1) as draw:
            report = export_lake(platform.db, url, key, progress=_echo_progress(draw))
    click.echo(report.line())


@lake.command("show")
@click.argument("lake_url", required=False, metavar="[LAKE]")
@click.option("--data-dir", help="Data directory whose lake to show (default ./plaudit-data).")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
def show_command(lake_url: str | None, data_dir: str | None, as_json: bool) -> None:
    """What LAKE holds: the watermark and each table's files and rows."""
    from plaudit.errors import InvalidInput
    from plaudit.lake import Manifest
    from plaudit.lake.location import Location

    url = lake_url or str(Path(data_dir or "./plaudit-data") / "lake")
    manifest = Manifest.load(Location.of(url))
    if manifest.exports == 0:
        raise InvalidInput(
            f"{url}: no lake here (no manifest.json); run `plaudit lake export` first",
            field="lake",
        )
    if as_json:
        print_json(manifest.to_json())
        return
    held = f"events 0..{manifest.through_seq - 1}" if manifest.through_seq else "no events yet"
    click.echo(f"lake {url}: {held}, {manifest.exports} exports, last {manifest.exported_at}")
    for name, parts in sorted(manifest.tables.items()):
        rows = sum(part.rows for part in parts)
        click.echo(f"  {name}: {rows:,} rows in {len(parts)} files")
