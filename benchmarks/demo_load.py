"""The demo loader: the set-based load against the reference load through `ingest`, same run.

    python benchmarks/demo_load.py [--size small] [--seed 42] [--skip-reference]

Loads the same community into two fresh SQLite data directories, first through `ingest` item
by item (`load_community(..., set_based=False)`, the anchor), then set-based (what `plaudit
demo` runs), and prints each one's wall time and CPU time (this process's user + system) with
the ratio, and the load average. Only the load and its index build are timed, not the persona
index that `plaudit demo` builds afterwards. On a shared machine compare the CPU figures.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from plaudit.config import load_settings
from plaudit.platform import Platform
from plaudit.sim import SIZES
from plaudit.sim.load import load_community


def _timed_load(where: Path, size: str, seed: int, set_based: bool) -> tuple[float, float]:
    """Wall and CPU seconds of one load into a fresh data directory."""
    settings = load_settings(flags={"data_dir": str(where)}, env={})
    platform = Platform(settings).open()
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        load_community(
            platform.db, SIZES[size], seed, end=end, show_progress=False, set_based=set_based
        )
        return time.perf_counter() - wall, time.process_time() - cpu
    finally:
        platform.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="small", choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--skip-reference", action="store_true", help="only the set-based load (no anchor)"
    )
    args = parser.parse_args()
    rows = SIZES[args.size].accounts + SIZES[args.size].videos + SIZES[args.size].interactions
    print(f"demo load, SQLite, size {args.size} ({rows:,} rows), seed {args.seed}")
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores shared)")
    with tempfile.TemporaryDirectory(prefix="plaudit-demo-load-") as work:
        runs: dict[str, tuple[float, float]] = {}
        for name, set_based in (("reference (ingest)", False), ("set-based", True)):
            if args.skip_reference and not set_based:
                continue
            runs[name] = _timed_load(Path(work) / name[:3], args.size, args.seed, set_based)
            wall, cpu = runs[name]
            print(
                f"{name:>20}: {wall:8.1f} s wall {cpu:8.1f} s CPU "
                f"{rows / cpu:12,.0f} rows per CPU second"
            )
    if len(runs) == 2:
        (ref_wall, ref_cpu), (wall, cpu) = runs.values()
        print(f"set-based / reference: {ref_wall / wall:.2f}x wall, {ref_cpu / cpu:.2f}x CPU")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
