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


@accounts.command("revoke-token")
@click.argument("account_id", type=click.IntRange(min=1))
@click.option("--token-id", type=click.IntRange(min=1), help="The token to revoke.")
@click.option("--all", "revoke_all", is_flag=True, help="Revoke every token of the account.")
@settings_options
def revoke_token(
    account_id: int,
    token_id: int | None,
    revoke_all: bool,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """Revoke one token of ACCOUNT_ID (--token-id) or all of them (--all).

    Without either, list the account's tokens. A running server stops accepting a revoked
    token within 30 s (its token cache).
    """
    if token_id is not None and revoke_all:
        raise click.UsageError("give --token-id or --all, not both")
    with open_platform(config_file, data_dir, database_url) as platform:
        if token_id is None and not revoke_all:
            for token in platform.accounts.tokens(account_id):
                state = "revoked" if token.revoked_at else "active"
                click.echo(f"{token.id}\t{token.created_at.isoformat()}\t{state}")
            return
        count = platform.accounts.revoke_token(account_id, token_id)
    click.echo(f"revoked {count} token(s) of account {account_id}")


@accounts.command("delete")
@click.argument("account_id", type=click.IntRange(min=1))
@click.option("--confirm", required=True, help="The account's handle (deletion is final).")
@settings_options
def delete(
    account_id: int,
    confirm: str,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """Delete ACCOUNT_ID: its profile, tokens, handle and ledger secret are erased.

    Counts, the ledger and every proof stay valid; the account's entries can no longer be
    linked to it. See docs/security.md.
    """
    from plaudit.accounts.erasure import erase_account

    with open_platform(config_file, data_dir, database_url) as platform:
        refreshed = erase_account(
            platform.accounts, platform.db, platform.settings.data_path, account_id, confirm
        )
    click.echo(f"account {account_id} deleted" + ("; persona index refreshed" if refreshed else ""))
