"""`plaudit persona` (tags, refresh, export) and `plaudit segment` (count, insights, overlap,
fans, save, list, export): a thin layer over `plaudit.persona`."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from plaudit.cli.common import (
    engine_option,
    platform_settings,
    print_json,
    settings_options,
    stage_progress,
)
from plaudit.config import Settings
from plaudit.persona import (
    FAMILIES,
    TAGS,
    Audience,
    SavedSegments,
    TagIndex,
    write_bitmap,
    write_parquet,
)
from plaudit.persona.accesslog import append_access
from plaudit.persona.index import index_dir
from plaudit.persona.lake import refresh_from_lake
from plaudit.persona.refresh import refresh_index
from plaudit.persona.service import privacy_of
from plaudit.platform import Platform

__all__ = ["persona", "segment"]

F = TypeVar("F", bound=Callable[..., Any])


def _settings(kwargs: dict[str, Any]) -> Settings:
    return platform_settings(
        kwargs.pop("config_file"),
        data_dir=kwargs.pop("data_dir"),
        database_url=kwargs.pop("database_url"),
    )


def _audience(settings: Settings) -> Audience:
    index = TagIndex.load(settings.data_path)
    return Audience(index, privacy_of(settings), SavedSegments(settings.data_path))


def _json_option(command: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(command)


@click.group()
def persona() -> None:
    """Persona tags (星图): the taxonomy, the tag index and its exports."""


@persona.command()
@_json_option
def tags(as_json: bool) -> None:
    """List every tag with its family, labels and definition."""
    if as_json:
        print_json(
            {
                "families": [f._asdict() for f in FAMILIES],
                "tags": [t._asdict() for t in TAGS],
            }
        )
        return
    for family in FAMILIES:
        click.echo(f"{family.id}: {family.en} / {family.zh} - {family.description}")
        for tag in TAGS:
            if tag.family == family.id:
                click.echo(f"  {tag.id:<32} {tag.en} / {tag.zh} - {tag.definition}")
    click.echo(f"{len(TAGS)} tags in {len(FAMILIES)} families")


@persona.command()
@click.option(
    "--full", is_flag=True, help="Recompute every account instead of only the changed ones."
)
@click.option(
    "--lake",
    "lake_url",
    metavar="LAKE",
    help="Compute from the event lake at LAKE (a folder or fsspec URL written by `plaudit lake "
    "export`) instead of the database; always a full refresh.",
)
@engine_option()
@settings_options
def refresh(full: bool, lake_url: str | None, engine: str, **kwargs: Any) -> None:
    """Refresh the tag index in DATA_DIR/persona/ (Roaring bitmaps).

    Incremental by default: only accounts that changed (profile, consent, interactions,
    follows, time windows) since the last refresh are recomputed; a full rebuild runs with
    --full, on the first refresh and when the last full one is a week old. With --lake, a full
    refresh from the event lake on either engine (the same bitmaps; docs/segments.md).
    """
    settings = _settings(kwargs)
    steps = ("profiles", "interactions", "interests", "devices", "follows", "bitmaps")
    with stage_progress("persona refresh", len(steps)) as advance:

        def step(label: str) -> None:
            advance(f"persona: {label}")

        if lake_url is not None:
            result = refresh_from_lake(lake_url, engine, settings.data_path, progress=step)
        else:
            platform = Platform(settings).open()
            try:
                result = refresh_index(platform.db, settings.data_path, full=full, progress=step)
            finally:
                platform.close()
    index = result.index
    how = f"full ({result.reason})" if result.full else f"incremental ({result.reason})"
    click.echo(
        f"{how}: {len(index.universe):,} accounts with targeting consent, {len(TAGS)} tags, "
        f"{index.memory_bytes() / 1e6:.2f} MB of bitmaps in {index_dir(settings.data_path)}"
    )


@persona.command()
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Parquet file to write.",
)
@settings_options
def export(output: Path, **kwargs: Any) -> None:
    """Write one Parquet row per consenting account: account_id, age, tags."""
    settings = _settings(kwargs)
    rows = write_parquet(TagIndex.load(settings.data_path), output)
    click.echo(f"{rows:,} accounts written to {output}")


@click.group()
def segment() -> None:
    """Segments: counts and insights with privacy floors, overlaps, fan bases."""


@segment.command()
@click.argument("expression")
@click.option("--exact", is_flag=True, help="Operators: the exact count, logged.")
@_json_option
@settings_options
def count(expression: str, exact: bool, as_json: bool, **kwargs: Any) -> None:
    """Count the accounts of EXPRESSION (suppressed below privacy_k)."""
    settings = _settings(kwargs)
    audience = _audience(settings)
    if exact:
        result: dict[str, Any] = {
            "expression": expression,
            "count": audience.size(expression),
            "exact": True,
        }
        _log_exact(settings, expression)
    else:
        result = audience.count(expression)
    if as_json:
        print_json(result)
    else:
        click.echo(f"{result['count']}")


def _log_exact(settings: Settings, expression: str) -> None:
    """The same access log line the API writes, naming the operating-system user."""
    append_access(settings.data_path, f"cli:{getpass.getuser()}", expression, "exact-count")


@segment.command()
@click.argument("expression")
@settings_options
def insights(expression: str, **kwargs: Any) -> None:
    """Distribution of every tag family in EXPRESSION with its TGI (JSON)."""
    print_json(_audience(_settings(kwargs)).insights(expression))


@segment.command()
@click.argument("expressions", nargs=-1, required=True)
@settings_options
def overlap(expressions: tuple[str, ...], **kwargs: Any) -> None:
    """Overlap of 2 to 5 segments (JSON)."""
    print_json(_audience(_settings(kwargs)).overlap(list(expressions)))


@segment.command()
@click.argument("creator_id", type=click.IntRange(min=1))
@_json_option
@settings_options
def fans(creator_id: int, as_json: bool, **kwargs: Any) -> None:
    """Fan-base composition of a creator, with one sentence in zh and en: a summary, or
    every group with --json."""
    settings = _settings(kwargs)
    audience = _audience(settings)
    platform = Platform(settings).open()
    try:
        found = audience.fan_base(platform.db, creator_id)
    finally:
        platform.close()
    if as_json:
        print_json(found)
    else:
        _print_fan_base(found, settings.privacy_k)


# Groups listed per family in the summary; --json has them all.
TOP_GROUPS = 3


def _print_fan_base(found: dict[str, Any], k: int) -> None:
    """The count, the sentence, and each family's largest groups, saying what is hidden."""
    click.echo(f"creator {found['creator_id']}: {_count(found['count'])} fans who allow targeting")
    click.echo(f"  {found['sentence']['en']} / {found['sentence']['zh']}")
    hidden = 0
    for family, groups in found.get("families", {}).items():
        shown = [g for g in groups if isinstance(g["count"], int)]
        hidden += len(groups) - len(shown)
        top = sorted(shown, key=lambda g: -g["count"])[:TOP_GROUPS]
        if top:
            listed = ", ".join(f"{g['en']} {g['count']:,} ({_share_tgi(g)})" for g in top)
            click.echo(f"  {family}: {listed}")
    click.echo(
        f"  groups under {k} accounts show as <{k} ({hidden} here): no figure that small is "
        "given, so no fan can be singled out; --json lists every group"
    )


def _share_tgi(group: dict[str, Any]) -> str:
    """A group's share and TGI; no TGI when the platform has no one with the tag (a noisy
    count can show where the exact one is empty)."""
    tgi = group.get("tgi")
    return f"{group['share']:.0%}, TGI {tgi:.0f}" if tgi is not None else f"{group['share']:.0%}"


def _count(value: int | str) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


@segment.command()
@click.argument("name")
@click.argument("expression")
@settings_options
def save(name: str, expression: str, **kwargs: Any) -> None:
    """Save EXPRESSION as NAME, usable as segment:NAME."""
    SavedSegments(_settings(kwargs).data_path).save(name, expression)
    click.echo(f"saved segment:{name}")


@segment.command(name="list")
@settings_options
def list_segments(**kwargs: Any) -> None:
    """List saved segments (JSON)."""
    print_json(SavedSegments(_settings(kwargs).data_path).all())


@segment.command(name="export")
@click.argument("expression")
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Roaring bitmap file to write (portable format).",
)
@settings_options
def export_segment(expression: str, output: Path, **kwargs: Any) -> None:
    """Operators: write the segment as a portable Roaring bitmap of account ids."""
    settings = _settings(kwargs)
    n = write_bitmap(_audience(settings).select(expression), output)
    click.echo(f"{n:,} accounts written to {output}")


@segment.command()
@click.argument("expression", required=False)
@click.option("--creator", "creator_id", type=click.IntRange(min=1), help="Seed: these fans.")
@click.option("--size", required=True, type=click.IntRange(min=1), help="Accounts wanted.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Operators: also write the audience as a portable Roaring bitmap.",
)
@settings_options
def lookalike(
    expression: str | None, creator_id: int | None, size: int, output: Path | None, **kwargs: Any
) -> None:
    """Expand a seed (EXPRESSION or --creator's fans) to --size similar accounts (JSON)."""
    if (expression is None) == (creator_id is None):
        raise click.UsageError("give either EXPRESSION or --creator")
    settings = _settings(kwargs)
    audience = _audience(settings)
    if creator_id is not None:
        platform = Platform(settings).open()
        try:
            seed = audience.fans(platform.db, creator_id)
        finally:
            platform.close()
        label = f"fans of creator {creator_id}"
    else:
        assert expression is not None
        seed, label = audience.select(expression), expression
    result, about = audience.lookalike(seed, size, label)
    if output is not None:
        write_bitmap(result, output)
    print_json(about)
