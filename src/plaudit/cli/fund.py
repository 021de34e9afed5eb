"""`plaudit fund`: creator-fund periods, previews, closing, statements and verification.

These are operator commands: they run against the local store (`--data-dir` /
`--database-url`), the way `plaudit accounts create --kind operator` does.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from plaudit.cli.common import (
    engine_option,
    log_progress,
    open_platform,
    print_json,
    settings_options,
    verification_reported,
)
from plaudit.errors import Conflict
from plaudit.fund import Computation, Period, Rule, Statement, parse_weights, verify_period
from plaudit.fund.lake import lake_computation
from plaudit.fund.model import PUBLISHED
from plaudit.fund.periods import MAX_POOL_FEN
from plaudit.fund.rules import MAX_DAILY_CAP
from plaudit.platform import Platform

__all__ = ["fund", "parse_utc", "statement_json"]

PROGRESS_FROM = 4096
# The statement CSV: the published figures but the two a spreadsheet does not need.
CSV_FIELDS = (
    "period",
    *(name for name in PUBLISHED if name not in ("excluded_pending", "units_per_point")),
)


def parse_utc(value: str, option: str) -> datetime:
    """`2026-11-01` (midnight UTC) or ISO 8601 with a zone (`...T08:00:00Z`, `+08:00`)."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date or ISO 8601 time, e.g. 2026-11-01 or 2026-11-01T00:00:00Z",
            param_hint=option,
        ) from None
    if parsed.tzinfo is None:
        if len(value.strip()) > 10:
            raise click.BadParameter(
                f"{value!r} has no time zone; add Z for UTC (e.g. {value.strip()}Z)",
                param_hint=option,
            )
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def period_json(period: Period) -> dict[str, Any]:
    return {
        "id": period.id,
        "name": period.name,
        "starts_at": period.starts_at.isoformat(),
        "ends_at": period.ends_at.isoformat(),
        "pool_fen": period.pool_fen,
        "weights": {k: period.rule.weight(k) for k in ("like", "comment", "share", "follow")},
        "daily_cap": period.rule.daily_cap,
        "closed_at": None if period.closed_at is None else period.closed_at.isoformat(),
        "through_seq": period.through_seq,
    }


def statement_json(statement: Statement) -> dict[str, Any]:
    return {name: getattr(statement, name) for name in PUBLISHED}


def _statement_line(s: Statement) -> str:
    return (
        f"creator {s.creator_id}: {s.payout_fen} fen ({s.share_percent}%), score "
        f"{s.score_points} from {s.likes} likes, {s.comments} comments, {s.shares} shares, "
        f"{s.follows} follows by {s.fans} fans; excluded {s.excluded_revoked} revoked, "
        f"{s.excluded_incentivised} incentivised"
        + (f", {s.excluded_pending} pending" if s.excluded_pending else "")
    )


@click.group()
def fund() -> None:
    """The creator fund (创作者基金): periods, payouts, statements, verification.

    A period's pool (fen) is divided among creators in proportion to quality-weighted
    authentic interactions; see docs/fund.md for the rule.
    """


def _period_command(name: str, json_help: str) -> Callable[[Callable[..., None]], click.Command]:
    """`plaudit fund NAME PERIOD [--json]` with the settings options, PERIOD an id or name."""

    def register(command: Callable[..., None]) -> click.Command:
        command = settings_options(command)
        command = click.option("--json", "as_json", is_flag=True, help=json_help)(command)
        return fund.command(name)(click.argument("period")(command))

    return register


@fund.command("create-period")
@click.argument("name")
@click.option(
    "--start", required=True, help="First instant, UTC: 2026-11-01 or ISO 8601 with zone."
)
@click.option("--end", required=True, help="End (exclusive), UTC, same forms as --start.")
@click.option(
    "--pool-fen",
    required=True,
    type=click.IntRange(1, MAX_POOL_FEN),
    help="Pool in fen (1 CNY = 100 fen).",
)
@click.option(
    "--weights",
    default=Rule().weights_text(),
    show_default=True,
    help="Points per kind: like, comment, share, follow.",
)
@click.option(
    "--daily-cap",
    type=click.IntRange(1, MAX_DAILY_CAP),
    default=Rule.daily_cap,
    show_default=True,
    help="Interactions of one fan with one creator that count per UTC day (n-th counts 1/n).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the period as JSON.")
@settings_options
def create_period(
    name: str,
    start: str,
    end: str,
    pool_fen: int,
    weights: str,
    daily_cap: int,
    as_json: bool,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """Create an open period NAME from --start to --end with a pool of --pool-fen."""
    starts_at, ends_at = parse_utc(start, "--start"), parse_utc(end, "--end")
    rule = parse_weights(weights, daily_cap)
    with open_platform(config_file, data_dir, database_url) as platform:
        period = platform.fund.create_period(name, starts_at, ends_at, pool_fen, rule)
    if as_json:
        print_json(period_json(period))
    else:
        click.echo(
            f"period {period.id} {period.name!r}: {period.starts_at.isoformat()} to "
            f"{period.ends_at.isoformat()}, pool {period.pool_fen} fen, weights "
            f"{period.rule.weights_text()}, daily cap {period.rule.daily_cap}"
        )


@fund.command("periods")
@click.option("--json", "as_json", is_flag=True, help="Print the periods as JSON.")
@settings_options
def periods(
    as_json: bool, config_file: Path | None, data_dir: str | None, database_url: str | None
) -> None:
    """List the periods, latest first."""
    with open_platform(config_file, data_dir, database_url) as platform:
        found = platform.fund.periods()
    if as_json:
        print_json([period_json(p) for p in found])
        return
    if not found:
        click.echo("no fund periods yet; create one with `plaudit fund create-period`")
    for p in found:
        state = f"closed {p.closed_at:%Y-%m-%d %H:%M}" if p.closed_at else "open"
        click.echo(
            f"{p.id}\t{p.name}\t{p.starts_at:%Y-%m-%d}..{p.ends_at:%Y-%m-%d}\t"
            f"{p.pool_fen} fen\t{state}"
        )


# Creators listed by default after a computation: a pool over thousands of creators printed
# in full buries the summary; --all, --json and `plaudit fund statement` give every one.
TOP_CREATORS = 10


def _print_computation(
    computation: Computation, as_json: bool, verb: str, show_all: bool = False
) -> None:
    period = computation.period
    if as_json:
        print_json(
            {
                "period": period_json(period),
                "through_seq": computation.through_seq,
                "total_units": computation.total_units,
                "pending_likes": computation.pending_likes,
                "statements": [statement_json(s) for s in computation.statements],
            }
        )
        return
    paid = sum(s.payout_fen for s in computation.statements)
    click.echo(
        f"period {period.name!r} {verb}: {paid} of {period.pool_fen} fen to "
        f"{sum(1 for s in computation.statements if s.payout_fen)} creators "
        f"(events read through seq {computation.through_seq})"
    )
    ranked = sorted(computation.statements, key=lambda s: (-s.payout_fen, s.creator_id))
    shown = ranked if show_all else ranked[:TOP_CREATORS]
    if len(shown) < len(ranked):
        click.echo(f"  the {len(shown)} largest payouts:")
    for statement in shown:
        click.echo("  " + _statement_line(statement))
    if len(shown) < len(ranked):
        click.echo(
            f"  ... and {len(ranked) - len(shown)} more creators: --all lists every one, "
            f"`plaudit fund statement {period.name}` the frozen statements (--csv, --json)"
        )
    if not computation.statements:
        click.echo("  no creator had a counted interaction: the pool stays unallocated")


def _all_option(command: Callable[..., None]) -> Callable[..., None]:
    return click.option(
        "--all",
        "show_all",
        is_flag=True,
        help=f"List every creator (default: the {TOP_CREATORS} largest payouts).",
    )(command)


@_period_command("compute", json_help="Print the preview as JSON.")
@_all_option
@click.option(
    "--lake",
    "lake_url",
    default=None,
    metavar="LAKE",
    help="Compute from the event lake at LAKE (`plaudit lake export`) instead of the "
    "database; the period's dates, pool and rule still come from the database.",
)
@engine_option()
def compute(
    period: str,
    as_json: bool,
    show_all: bool,
    lake_url: str | None,
    engine: str,
    **settings: Any,
) -> None:
    """Preview the payouts of open PERIOD (id or name) if it closed now; stores nothing.
    With --lake, the same payouts computed by the lake engine (docs/scale.md)."""
    with open_platform(**settings) as platform:
        if lake_url is not None:
            computation = lake_computation(lake_url, platform.fund.period(period), engine)
        else:
            computation = platform.fund.compute(period)
    _print_computation(computation, as_json, "preview", show_all)
    for note in computation.notes:
        click.echo(f"note: {note}", err=True)
    if not as_json and computation.pending_likes:
        click.echo(
            f"note: {computation.pending_likes} held likes are excluded; closing waits for them"
        )


@_period_command("close", json_help="Print the frozen statements as JSON.")
@_all_option
def close(period: str, as_json: bool, show_all: bool, **settings: Any) -> None:
    """Close PERIOD: compute and freeze its payouts (once; closing again is an error)."""
    with open_platform(**settings) as platform:
        computation = platform.fund.close(period)
    _print_computation(computation, as_json, "closed", show_all)


def _csv(statements: list[Statement], period: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for s in statements:
        row = {"period": period, **statement_json(s)}
        writer.writerow([row[name] for name in CSV_FIELDS])
    return out.getvalue()


@fund.command("statement")
@click.argument("period")
@click.option("--creator", type=click.IntRange(min=1), help="Only this creator's statement.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (one row per creator).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@settings_options
def statement(
    period: str,
    creator: int | None,
    as_csv: bool,
    as_json: bool,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """The frozen statements of closed PERIOD: the figures behind every payout."""
    if as_csv and as_json:
        raise click.UsageError("choose one of --csv and --json")
    with open_platform(config_file, data_dir, database_url) as platform:
        found = (
            [platform.fund.statement(period, creator)]
            if creator is not None
            else platform.fund.statements(period)
        )
        name = platform.fund.period(period).name
    if as_csv:
        click.echo(_csv(found, name), nl=False)
    elif as_json:
        print_json([statement_json(s) for s in found])
    else:
        for s in found:
            click.echo(_statement_line(s))


def _integrate(platform: Platform) -> None:
    """Bring the ledger up to date first; a running server's integrator may be doing it."""
    with suppress(Conflict):  # another integrator advanced it: verify waits or says so
        platform.integrator.catch_up()
        platform.integrator.ensure_checkpoint()


@_period_command("verify", json_help="Print the report as JSON.")
def verify(period: str, as_json: bool, **settings: Any) -> None:
    """Recompute every payout of closed PERIOD from the ledger and compare; exit 1 on any
    difference or tampered attribution (docs/fund.md says what is checked)."""
    with open_platform(**settings) as platform:
        _integrate(platform)
        with (
            verification_reported("the ledger does not verify: "),
            log_progress("replaying the ledger", PROGRESS_FROM) as progress,
        ):
            report = verify_period(platform.db, platform.ledger, period, on_progress=progress)
    if as_json:
        print_json(
            {
                "ok": report.ok,
                "period": report.period.name,
                "through_seq": report.period.through_seq,
                "standing": report.standing,
                "attributed": report.attributed,
                "differences": report.differences,
                "tampered": report.tampered,
                "notes": report.notes,
            }
        )
    else:
        lines = report.lines()
        click.echo(lines[0])
        for line in lines[1:]:
            click.echo(f"FAIL: {line}", err=True)
        for note in report.notes:
            click.echo(f"note: {note}", err=True)
    if not report.ok:
        sys.exit(1)
