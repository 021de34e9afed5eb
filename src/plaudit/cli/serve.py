"""`plaudit serve`: serve the HTTP API with uvicorn."""

from __future__ import annotations

from pathlib import Path

import click

from plaudit.cli.common import settings_from, settings_options

__all__ = ["serve"]


@click.command()
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default 8000).")
@settings_options
def serve(
    host: str | None,
    port: int | None,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """Serve the API (docs at /docs, OpenAPI at /openapi.json)."""
    import uvicorn

    from plaudit.api import create_app

    settings = settings_from(
        config_file, data_dir=data_dir, database_url=database_url, host=host, port=port
    )
    app = create_app(settings)
    click.echo(
        f"Plaudit on http://{settings.host}:{settings.port} "
        f"(data: {settings.data_path}, database: {settings.db_url.split('://')[0]})"
    )
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.access_log,
        proxy_headers=False,  # Plaudit resolves them itself, from `trusted_proxies` only
    )
