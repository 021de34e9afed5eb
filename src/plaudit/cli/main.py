"""Entry point of the `plaudit` command: the group, its commands, one error handler."""

from __future__ import annotations

import logging

import click

from plaudit import __version__
from plaudit.cli.accounts import accounts
from plaudit.cli.authenticity import authenticity
from plaudit.cli.common import fail
from plaudit.cli.config_cmd import config
from plaudit.cli.db import db
from plaudit.cli.demo import demo
from plaudit.cli.ledger import ledger
from plaudit.cli.persona import persona, segment
from plaudit.cli.serve import serve
from plaudit.errors import PlauditError

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="plaudit")
def cli() -> None:
    """Plaudit: a self-hostable interaction platform where every like is real and verifiable.

    Start with `plaudit demo` (load a demo community) and `plaudit serve` (serve the API).
    """


for command in (serve, demo, db, accounts, ledger, persona, segment, config, authenticity):
    cli.add_command(command)


def main() -> None:
    """Run the CLI; a PlauditError becomes one line on stderr instead of a traceback."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        cli.main(standalone_mode=True)
    except PlauditError as exc:
        fail(exc)
