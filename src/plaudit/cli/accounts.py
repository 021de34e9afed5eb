"""`plaudit accounts`: create accounts and issue bearer tokens."""

from __future__ import annotations

from pathlib import Path

import click

from plaudit.accounts.model import ACCOUNT_KINDS
from plaudit.cli.common import open_platform, print_json, settings_options

__all__ = ["accounts"]


@click.group()
def accounts() -> None:
    """Create accounts and issue their bearer tokens."""


@accounts.command()
@click.option("--handle", required=True, help="Unique handle: 3-64 letters, digits, _ . -")
@click.option(
    "--kind",
    type=click.Choice(ACCOUNT_KINDS),
    default="fan",
    show_default=True,
    help="fan, creator, brand (a member of organisations), gateway (trusted bulk ingest) or "
    "operator (runs the platform: fund periods, experiments, appeals).",
)
@click.option("--display-name", default="", help="Name shown to others.")
@click.option("--json", "as_json", is_flag=True, help='Print {"id": ..., "token": ...}.')
@settings_options
def create(
    handle: str,
    kind: str,
    display_name: str,
    as_json: bool,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """Create an account and print its id and first bearer token (on a new data directory,
    this creates the platform: a deployment's first operator starts here)."""
    with open_platform(config_file, data_dir, database_url, create=True) as platform:
        account, token = platform.accounts.create(handle, kind, display_name)
    if as_json:
        print_json(
            {"id": account.id, "handle": account.handle, "kind": account.kind, "token": token}
        )
    else:
        click.echo(f"account {account.id} ({account.kind} @{account.handle})")
        click.echo(f"token: {token}")


@accounts.command()
@click.argument("account_id", type=click.IntRange(min=1))
@settings_options
def token(
    account_id: int, config_file: Path | None, data_dir: str | None, database_url: str | None
) -> None:
    """Issue a new bearer token for ACCOUNT_ID and print it."""
    with open_platform(config_file, data_dir, database_url) as platform:
        click.echo(platform.accounts.issue_token(account_id))
