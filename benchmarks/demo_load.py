"""The demo loader: the set-based load against the reference load through `ingest`, same run.

    python benchmarks/demo_load.py [--size small] [--seed 42] [--skip-reference]

Loads the same community into two fresh SQLite data directories, first through `ingest` item
by item (`load_community(..., set_based=False)`, the anchor), then set-based (what `plaudit
demo` runs), and prints each one's wall time and CPU time (this process's user + system) with
the ratio, and the load average. Then the persona index `plaudit demo` builds afterwards, both
ways on the set-based load: read back from the database (`compute_index`, the anchor) and from
the arrays the load kept (`compute_from(PersonaInputs)`, what `plaudit demo` runs). The
generator runs in this process here (`plaudit demo` runs it ahead in a child process, whose
CPU `process_time` would not count). On a shared machine compare the CPU figures.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from plaudit.config import load_settings
from plaudit.persona.compute import compute_from, compute_index
from plaudit.platform import Platform
from plaudit.sim import SIZES
from plaudit.sim.load import load_community
from plaudit.sim.persona_inputs import PersonaInputs


def _timed(work: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of `work`."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def _timed_load(
    where: Path, size: str, seed: int, set_based: bool, name: str
) -> tuple[float, float]:
    """Wall and CPU seconds of one load into a fresh data directory (printed); after the
    set-based one, the persona index's two ways are timed and printed too."""
    settings = load_settings(flags={"data_dir": str(where)}, env={})
    platform = Platform(settings).open()
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    inputs = PersonaInputs() if set_based else None
    try:
        taken = _timed(
            lambda: load_community(
                platform.db,
                SIZES[size],
                seed,
                end=end,
                show_progress=False,
                set_based=set_based,
                persona=inputs,
            )
        )
        wall, cpu = taken
        rows = SIZES[size].accounts + SIZES[size].videos + SIZES[size].interactions
        print(
            f"{name:>20}: {wall:8.1f} s wall {cpu:8.1f} s CPU "
            f"{rows / cpu:12,.0f} rows per CPU second"
        )
        if inputs is not None:
            _persona(platform, inputs, end)
        return taken
    finally:
        platform.close()


def _persona(platform: Platform, inputs: PersonaInputs, now: datetime) -> None:
    read_wall, read_cpu = _timed(lambda: compute_index(platform.db, now))
    kept_wall, kept_cpu = _timed(lambda: compute_from(inputs, now))
    print(f"{'persona, read back':>20}: {read_wall:8.1f} s wall {read_cpu:8.1f} s CPU (anchor)")
    print(f"{'persona, from arrays':>20}: {kept_wall:8.1f} s wall {kept_cpu:8.1f} s CPU")
    print(f"persona from arrays / read back: {read_cpu / kept_cpu:.2f}x CPU")


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
            where = Path(work) / name[:3]
            runs[name] = _timed_load(where, args.size, args.seed, set_based, name)
    if len(runs) == 2:
        (ref_wall, ref_cpu), (wall, cpu) = runs.values()
        print(f"set-based / reference: {ref_wall / wall:.2f}x wall, {ref_cpu / cpu:.2f}x CPU")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
