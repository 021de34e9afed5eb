"""Entry point of the `plaudit` command: the group, its commands, one error handler.

Commands are imported when they are used, so `plaudit serve` does not pay for importing the
NumPy/SciPy-heavy batch commands at every start.
"""

from __future__ import annotations

import importlib
import logging

import click

from plaudit import __version__
from plaudit.cli.common import fail
from plaudit.errors import PlauditError

__all__ = ["COMMANDS", "cli", "main"]

# command name -> "module:attribute" of its click command
COMMANDS = {
    "serve": "plaudit.cli.serve:serve",
    "demo": "plaudit.cli.demo:demo",
    "db": "plaudit.cli.db:db",
    "accounts": "plaudit.cli.accounts:accounts",
    "ledger": "plaudit.cli.ledger:ledger",
    "persona": "plaudit.cli.persona:persona",
    "segment": "plaudit.cli.persona:segment",
    "authenticity": "plaudit.cli.authenticity:authenticity",
    "config": "plaudit.cli.config_cmd:config",
    "creator": "plaudit.cli.creators:creator",
    "experiments": "plaudit.cli.experiments:experiments",
    "strategy": "plaudit.cli.strategy:strategy",
    "fund": "plaudit.cli.fund:fund",
    "quality": "plaudit.cli.quality:quality",
    "campaigns": "plaudit.cli.campaigns:campaigns",
    "orgs": "plaudit.cli.campaigns:orgs",
    "lake": "plaudit.cli.lake:lake",
    "witness": "plaudit.cli.witness:witness",
    "report": "plaudit.cli.report:report",
    "apps": "plaudit.cli.apps:apps",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="plaudit")
def cli() -> None:
    """Plaudit: a self-hostable interaction platform where every like is real and verifiable.

    Start with `plaudit demo` (load a demo community) and `plaudit serve` (serve the API).
    """


def main() -> None:
    """Run the CLI; a PlauditError becomes one line on stderr instead of a traceback."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        cli.main(standalone_mode=True)
    except PlauditError as exc:
        fail(exc)
