"""`plaudit apps`: register, list and retire third-party apps (OAuth 2.0 clients)."""

from __future__ import annotations

from pathlib import Path

import click

from plaudit.cli.common import open_platform, print_json, settings_options
from plaudit.oauth import APP_RESOURCES, App

__all__ = ["apps"]


def _shown(app: App, secret: str | None = None) -> dict[str, object]:
    values: dict[str, object] = {
        "id": app.id,
        "client_id": app.client_id,
        "account_id": app.account_id,
        "name": app.name,
        "redirect_uris": list(app.redirect_uris),
        "scopes": list(app.scopes),
        "confidential": app.confidential,
        "created_at": app.created_at.isoformat(),
        "revoked_at": app.revoked_at.isoformat() if app.revoked_at else None,
    }
    if secret is not None:
        values["client_secret"] = secret
    return values


@click.group()
def apps() -> None:
    """Third-party apps that act for creators through OAuth 2.0 with PKCE (docs/api.md)."""


@apps.command()
@click.option("--developer", "account_id", type=click.IntRange(min=1), required=True,
              help="The developer's account id (a creator, brand or operator).")  # fmt: skip
@click.option("--name", required=True, help="The name people see on the consent page.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True,
              help="An exact redirect URI (https, or http on loopback); repeatable.")  # fmt: skip
@click.option("--scope", "scopes", multiple=True, required=True,
              help=f"The most the app may ask for, RESOURCE:read or RESOURCE:write with "
              f"RESOURCE one of {', '.join(APP_RESOURCES)}; repeat for more.")  # fmt: skip
@click.option("--confidential", is_flag=True,
              help="A server that keeps a secret: print a client_secret (shown once).")  # fmt: skip
@settings_options
def register(
    account_id: int,
    name: str,
    redirect_uris: tuple[str, ...],
    scopes: tuple[str, ...],
    confidential: bool,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """Register an app and print its client id (and secret, for a confidential app)."""
    with open_platform(config_file, data_dir, database_url) as platform:
        app, secret = platform.oauth.register(
            account_id, name, list(redirect_uris), list(scopes), confidential
        )
    print_json(_shown(app, secret))


@apps.command("list")
@click.option("--developer", "account_id", type=click.IntRange(min=1), required=True,
              help="The developer's account id.")  # fmt: skip
@settings_options
def list_apps(
    account_id: int, config_file: Path | None, data_dir: str | None, database_url: str | None
) -> None:
    """The apps a developer registered, as JSON lines."""
    with open_platform(config_file, data_dir, database_url) as platform:
        for app in platform.oauth.apps(account_id):
            print_json(_shown(app))


@apps.command()
@click.argument("app_id", type=click.IntRange(min=1))
@click.option("--developer", "account_id", type=click.IntRange(min=1), required=True,
              help="The developer's account id.")  # fmt: skip
@settings_options
def retire(
    app_id: int,
    account_id: int,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """Retire an app: its client id stops working and every token it holds is revoked."""
    with open_platform(config_file, data_dir, database_url) as platform:
        print_json(_shown(platform.oauth.retire(account_id, app_id)))
