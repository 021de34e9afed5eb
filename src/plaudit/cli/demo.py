"""`plaudit demo`: load a seeded, reproducible synthetic community."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import click

from plaudit.cli.common import settings_from, settings_options
from plaudit.errors import PlauditError
from plaudit.platform import Platform

if TYPE_CHECKING:  # imported where used: `plaudit --help` stays quick
    from plaudit.persona.index import TagIndex
    from plaudit.sim.persona_inputs import PersonaInputs

__all__ = ["demo"]


@click.command()
@click.option(
    "--size",
    type=click.Choice(["small", "medium", "large"]),
    default="small",
    show_default=True,
    help="small: ~10k accounts, 200k interactions; medium: ~1M / 20M; large: ~10M / 50M.",
)
@click.option(
    "--seed",
    type=int,
    default=42,
    show_default=True,
    help="Random seed: the same seed gives the same community.",
)
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing (successfully) when the database already has accounts.",
)
@click.option(
    "--attacks",
    "attack_spec",
    default=None,
    metavar="SPEC",
    help="Also inject fake engagement, e.g. 'farm:200x200:d=0.1:camo=popular,ring:20:d=0.3' "
    "(kinds farm, slow_drip, ring, device_farm, hijack; see docs/authenticity.md); the "
    "ground truth goes to attacks-truth.json in the data directory.",
)
@settings_options
def demo(
    size: str,
    seed: int,
    if_empty: bool,
    attack_spec: str | None,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """Load a synthetic demo community (accounts, creators, videos, interactions).

    Interactions go through the bulk ingest path, so counters, uniqueness and the event
    sequence hold exactly as for live traffic. The database must not have accounts yet.
    Progress shows as a bar on a terminal, otherwise as log lines every 10 s.
    """
    from plaudit.authenticity.demo_attacks import load_attacks
    from plaudit.authenticity.sources import LikeCollector
    from plaudit.authenticity.spec import parse_spec
    from plaudit.sim import SIZES
    from plaudit.sim.load import load_community
    from plaudit.sim.persona_inputs import PersonaInputs

    try:
        attacks = parse_spec(attack_spec) if attack_spec is not None else []
    except PlauditError as exc:
        raise click.BadParameter(exc.detail, param_hint="--attacks") from None
    settings = settings_from(config_file, data_dir=data_dir, database_url=database_url)
    # progress lines (counts and rate) when stderr is not a terminal: logs, CI, services
    logging.getLogger("plaudit.sim.load").setLevel(logging.INFO)
    platform = Platform(settings).open()
    collected = LikeCollector()
    inputs = PersonaInputs()  # the persona index's inputs, kept as the load writes them
    # without attacks, the load holds everything the persona index is computed from: it is
    # built on a second thread while the load's indexes are built
    beside = None if attacks else _PersonaBeside(platform, inputs)
    try:
        summary = load_community(
            platform.db,
            SIZES[size],
            seed,
            skip_if_loaded=if_empty,
            observe=collected if attacks else None,
            persona=inputs,
            beside_indexes=beside,
        )
        click.echo(summary)
        injected_attacks = bool(attacks and collected.account)
        if injected_attacks:
            injected, path = load_attacks(platform.db, collected, attacks, seed, settings.data_path)
            click.echo(f"{injected}; ground truth -> {path}")
        elif attacks:
            click.echo(
                "attacks not injected: the demo was already loaded (attacks are added "
                "only while loading a demo into an empty data directory)"
            )
        # these two stages have no progress of their own (medium: about half a minute)
        if beside is not None and beside.index is not None:
            persona = beside.index
        else:
            click.echo("building the persona index ...", err=True)
            persona = _persona_index(platform, inputs, read_back=injected_attacks)
        click.echo(f"persona index: {len(persona.universe):,} accounts with targeting consent")
        from plaudit.web import DEMO_HANDLES, create_demo_signins  # the console's sign-ins

        click.echo("creating the console's sign-ins and the demo creator's plan ...", err=True)
        path = create_demo_signins(platform)
        handles = ", ".join(DEMO_HANDLES.values())
        click.echo(f"console sign-ins ({handles}): passwords in {path} (readable only by you)")
    finally:
        platform.close()


class _PersonaBeside:
    """The first persona index from the load's arrays, built beside the load's index build
    (`load_community(beside_indexes=...)`: it reads none of the tables being indexed)."""

    def __init__(self, platform: Platform, inputs: PersonaInputs) -> None:
        self._platform = platform
        self._inputs = inputs
        self.index: TagIndex | None = None

    def __call__(self) -> None:
        click.echo("building the persona index (beside the database's indexes) ...", err=True)
        self.index = _persona_index(self._platform, self._inputs, read_back=False)


def _persona_index(platform: Platform, inputs: PersonaInputs, *, read_back: bool) -> TagIndex:
    """The first persona index (segments out of the box): from the arrays the load has just
    written when it loaded everything there is, else (attacks injected afterwards, a demo
    loaded before) read back from the database."""
    from plaudit.persona.refresh import rebuild_from, refresh_index

    data_path = platform.settings.data_path
    if inputs.top() and not read_back:
        return rebuild_from(platform.db, data_path, inputs, "the demo load").index
    return refresh_index(platform.db, data_path).index
