"""`plaudit authenticity` on the platform's own store: scan, appeals, decide.

The standalone file scan lives in cli/authenticity.py; without `--input` that command calls
`scan_platform` here, which records verdicts and revocations in the store and the ledger.
"""

from __future__ import annotations

from pathlib import Path

import click

from plaudit.authenticity.batch import ScanSettings
from plaudit.cli.common import open_platform, print_json, settings_options, stage_progress
from plaudit.errors import Conflict
from plaudit.platform import Platform

__all__ = ["appeals_command", "decide_command", "scan_platform"]


def scan_platform(
    settings: ScanSettings,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """Scan every like sequenced so far; verdicts become revocations in the counts and log,
    then campaign completions whose likes this scan cleared (or revoked) are settled."""
    with open_platform(config_file, data_dir, database_url) as platform:
        first = "reading the platform's likes"
        with stage_progress(first, len(settings.detectors)) as advance:
            report = platform.authenticity.scan(
                settings, progress=lambda name: advance(f"detector {name}")
            )
        settled = platform.campaigns.settle()
        signed = _sign_revocations(platform)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(report.line())
    if settled.counts:
        outcomes = ", ".join(f"{n} {status}" for status, n in sorted(settled.counts.items()))
        click.echo(f"campaign completions settled: {outcomes}")
    if not signed:
        click.echo("the running server's integrator signs the REVOKE entries", err=True)


def _sign_revocations(platform: Platform) -> bool:
    """Integrate the REVOKE entries before returning; False when a running server's
    integrator is doing it (it advanced the log first: nothing is lost either way)."""
    try:
        platform.integrator.catch_up()
    except Conflict:
        return False
    return True


@click.command("appeals")
@click.option(
    "--status",
    type=click.Choice(["open", "reinstated", "upheld"]),
    default=None,
    help="Only appeals in this state (default: all).",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 100_000),
    default=100,
    show_default=True,
    help="Most appeals to list.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the appeals as JSON.")
@settings_options
def appeals_command(
    status: str | None,
    limit: int,
    as_json: bool,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """List appeals against verdicts, oldest first (for operators to review)."""
    with open_platform(config_file, data_dir, database_url) as platform:
        found = platform.authenticity.appeals(status, limit)
    if as_json:
        print_json([vars(a) for a in found])
        return
    if not found:
        click.echo("no appeals" + (f" with status {status}" if status else ""))
    for a in found:
        click.echo(
            f"appeal {a.id}  verdict {a.verdict_id}  account {a.account_id}  {a.status:<10} "
            f"{a.created_at:%Y-%m-%d %H:%M}Z  {a.reason[:60]}"
        )


@click.command("decide")
@click.argument("appeal_id", type=int)
@click.option("--reinstate", "decision", flag_value="reinstate", help="Give the likes back.")
@click.option("--uphold", "decision", flag_value="uphold", help="Keep the verdict in force.")
@click.option("--note", default="", help="Why (kept with the appeal; the appellant sees it).")
@settings_options
def decide_command(
    appeal_id: int,
    decision: str | None,
    note: str,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """Decide an open appeal: --reinstate its likes (REINSTATE log entries) or --uphold."""
    if decision is None:
        raise click.UsageError("say --reinstate or --uphold")
    with open_platform(config_file, data_dir, database_url) as platform:
        decided = platform.authenticity.decide(appeal_id, decision, note)
        platform.integrator.catch_up()
    click.echo(
        f"appeal {appeal_id}: {decided.appeal.status}; {decided.likes_reinstated} likes reinstated"
    )
