"""`plaudit experiments`: create, assign, report, list: a thin layer over `plaudit.experiments`.

The CLI acts as the instance operator: it reads and assigns in every experiment.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import click

from plaudit.cli.common import open_platform, print_json, settings_options
from plaudit.experiments import METRICS, UNITS

__all__ = ["experiments"]


def _utc(value: datetime | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@click.group()
def experiments() -> None:
    """A/B experiments with hashing assignment, exposure logs and CUPED analysis."""


@experiments.command()
@click.option("--name", required=True, help="What is tested, e.g. 'answer fans daily'.")
@click.option("--owner", type=click.IntRange(min=1), required=True,
              help="Creator or operator account that owns it.")  # fmt: skip
@click.option("--unit", type=click.Choice(UNITS), required=True, help="Who is assigned.")
@click.option("--metric", type=click.Choice(sorted(METRICS)), required=True,
              help="Per-unit count per day that is compared.")  # fmt: skip
@click.option("--arm", "arms", multiple=True, required=True, metavar="NAME[:WEIGHT]",
              help="An arm; repeat; the first is the control.")  # fmt: skip
@click.option("--start", type=click.DateTime(), help="Start (UTC; default now).")
@click.option("--days", type=click.IntRange(min=1), default=14, show_default=True,
              help="Length of the experiment window.")  # fmt: skip
@click.option("--pre-days", type=click.IntRange(min=1), default=14, show_default=True,
              help="Length of the pre-period before the start (for CUPED).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@settings_options
def create(
    name: str, owner: int, unit: str, metric: str, arms: tuple[str, ...],
    start: datetime | None, days: int, pre_days: int, as_json: bool, **kwargs: Any,
) -> None:  # fmt: skip
    """Create an experiment and print its id."""
    begins = _utc(start)
    windows = (begins - timedelta(days=pre_days), begins, begins + timedelta(days=days))
    with open_platform(**kwargs) as platform:
        made = platform.experiments.create(owner, name, unit, metric, list(arms), windows)
    if as_json:
        print_json(made.as_dict())
    else:
        click.echo(f"experiment {made.id} created: {made.name} ({made.metric}, arms "
                   f"{', '.join(a.name for a in made.arms)})")  # fmt: skip


@experiments.command()
@click.argument("experiment_id", type=click.IntRange(min=1))
@click.argument("unit_id", type=click.IntRange(min=1))
@click.option("--no-expose", is_flag=True, help="Only show the arm; log no exposure.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@settings_options
def assign(experiment_id: int, unit_id: int, no_expose: bool, as_json: bool, **kwargs: Any) -> None:
    """Show the arm of UNIT_ID in EXPERIMENT_ID and log its first exposure."""
    with open_platform(**kwargs) as platform:
        found = platform.experiments.assign(experiment_id, unit_id, expose=not no_expose)
    if as_json:
        print_json(found)
    else:
        click.echo(found["arm"])


@experiments.command()
@click.argument("experiment_id", type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@settings_options
def report(experiment_id: int, as_json: bool, **kwargs: Any) -> None:
    """Difference in means with its 95% Welch interval, and after CUPED."""
    with open_platform(**kwargs) as platform:
        found = platform.experiments.report(experiment_id)
    if as_json:
        print_json(found)
        return
    click.echo(f"{found['experiment']['name']}: {found['metric']['en']} over "
               f"{found['window']['days']:.1f} days")  # fmt: skip
    for arm in found["arms"]:
        click.echo(f"  {arm['arm']:<12} units {arm['units']:>6}  mean {arm['mean']:.4f}  "
                   f"pre-period {arm['pre_mean']:.4f}")  # fmt: skip
    cuped = found["cuped"]
    click.echo(f"  CUPED theta {cuped['theta']:.4f}, variance reduction "
               f"{cuped['variance_reduction']:.1%}")  # fmt: skip
    for c in found["comparisons"]:
        for label in ("plain", "cuped"):
            low, high = c[label]["ci95"]
            click.echo(f"  {c['arm']} - {c['control']} ({label}): {c[label]['difference']:+.4f} "
                       f"[{low:+.4f}, {high:+.4f}] 95% CI")  # fmt: skip
        if c["relative_uplift"] is not None:
            click.echo(f"  relative uplift {c['relative_uplift']:+.1%}")


@experiments.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@settings_options
def list_experiments(as_json: bool, **kwargs: Any) -> None:
    """Every experiment."""
    with open_platform(**kwargs) as platform:
        found: list[dict[str, Any]] = [e.as_dict() for e in platform.experiments.list()]
    if as_json:
        print_json(found)
        return
    for e in found:
        click.echo(f"{e['id']:>5}  {e['name']}  {e['unit']}  {e['metric']}  "
                   f"{e['starts_at'][:10]}..{e['ends_at'][:10]}")  # fmt: skip
