"""`plaudit quality`: interaction quality scores of a video or a campaign (operator view)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from plaudit.cli.common import open_platform, print_json, settings_options
from plaudit.quality import QualityScore

__all__ = ["quality"]


def _show(score: QualityScore, as_json: bool) -> None:
    if as_json:
        print_json(asdict(score))
        return
    click.echo(
        f"{score.subject} {score.subject_id}: quality {score.score} "
        f"(reach {score.reach} accounts, {score.weighted_points} authentic points, "
        f"{score.likes} likes, {score.comments} comments, {score.shares} shares; "
        f"{score.revoked} revoked ({score.revoked_share}), {score.pending} pending)"
    )


@click.group()
def quality() -> None:
    """Interaction quality: authentic engagement per engaged account (docs/fund.md)."""


@quality.command("video")
@click.argument("video_id", type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@settings_options
def video(video_id: int, as_json: bool, **settings: Any) -> None:
    """The quality score of VIDEO_ID's organic interactions."""
    with open_platform(**settings) as platform:
        score = platform.quality.video(video_id)
    _show(score, as_json)


@quality.command("campaign")
@click.argument("campaign_id", type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@settings_options
def campaign(campaign_id: int, as_json: bool, **settings: Any) -> None:
    """The quality score of the interactions made through CAMPAIGN_ID (campaign:<id>)."""
    with open_platform(**settings) as platform:
        score = platform.quality.campaign(campaign_id)
    _show(score, as_json)
