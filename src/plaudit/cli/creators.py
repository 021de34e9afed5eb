"""`plaudit creator`: a creator's insights, plan, inbox and approvals, and the daily refresh
of every plan (`plaudit creator plans refresh`). A thin layer over `plaudit.strategy`.

The CLI is the instance operator's tool: it reads any creator's assistant, and `approve`
records the creator as the approver (the operator acts on the creator's instruction).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.progress import Progress

from plaudit.cli.common import open_platform, print_json, settings_options
from plaudit.errors import InvalidInput

__all__ = ["creator"]

F = TypeVar("F", bound=Callable[..., Any])
CREATOR_ID = click.argument("creator_id", type=click.IntRange(min=1))


def _json_option(command: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(command)


def _refresh_option(command: F) -> F:
    return click.option(
        "--refresh", is_flag=True, help="Compute now instead of serving the stored copy."
    )(command)


@click.group()
def creator() -> None:
    """A creator's strategy assistant (流光引擎): insights, plan, inbox, approvals."""


@creator.command()
@CREATOR_ID
@_refresh_option
@_json_option
@settings_options
def insights(creator_id: int, refresh: bool, as_json: bool, **kwargs: Any) -> None:
    """Who CREATOR_ID's fans are, growth and churn, active hours, converting videos."""
    with open_platform(**kwargs) as platform:
        platform.strategy.check_reader(creator_id, None)
        if refresh:
            platform.strategy.refresh(creator_id)
        found = platform.strategy.insights(creator_id)
    if as_json:
        print_json(found)
        return
    click.echo(found["summary"]["en"])
    click.echo(found["summary"]["zh"])
    for week in found["growth"][-4:]:
        click.echo(f"  week of {week['week_start'][:10]}: +{week['follows']} -{week['unfollows']}"
                   f" followers {week['followers']}, likers {week['likers']}")  # fmt: skip


@creator.command()
@CREATOR_ID
@_refresh_option
@_json_option
@settings_options
def plan(creator_id: int, refresh: bool, as_json: bool, **kwargs: Any) -> None:
    """CREATOR_ID's engagement plan: fans to answer or thank, hours, content, audiences."""
    with open_platform(**kwargs) as platform:
        platform.strategy.check_reader(creator_id, None)
        if refresh:
            platform.strategy.refresh(creator_id)
        found = platform.strategy.plan(creator_id)
    if as_json:
        print_json(found)
        return
    click.echo(f"plan of creator {creator_id}, computed {found['computed_at']}")
    for fan in found["fans"][:20]:
        click.echo(f"{fan['rank']:>3}. {fan['action']:<6} @{fan['handle']:<20} "
                   f"risk {fan['churn_risk']:.0%}  {fan['reason']['en']}")  # fmt: skip
    click.echo(found["posting_hours"]["en"])
    for row in found["content"]["resonating"][:5]:
        click.echo(f"  {row['category']:<12} {row['videos']} videos, "
                   f"{row['likes_per_video']} likes/video (index {row['index']})")  # fmt: skip
    for segment in found["audiences"]["segments"]:
        click.echo(f"  audience: {segment['expression']} (TGI {segment['tgi']}, "
                   f"{segment['count']} accounts)")  # fmt: skip


@creator.command()
@CREATOR_ID
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="List the first LIMIT items in plan order.",
)
@_json_option
@settings_options
def inbox(creator_id: int, limit: int, as_json: bool, **kwargs: Any) -> None:
    """Fans' comments on CREATOR_ID's videos in plan order, with reply suggestions."""
    with open_platform(**kwargs) as platform:
        platform.strategy.check_reader(creator_id, None)
        found = platform.strategy.inbox(creator_id)
    total = len(found["items"])
    found["items"] = found["items"][:limit]
    if as_json:
        print_json(found)
        return
    for item in found["items"]:
        said = f' "{item["comment"]["body"]}"' if item["comment"] else ""
        click.echo(f"{item['id']:<16} @{item['fan']['handle']}{said}")
        click.echo(f"{'':<16} -> {item['suggestion']['body']}")
    more = f" (the first {limit}; --limit shows more)" if total > limit else ""
    click.echo(f"{total} items{more}; approve with `plaudit creator approve "
               f"{creator_id} ID...`")  # fmt: skip


@creator.command()
@CREATOR_ID
@click.argument("ids", nargs=-1, required=True)
@click.option(
    "--body",
    "bodies",
    multiple=True,
    metavar="ID=TEXT",
    help="Use TEXT instead of the suggestion for item ID (repeatable).",
)
@_json_option
@settings_options
def approve(
    creator_id: int, ids: tuple[str, ...], bodies: tuple[str, ...], as_json: bool, **kwargs: Any
) -> None:
    """Run the inbox items IDS for CREATOR_ID (as `assistant` interactions, recorded)."""
    edits = dict(_edit(text) for text in bodies)
    with open_platform(**kwargs, writer_thread=True) as platform:
        platform.strategy.check_reader(creator_id, None)
        results = asyncio.run(platform.strategy.approve(creator_id, creator_id, ids, edits))
    if as_json:
        print_json(results)
        return
    for result in results:
        detail = f" ({result['detail']})" if result.get("detail") else ""
        click.echo(f"{result['id']}: {result['outcome']}{detail}")


def _edit(text: str) -> tuple[str, str]:
    action_id, sep, body = text.partition("=")
    if not sep:
        raise InvalidInput(f"--body {text!r}: write it as ID=TEXT, e.g. reply-12=谢谢！",
                           field="body")  # fmt: skip
    return action_id, body


@creator.command()
@CREATOR_ID
@settings_options
def actions(creator_id: int, **kwargs: Any) -> None:
    """The record of CREATOR_ID's approved actions, newest first (JSON)."""
    with open_platform(**kwargs) as platform:
        platform.strategy.check_reader(creator_id, None)
        print_json(platform.strategy.actions(creator_id))


@creator.group()
def plans() -> None:
    """Stored plans: the daily refresh."""


@plans.command("refresh")
@click.option("--creator", "creator_id", type=click.IntRange(min=1), help="Only this creator.")
@settings_options
def refresh_plans(creator_id: int | None, **kwargs: Any) -> None:
    """Compute and store every creator's insights and plan (run daily)."""
    with open_platform(**kwargs) as platform:
        if creator_id is not None:
            platform.strategy.check_reader(creator_id, None)
            platform.strategy.refresh(creator_id)
            click.echo(f"plan of creator {creator_id} refreshed")
            return
        with Progress(transient=True) as progress:
            task = progress.add_task("plans", total=None)

            def step(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            count = platform.strategy.refresh_all(step)
    click.echo(f"{count:,} creator plans refreshed")
