"""The ledger end to end: committed interactions to a signed checkpoint covering them.

    python benchmarks/ledger_e2e.py [--events 20M] [--entries 2M] [--batch 8192]
                                    [--database-url URL] [--keep DIR] [--runs 3]

On a store of `--events` events and their rows (``ledger_store.py``: tens of millions of
rows, made in the database in a minute or two), the platform's own ``Integrator`` catches up
from an empty log until at least `--entries` entries are integrated: reading the events and
their rows, building the entries (HMAC openings, commitments, encoding), the tree, tiles,
bundles, a signed checkpoint per round and its write transaction. The figure is the number
integrated over the wall time, from the first read to the last commit; the final checkpoint
is then verified with the log's key and its size checked. Each run starts from an empty log
on the same store (``reset_ledger``); the median of `--runs` is reported with the load average.
The code before a change runs from an exported tree: ``git archive main src | tar -x -C DIR``
then ``PYTHONPATH=DIR/src python benchmarks/ledger_e2e.py ...`` (the header names the hashing
path of the code it runs).

SQLite by default (a file under `--keep`, the settings `plaudit serve` uses: WAL,
synchronous=full); `--database-url postgresql+psycopg://...` runs it on PostgreSQL (the
database is created when missing). Runs against any version of the integrator: an
integrator without ``catch_up(stop=...)`` is driven round by round with ``integrate_once``.
"""

from __future__ import annotations

import argparse
import inspect
import io
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ledger_floor import floor_of_batches
from ledger_store import ensure_store, reset_ledger

from plaudit.config import load_settings
from plaudit.ledger import merkle, open_checkpoint
from plaudit.ledgerstore import Integrator
from plaudit.platform import Platform

__all__ = ["end_to_end", "hashing", "open_store"]

TARGET_RATE = 200_000


def parse_count(text: str) -> int:
    """'10M' -> 10_000_000, '250k' -> 250_000, '5000' -> 5000."""
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def _create_database(url: str) -> None:
    """CREATE DATABASE for a PostgreSQL URL when it does not exist yet."""
    import psycopg

    base, name = url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if found is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def open_store(workdir: Path, events: int, database_url: str | None) -> Platform:
    """The platform on a store holding `events` events (made now when it is empty)."""
    flags = {"data_dir": str(workdir / f"e2e-{events}")}
    if database_url:
        _create_database(database_url)
        flags["database_url"] = database_url
    platform = Platform(load_settings(flags=flags, env={})).open()
    made = ensure_store(platform, events)
    if made:
        print(f"  store made: {events:,} events in {made:.0f} s ({events / made:,.0f} events/s)")
    return platform


def hashing() -> str:
    """Which SHA-256 path the code under test uses (older code has only hashlib)."""
    if getattr(merkle, "BATCH_HASHING", False):
        return "compiled batch SHA-256 (plaudit.ledger._batchhash)"
    return "hashlib, one call per hash"


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children (the integrator's workers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def end_to_end(
    platform: Platform, entries: int, batch: int, workers: int | None = None
) -> tuple[int, float, float]:
    """(entries integrated, wall seconds, CPU seconds) for the platform's integrator from an
    empty log. CPU seconds (this process and the workers, reaped by `stop`) barely depend on
    what else the machine runs, so they compare runs on a shared machine."""
    reset_ledger(platform)
    signer = platform.ledger.signer
    options = {} if workers is None else {"workers": workers}  # issue 18's integrator only
    integrator = Integrator(
        platform.db, signer, platform.settings.ledger_origin, batch=batch, **options
    )
    reached: Callable[[], bool] = lambda: platform.ledger.size() >= entries  # noqa: E731
    cpu, started = cpu_seconds(), time.perf_counter()
    if "stop" in inspect.signature(integrator.catch_up).parameters:
        integrator.catch_up(stop=reached)
    else:  # the integrator before issue 18: one round at a time
        while not reached() and integrator.integrate_once():
            pass
    elapsed = time.perf_counter() - started
    integrator.stop()  # reaps the worker processes, so their CPU time is counted
    cpu = cpu_seconds() - cpu
    size = platform.ledger.size()
    checkpoint = open_checkpoint(platform.ledger.checkpoint(), [signer.verifier()])
    assert checkpoint.size == size >= entries, (checkpoint.size, size, entries)
    return size, elapsed, cpu


def floor_rate(
    entries: int, entry_bytes: int = 110, clock: Callable[[], float] = time.perf_counter
) -> float:
    """The in-run anchor: entries/s of the hashing floor (leaf and node SHA-256 only) on
    `entries` entries of `entry_bytes` bytes, best of two; what the machine gives now
    (per CPU second with `clock=time.process_time`)."""
    blob = os.urandom(min(entries, 65_536) * entry_bytes)
    batch = [blob[i : i + entry_bytes] for i in range(0, len(blob), entry_bytes)]
    rounds = max(1, entries // len(batch))
    best = min(floor_of_batches([batch] * rounds, clock)[0] for _ in range(2))
    return rounds * len(batch) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", default="20M", help="events in the store (its size)")
    parser.add_argument("--entries", default="2M", help="entries integrated per run")
    parser.add_argument("--batch", type=int, default=8192, help="the integrator's round")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--workers",
        type=int,
        help="the integrator's worker processes (default: its own, none on 2 CPUs or fewer)",
    )
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite under --keep)")
    parser.add_argument("--keep", type=Path, help="keep the store here (reused when present)")
    args = parser.parse_args()
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)
    events, entries = parse_count(args.events), parse_count(args.entries)
    with tempfile.TemporaryDirectory(prefix="plaudit-ledger-e2e-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        platform = open_store(workdir, events, args.database_url)
        try:
            print(
                f"ledger end to end on {platform.db.dialect}: {events:,} events in the store, "
                f"{entries:,} entries per run, load average {os.getloadavg()[0]:.2f} "
                f"on {os.cpu_count()} CPUs; hashing: {hashing()}"
            )
            rates, ratios, cpu_rates, cpu_ratios = [], [], [], []
            for run in range(args.runs):
                floor = floor_rate(entries)
                floor_cpu = floor_rate(entries, clock=time.process_time)
                size, seconds, cpu = end_to_end(platform, entries, args.batch, args.workers)
                rates.append(size / seconds)
                ratios.append(size / seconds / floor)
                cpu_rates.append(size / cpu)
                cpu_ratios.append(size / cpu / floor_cpu)
                print(
                    f"  run {run + 1}: {size:,} entries in {seconds:.2f} s = "
                    f"{size / seconds:,.0f} entries/s = {ratios[-1]:.3f} x the hashing floor "
                    f"measured just before ({floor:,.0f}/s); CPU {cpu:.1f} s = "
                    f"{1e6 * cpu / size:.1f} us per entry = {size / cpu:,.0f} entries per CPU "
                    f"second = {cpu_ratios[-1]:.3f} x the floor per CPU second "
                    f"({floor_cpu:,.0f}); load {os.getloadavg()[0]:.2f}"
                )
        finally:
            platform.close()
    median = statistics.median(rates)
    verdict = "MET" if median >= TARGET_RATE else "MISSED"
    print(f"  end to end median: {median:,.0f} entries/s (target 200,000: {verdict})")
    print(f"  end to end / hashing floor, median: {statistics.median(ratios):.3f} x")
    print(
        f"  per CPU second, median: {statistics.median(cpu_rates):,.0f} entries = "
        f"{statistics.median(cpu_ratios):.3f} x the floor per CPU second (one core at this "
        f"rate gives {statistics.median(cpu_rates):,.0f} entries/s)"
    )


if __name__ == "__main__":
    main()
