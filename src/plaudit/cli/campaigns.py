"""`plaudit campaigns` and `plaudit orgs`: settle rewards after a scan, read reports, list
campaigns, and set up brand organisations (operators at the command line)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from plaudit.campaigns import Campaign
from plaudit.cli.common import open_platform, print_json, settings_options

__all__ = ["campaigns", "orgs"]


@click.group()
def campaigns() -> None:
    """Campaigns (互动任务): settle rewards, reports, listings."""


@campaigns.command()
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@settings_options
def settle(
    as_json: bool, config_file: Path | None, data_dir: str | None, database_url: str | None
) -> None:
    """Release, void or keep waiting every pending completion (run after each scan).

    A reward is released once every like behind it has cleared the authenticity hold
    (setting reward_hold); a removed or revoked like voids it; a spent budget leaves it
    unfunded. Safe to run any number of times, also while the server runs.
    """
    # writer_thread: group commit of the releases
    with open_platform(config_file, data_dir, database_url, writer_thread=True) as platform:
        pending = platform.campaigns.pending()
        columns = (TextColumn("settling"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("settle", total=len(pending))
            summary = platform.campaigns.settle(lambda n: bar.advance(task, n))
    if as_json:
        print_json(summary.counts)
        return
    if not summary.counts:
        click.echo("nothing to settle")
    for status, n in sorted(summary.counts.items()):
        click.echo(f"{status}: {n}{_WHY.get(status, '')}")


# Why a completion is left as it is, and what to run: a bare count would leave it a mystery.
_WHY = {
    "pending": " (waiting: a like behind each is not yet covered by a finished authenticity "
    "scan, or is held by a real-time rule; run `plaudit authenticity scan`, which settles "
    "again right after it)",
    "unfunded": " (the campaign budget was spent before they cleared)",
}


@campaigns.command()
@click.argument("campaign_id", type=click.IntRange(min=1))
@click.option("--csv", "as_csv", is_flag=True, help="Print the per-day figures as CSV.")
@settings_options
def report(
    campaign_id: int,
    as_csv: bool,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """Print CAMPAIGN_ID's report as JSON (or its per-day figures as CSV)."""
    with open_platform(config_file, data_dir, database_url) as platform:
        if as_csv:
            click.echo(platform.campaigns.report_csv(None, campaign_id), nl=False)
        else:
            print_json(platform.campaigns.report(None, campaign_id).as_dict())


def _line(c: Campaign) -> str:
    state = "ended" if c.ended_at else f"{c.spec.starts_at:%Y-%m-%d}..{c.spec.ends_at:%Y-%m-%d}"
    return (
        f"{c.id}\torg {c.organisation_id}\t{c.spec.task}\t{c.spent_fen}/{c.spec.budget_fen} fen"
        f"\t{state}\t{c.spec.name}"
    )


@campaigns.command(name="list")
@settings_options
def list_campaigns(
    config_file: Path | None, data_dir: str | None, database_url: str | None
) -> None:
    """List every campaign: id, organisation, task, spend/budget, schedule, name."""
    with open_platform(config_file, data_dir, database_url) as platform:
        found = platform.campaigns.all_campaigns()
    for campaign in found:
        click.echo(_line(campaign))


@click.group()
def orgs() -> None:
    """Brand organisations and their members (owner, manager, analyst)."""


@orgs.command()
@click.argument("name")
@click.option("--owner", type=click.IntRange(min=1), required=True, help="A brand account id.")
@click.option("--json", "as_json", is_flag=True, help='Print {"id", "name", "owner"} as JSON.')
@settings_options
def create(
    name: str,
    owner: int,
    as_json: bool,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """Create organisation NAME owned by a brand account; prints its id."""
    with open_platform(config_file, data_dir, database_url) as platform:
        org = platform.campaigns.create_organisation(owner, name)
    if as_json:
        print_json({"id": org.id, "name": org.name, "owner": owner})
    else:
        click.echo(f"organisation {org.id} ({org.name}), owner {owner}")


@orgs.command(name="member")
@click.argument("organisation_id", type=click.IntRange(min=1))
@click.argument("account_id", type=click.IntRange(min=1))
@click.option(
    "--role", type=click.Choice(["owner", "manager", "analyst"]), required=True, help="The role."
)
@click.option("--by", "actor", type=click.IntRange(min=1), required=True, help="An owner's id.")
@settings_options
def member(
    organisation_id: int,
    account_id: int,
    role: str,
    actor: int,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """Add brand account ACCOUNT_ID to ORGANISATION_ID (or change its role), as owner --by."""
    with open_platform(config_file, data_dir, database_url) as platform:
        platform.campaigns.set_member(actor, organisation_id, account_id, role)
    click.echo(f"account {account_id} is {role} of organisation {organisation_id}")
