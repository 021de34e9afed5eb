"""`plaudit report`: build the transparency report (互动数据白皮书) and verify one.

Exit status of `verify`: 0 every log-determined figure recomputed equal, 1 a figure
differs or the log does not verify, 2 a usage mistake.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from plaudit.cli.common import (
    fail_verification,
    open_platform,
    settings_options,
    verification_reported,
)
from plaudit.errors import InvalidInput

__all__ = ["report"]


@click.group()
def report() -> None:
    """The interaction data transparency report: build it, or check one from the public log."""


def _load(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.UsageError(f"cannot read the report {path}: {exc}") from None
    if not isinstance(loaded, dict) or "figures" not in loaded:
        raise click.UsageError(f"{path} is not a report.json (no figures)")
    return loaded


@report.command()
@click.option("--period", help="A quarter (2026-Q4) or a month (2026-11), in UTC.")
@click.option("--from", "start", help="Or a date range: first day (YYYY-MM-DD) ...")
@click.option("--to", "end", help="... and the day after the last (exclusive).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write into (default DATA_DIR/reports/<period>, where the server "
    "publishes it at /transparency).",
)
@click.option(
    "--previous",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An earlier report.json of the same period (default: the one published in "
    "DATA_DIR/reports, if any): changed figures are listed as corrections.",
)
@click.option(
    "--no-corrections",
    is_flag=True,
    help="Do not recompute the reports published in DATA_DIR/reports for corrections.",
)
@click.option("--no-pdf", is_flag=True, help="Skip the PDFs (HTML and JSON only).")
@settings_options
def build(
    period: str | None,
    start: str | None,
    end: str | None,
    out: Path | None,
    previous: Path | None,
    no_corrections: bool,
    no_pdf: bool,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """Compute the report at the current signed checkpoint and write JSON, HTML and PDF.

    Every report already published in DATA_DIR/reports is recomputed in the same pass over
    the log, and each of its figures that changed is listed in the corrections section
    (period, before, after, why); the published one of the same period is replaced.
    """
    from plaudit.reports.build import build_report
    from plaudit.reports.period import parse_period
    from plaudit.reports.publish import published_reports, report_folder_name, write_report

    try:
        chosen = parse_period(period, start, end)
    except InvalidInput as exc:
        raise click.UsageError(exc.detail) from None
    same = _load(previous) if previous else None
    with open_platform(config_file, data_dir, database_url) as platform:
        root = platform.settings.data_path / "reports"
        published = [] if no_corrections else published_reports(root)
        if same is None:
            same = next((r for r in published if r["period"]["label"] == chosen.label), None)
        built = build_report(platform, chosen, same, published)
        folder = out or root / report_folder_name(chosen.label)
    for path in write_report(built, folder, pdf=not no_pdf):
        click.echo(str(path))
    click.echo(
        f"report {chosen.label} at checkpoint size {built['log']['size']}: "
        f"{len(built['figures'])} figures, {len(built['corrections'])} corrections"
    )


@report.command()
@click.argument("report_json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="Base URL of the platform (its public tile API).")
@click.option("--vkey", help="The log's verifier key; default: the one the report names.")
@click.option(
    "--trusted",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A checkpoint you trust (from `plaudit ledger verify --save`): the log must extend it.",
)
@click.option("--witness", "witnesses", multiple=True, help="A witness key that must cosign.")
@click.option("--quorum", type=click.IntRange(min=1), help="How many --witness must cosign.")
def verify(
    report_json: Path,
    url: str,
    vkey: str | None,
    trusted: Path | None,
    witnesses: tuple[str, ...],
    quorum: int | None,
) -> None:
    """Recompute every log-determined figure of REPORT_JSON from the log served at --url."""
    from plaudit.reports.verify import verify_report

    loaded = _load(report_json)
    if vkey is None:
        click.echo(
            "warning: no --vkey given; using the key the report names. Pin the log's key "
            "with --vkey to detect a report signed by another log.",
            err=True,
        )
    trusted_text = trusted.read_text(encoding="utf-8") if trusted else None
    with verification_reported():
        check = verify_report(
            loaded,
            url,
            vkey=vkey,
            trusted=trusted_text,
            witnesses=list(witnesses),
            quorum=quorum,
        )
    click.echo("\n".join(check.lines))
    if check.failures:
        fail_verification(check.failures)
