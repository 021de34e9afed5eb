"""`plaudit authenticity`: the standalone scan and the evaluation over injected attacks."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from plaudit.authenticity import (
    DETECTORS,
    GRID,
    Attack,
    Likes,
    Metrics,
    Row,
    ScanSettings,
    evaluate,
    read_interactions,
    scan,
    write_results,
)
from plaudit.authenticity.sources import kuairec_likes, synthetic_likes
from plaudit.sim import SIZES

__all__ = ["authenticity"]

KUAIREC = Path("../shared/data/kuairec/shifted_logs.csv")


@click.group()
def authenticity() -> None:
    """Find fake likes: lockstep groups, dense blocks, exchange rings, device farms."""


def _detectors(value: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = [name for name in names if name not in DETECTORS]
    if unknown:
        raise click.BadParameter(f"unknown detector(s) {unknown}; choose from {DETECTORS}")
    return names


@authenticity.command("scan")
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(path_type=Path),
    help="CSV or Parquet with account_id,video_id,ts (optional device_id, ip, creator_id).",
)
@click.option(
    "--output",
    "output_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for accounts.csv, likes.csv and verdicts.json.",
)
@click.option(
    "--detectors",
    default=",".join(DETECTORS),
    show_default=True,
    help="Comma-separated detectors to run.",
)
def scan_command(input_path: Path, output_dir: Path, detectors: str) -> None:
    """Scan a file of likes without a running platform and write what is judged fake."""
    settings = ScanSettings(detectors=_detectors(detectors))
    console = Console(stderr=True)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"reading {input_path}", total=len(settings.detectors) + 2)
        table = read_interactions(input_path)

        def step(name: str) -> None:
            progress.update(task, advance=1, description=f"detector {name}")

        result = scan(table, settings, progress=step)
        progress.update(task, advance=1, description="writing results")
        counts = write_results(table, result, output_dir)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(
        f"{len(table):,} likes of {table.n_accounts:,} accounts scanned: "
        f"{counts['verdicts']} verdicts, {counts['accounts']} account rows, "
        f"{counts['likes']} likes judged fake -> {output_dir}"
    )


@authenticity.command("eval")
@click.option(
    "--source",
    "sources",
    multiple=True,
    type=click.Choice(["synthetic", "kuairec"]),
    default=("synthetic", "kuairec"),
    show_default=True,
    help="Organic graphs to inject into (repeat the option for several).",
)
@click.option(
    "--kuairec",
    type=click.Path(dir_okay=False, path_type=Path),
    default=KUAIREC,
    show_default=True,
    help="KuaiRec shifted_logs.csv (user,video pairs without header).",
)
@click.option("--quick", is_flag=True, help="A handful of attacks instead of the full grid.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the injections.")
def eval_command(sources: tuple[str, ...], kuairec: Path, quick: bool, seed: int) -> None:
    """Inject the attack grid, scan, and print precision, recall and F1 per detector."""
    organic: dict[str, Likes] = {}
    if "synthetic" in sources:
        organic["synthetic"] = synthetic_likes(SIZES["small"], seed=seed + 7)
    if "kuairec" in sources:
        organic["kuairec"] = kuairec_likes(kuairec, seed=seed + 11)
    attacks = _quick_grid() if quick else GRID
    started = time.perf_counter()
    rows = list(evaluate(organic, attacks, seed=seed))
    click.echo(_render(rows))
    click.echo(f"total {time.perf_counter() - started:.1f} s")


def _quick_grid() -> list[Attack]:
    return [
        Attack("farm", 200, 200, 0.05, "popular"),
        Attack("slow_drip", 200, 200, 0.3, "random"),
        Attack("ring", 20, 0, 0.3),
        Attack("device_farm", 100, 50, 0.2),
    ]


def _render(rows: list[Row]) -> str:
    """A fixed-width table: one line per run, accounts and likes as precision/recall/F1."""
    header = (
        f"{'source':<10} {'attack':<42} {'accounts P/R/F1':<16} {'likes P/R/F1':<16} "
        f"{'FP rate':>8} {'secs':>5}  F1 of accounts per detector"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        detail = " ".join(f"{name}={m.f1:.2f}" for name, m in row.accounts.items() if name != "all")
        lines.append(
            f"{row.source:<10} {row.attack:<42} {_prf(row.accounts['all']):<16} "
            f"{_prf(row.likes['all']):<16} {row.false_positive_rate:>8.4%} "
            f"{row.seconds:>5.2f}  {detail}"
        )
    return "\n".join(lines)


def _prf(metrics: Metrics) -> str:
    return f"{metrics.precision:.2f}/{metrics.recall:.2f}/{metrics.f1:.2f}"
