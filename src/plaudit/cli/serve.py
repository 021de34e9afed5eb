"""`plaudit serve`: serve the HTTP API with uvicorn, in one process or several."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from plaudit.cli.common import settings_from, settings_options
from plaudit.config import ENV_PREFIX, Settings
from plaudit.errors import PlauditError

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["serve"]


@click.command()
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default 8000).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="API processes sharing the port (PostgreSQL only): one of them runs the ledger "
    "integrator, elected with an advisory lock and taken over when it dies.",
)
@settings_options
def serve(
    host: str | None,
    port: int | None,
    workers: int,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """Serve the API (docs at /docs, OpenAPI at /openapi.json)."""
    settings = settings_from(
        config_file, data_dir=data_dir, database_url=database_url, host=host, port=port
    )
    if workers > 1 and settings.is_sqlite:
        raise click.UsageError(
            f"--workers {workers} needs PostgreSQL: the embedded SQLite store serves from one "
            "process. Set --database-url postgresql+psycopg://USER@HOST/DB (or "
            "PLAUDIT_DATABASE_URL), or drop --workers."
        )
    click.echo(
        f"Plaudit on http://{settings.host}:{settings.port} "
        f"(data: {settings.data_path}, database: {settings.db_url.split('://')[0]}"
        + (f", {workers} workers)" if workers > 1 else ")")
    )
    # a passkey belongs to a domain name, never an IP address: on loopback, say localhost
    shown = "localhost" if settings.host in ("127.0.0.1", "::1", "localhost") else settings.host
    click.echo(f"Console (控制台): open http://{shown}:{settings.port}/ in a browser")
    if workers > 1:
        _serve_workers(settings, config_file, workers)
    else:
        _serve_one(settings)


def _serve_one(settings: Settings) -> None:
    """Serve through `DeferredApp`: the port answers within a fraction of a second, while
    the API is imported and opened in the background (plaudit.api.front)."""
    import uvicorn

    from plaudit.api.front import DeferredApp

    app = DeferredApp(lambda: _built(settings))
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            access_log=settings.access_log,
            proxy_headers=False,  # Plaudit resolves them itself, from `trusted_proxies` only
        )
    )
    app.on_failure = functools.partial(setattr, server, "should_exit", True)
    server.run()
    if isinstance(app.failure, PlauditError):
        raise app.failure  # one line on stderr (cli/main.py)
    if app.failure is not None or not server.started:
        raise SystemExit(3)  # uvicorn's exit status for a failed start; the log has why


def _built(settings: Settings) -> Starlette:
    from plaudit.api.app import create_app, frozen_for_serving

    return frozen_for_serving(create_app(settings))


def _serve_workers(settings: Settings, config_file: Path | None, workers: int) -> None:
    """Migrate once here, then let uvicorn start the workers, each building its own app."""
    import uvicorn

    from plaudit.store import Database

    database = Database(settings)
    try:
        database.migrate()  # once, before the workers race to it
    finally:
        database.close()
    _hand_over(settings, config_file)
    uvicorn.run(
        "plaudit.api.worker:app_from_environment",
        factory=True,
        workers=workers,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.access_log,
    )


def _hand_over(settings: Settings, config_file: Path | None) -> None:
    """Put the settings given as flags where the workers' `load_settings` finds them."""
    for name, source in settings.sources.items():
        if source == "flag":
            os.environ[ENV_PREFIX + name.upper()] = str(getattr(settings, name))
    if config_file is not None:
        os.environ[ENV_PREFIX + "CONFIG"] = str(config_file)
