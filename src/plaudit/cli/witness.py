"""`plaudit witness`: run a c2sp.org/tlog-witness witness for one or more logs.

The witness keeps its own key and state in its own data directory (never the platform's):
a witness run by the log's operator would witness nothing.
"""

from __future__ import annotations

from pathlib import Path

import click

from plaudit.ledger.errors import KeyFormatError
from plaudit.ledger.keys import Ed25519Verifier, parse_verifier_key
from plaudit.witness.keystore import STATE_FILE, load_or_create_witness_key

__all__ = ["witness"]

_data_dir = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("./plaudit-witness"),
    show_default=True,
    help="The witness's own directory: its key (witness.key) and state, both mode 0600.",
)
_name = click.option(
    "--name",
    required=True,
    help="The witness's name, e.g. witness.example.org/w1 (fixed at the first run).",
)


@click.group()
def witness() -> None:
    """A transparency-log witness: cosigns checkpoints that extend what it saw, never forks."""


@witness.command()
@_data_dir
@_name
def key(data_dir: Path, name: str) -> None:
    """Print the witness's cosignature verifier key (creating the key on first use)."""
    click.echo(load_or_create_witness_key(data_dir, name).verifier().key_string)


def _logs(vkeys: tuple[str, ...]) -> list[Ed25519Verifier]:
    logs = []
    for vkey in vkeys:
        try:
            logs.append(parse_verifier_key(vkey.strip()))
        except KeyFormatError as exc:
            raise click.UsageError(f"--log {vkey!r}: {exc}") from None
    return logs


@witness.command()
@_data_dir
@_name
@click.option(
    "--log",
    "log_keys",
    multiple=True,
    required=True,
    help="A log's verifier key (`plaudit ledger key`); the witness follows its origin (repeat).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8100, show_default=True, help="TCP port."
)
def serve(data_dir: Path, name: str, log_keys: tuple[str, ...], host: str, port: int) -> None:
    """Serve POST /add-checkpoint (c2sp.org/tlog-witness) for the logs given with --log."""
    import uvicorn

    from plaudit.witness.core import Witness
    from plaudit.witness.server import create_witness_app

    logs = _logs(log_keys)
    signer = load_or_create_witness_key(data_dir, name)
    app = create_witness_app(Witness(signer, logs, data_dir / STATE_FILE))
    click.echo(f"witness {signer.verifier().key_string}")
    click.echo(f"on http://{host}:{port}/add-checkpoint for {', '.join(log.name for log in logs)}")
    uvicorn.run(app, host=host, port=port, log_level="warning")
