"""`plaudit strategy`: train the recommender, evaluate it offline, ask it for an account's
recommendations. A thin layer over `plaudit.recommend` (docs/recommender.md)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from plaudit.cli.common import (
    engine_option,
    open_platform,
    print_json,
    settings_options,
    stage_progress,
)
from plaudit.recommend import (
    MAX_LIMIT,
    SPLITS,
    CreatorRecommendation,
    EngineParams,
    EvalReport,
    Recommendation,
    evaluate,
    read_categories_csv,
    read_feedback_csv,
)

__all__ = ["strategy"]


@contextmanager
def _progress(label: str, total: int | None = None) -> Iterator[Callable[[str], None]]:
    """Progress on stderr (stdout stays clean for --json), a bar on a terminal and plain
    lines in a log; yields `step(description)`."""
    with stage_progress(label, total) as advance:
        yield lambda description: advance(f"{label}: {description}")


@click.group()
def strategy() -> None:
    """The strategy engine (流光引擎): the recommender's training and evaluation."""


def _lake_options(command: Callable[..., None]) -> Callable[..., None]:
    """--lake LAKE and --engine local|spark, as `authenticity scan` and `fund compute` have."""
    command = engine_option(
        None,
        "local (DuckDB and implicit's ALS, the default) or spark (Spark SQL and Spark ML's ALS",
    )(command)
    return click.option(
        "--lake",
        "lake_url",
        default=None,
        metavar="LAKE",
        help="Read the likes from the event lake at LAKE (a folder or fsspec URL written by "
        "`plaudit lake export`) instead of the database (video categories still come from "
        "the database).",
    )(command)


def _engine_of(lake_url: str | None, engine: str | None) -> str:
    if engine is not None and lake_url is None:
        raise click.UsageError("--engine goes with --lake LAKE (the database is read locally)")
    return engine or "local"


@strategy.command()
@click.option(
    "--factors",
    type=click.IntRange(min=1, max=1024),
    default=EngineParams.factors,
    show_default=True,
    help="ALS latent factors.",
)
@click.option(
    "--iterations",
    type=click.IntRange(min=1, max=200),
    default=EngineParams.iterations,
    show_default=True,
    help="ALS iterations.",
)
@_lake_options
@settings_options
def train(
    factors: int, iterations: int, lake_url: str | None, engine: str | None, **kwargs: Any
) -> None:
    """Train the recommender on the platform's likes (or, with --lake, the event lake's on
    either engine) and swap the new model in."""
    engine_name = _engine_of(lake_url, engine)
    params = EngineParams(factors=factors, iterations=iterations)
    with open_platform(**kwargs) as platform:
        started = time.perf_counter()
        with _progress("train", total=iterations + 5) as step:
            if lake_url is None:
                model = platform.recommender.train(params, step)
            else:
                model = platform.recommender.train_on_lake(lake_url, engine_name, params, step)
    meta = model.meta
    source = f"the lake {lake_url}, {engine_name} engine" if lake_url else "the database"
    click.echo(
        f"model {model.id}: {meta['likes']:,} likes of {len(model.account_ids):,} "
        f"accounts on {len(model.video_ids):,} videos from {source}; ALS fit and features "
        f"{meta['train_seconds']:.1f} s, total {time.perf_counter() - started:.1f} s"
    )


@strategy.command(name="eval")
@click.option(
    "--input",
    "input_file",
    type=click.Path(path_type=Path),
    help="CSV of account_id,video_id[,ts], ids any text (default: the platform's likes).",
)
@click.option(
    "--split",
    "how",
    type=click.Choice(SPLITS),
    default="random",
    show_default=True,
    help="random: per-account 80/10/10; time: leave-last-out by ts.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the random split.",
)
@click.option(
    "--categories", "categories_file", type=click.Path(path_type=Path),
    help="With --input: CSV of video_id,category, for the engine's category re-ranking.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_lake_options
@settings_options
def eval_command(
    input_file: Path | None,
    how: str,
    seed: int,
    categories_file: Path | None,
    as_json: bool,
    lake_url: str | None,
    engine: str | None,
    **kwargs: Any,
) -> None:
    """Recall@10 and NDCG@10 of popularity, item-kNN, EASE and the engine (tuned on validation,
    reported on test; full ranking, seen videos excluded). With --lake: what `train --lake
    --engine E` would serve, ALS alone and the engine's blend with the default parameters
    (fitted on training + validation, reported on test), so the engines compare like with like."""
    engine_name = _engine_of(lake_url, engine)
    if categories_file is not None and input_file is None:
        raise click.UsageError(
            "--categories goes with --input; the platform's likes use the videos' categories"
        )
    if lake_url is not None and input_file is not None:
        raise click.UsageError("--lake and --input are two sources of likes; give one")
    feedback = read_feedback_csv(input_file) if input_file is not None else None
    categories = read_categories_csv(categories_file) if categories_file is not None else None
    with _progress("eval") as step:
        if lake_url is not None:
            with open_platform(**kwargs) as platform:
                report = platform.recommender.evaluate_lake(
                    lake_url, engine_name, how, seed, progress=step
                )
        elif feedback is not None:
            report = evaluate(feedback, how, seed, categories, step)
        else:
            with open_platform(**kwargs) as platform:
                report = platform.recommender.evaluate(how, seed, step)
    if as_json:
        print_json(report.as_json())
    else:
        _print_report(report)


def _print_report(report: EvalReport) -> None:
    click.echo(
        f"{report.pairs:,} likes, {report.accounts:,} accounts, {report.videos:,} videos; "
        f"split {report.split} (seed {report.seed}), {report.test_accounts:,} test accounts"
    )
    tuned = any(result.valid_recall is not None for result in report.models.values())
    params = "chosen on validation" if tuned else "parameters (fixed, not tuned)"
    click.echo(f"{'model':<12} {'Recall@10':>10} {'NDCG@10':>10} {'train s':>9}  {params}")
    for name, result in report.models.items():
        chosen = ", ".join(f"{k}={v}" for k, v in result.params.items()) or "-"
        click.echo(
            f"{name:<12} {result.recall:>10.4f} {result.ndcg:>10.4f} "
            f"{result.train_seconds:>9.2f}  {chosen}"
        )


@strategy.command()
@click.argument("account_id", type=click.IntRange(min=1))
@click.option("--creators", is_flag=True, help="Creators to follow instead of videos.")
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=MAX_LIMIT),
    default=20,
    show_default=True,
    help="How many to list.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@settings_options
def recommend(account_id: int, creators: bool, limit: int, as_json: bool, **kwargs: Any) -> None:
    """Videos ACCOUNT_ID is likely to like (or, with --creators, creators it may follow)."""
    with open_platform(**kwargs) as platform:
        service = platform.recommender
        result = (
            service.creators_for(account_id, limit)
            if creators
            else service.videos_for(account_id, limit)
        )
    if as_json:
        print_json(asdict(result))
        return
    basis = "personalised" if result.personalised else f"not personalised ({result.reason})"
    click.echo(f"account {account_id}: {basis}, model {result.model_id or 'none'}")
    items: list[Recommendation | CreatorRecommendation] = list(result.items)
    for rank, item in enumerate(items, 1):
        fields = ", ".join(f"{k} {v}" for k, v in asdict(item).items() if k != "score")
        click.echo(f"{rank:>3}. {fields} (score {item.score:.3f})")
