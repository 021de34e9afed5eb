"""A platform's integrator catching up a just-loaded store (issue 18: 20M entries in < 100 s).

    python benchmarks/ledger_catch_up.py DATA_DIR

DATA_DIR is a platform's data directory whose interactions are not integrated yet, e.g. a
copy of one that `plaudit demo --size medium` just loaded (20M interactions). The script
INTEGRATES INTO IT (tiles, bundles, checkpoints, account secrets are written), so give it a
copy: ``cp -r DEMO_DIR /tmp/copy``. It runs the platform's own ``Integrator.catch_up``, the
work ``plaudit serve`` does at start, from the stored size to the last event, and prints
the wall time, the CPU time of the process (the writer thread included) and the CPU per
entry, with the load average, next to the in-run anchor: the hashing floor (leaf and node
SHA-256 of as many 110-byte entries, per CPU second), measured just before. The code before
a change runs from an exported tree with ``PYTHONPATH=DIR/src``.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import threading
import time
from pathlib import Path

from ledger_e2e import floor_rate, hashing, parse_count

from plaudit.config import load_settings
from plaudit.platform import Platform

TARGET_S = 100.0
TARGET_ENTRIES = 20_000_000
PROGRESS_S = 30.0


def cpu_seconds() -> float:
    """CPU time of this process, all its threads (the integrator's writer included)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def thread_cpu() -> dict[str, float]:
    """CPU seconds of each live thread of this process by name (Linux's /proc; empty
    elsewhere): how the catch-up's work is split between its threads."""
    tick, found = os.sysconf("SC_CLK_TCK"), {}
    for thread in threading.enumerate():
        try:
            stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        found[thread.name] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return found


def catch_up(
    platform: Platform, limit: int | None, threads: dict[str, float]
) -> tuple[int, float, float]:
    """(entries integrated, wall seconds, CPU seconds) of one `Integrator.catch_up`, with a
    progress line every `PROGRESS_S` seconds; stopped once `limit` entries are integrated
    (asked between rounds, so up to a round more). `threads` gets each thread's CPU
    seconds as of the last round (the integrator's threads end with the catch-up)."""
    started, cpu = time.perf_counter(), cpu_seconds()
    said = [started]
    before = thread_cpu()

    def progress() -> bool:
        for name, seconds in thread_cpu().items():
            threads[name] = seconds - before.get(name, 0.0)
        now, size = time.perf_counter(), platform.ledger.size()
        if now - said[0] >= PROGRESS_S:
            said[0] = now
            print(f"    {size:,} entries at {now - started:.0f} s, load {os.getloadavg()[0]:.1f}")
        return limit is not None and size >= limit

    count = platform.integrator.catch_up(stop=progress)
    return count, time.perf_counter() - started, cpu_seconds() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="a COPY of a just-loaded data directory")
    parser.add_argument(
        "--entries", help="stop after about this many entries (e.g. 5M; default: all)"
    )
    args = parser.parse_args()
    limit = None if args.entries is None else parse_count(args.entries)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)
    if not (args.data_dir / "plaudit.db").exists():
        raise SystemExit(f"{args.data_dir} holds no plaudit.db: give a platform's data directory")
    platform = Platform(load_settings(flags={"data_dir": str(args.data_dir)}, env={})).open()
    try:
        start, pending = platform.ledger.size(), platform.ledger.pending()
        floor_cpu = floor_rate(1_000_000, clock=time.process_time)
        print(
            f"ledger catch-up of {args.data_dir}: {pending:,} events pending after "
            f"{start:,} integrated, load {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; "
            f"hashing: {hashing()}; hashing floor {floor_cpu:,.0f} entries per CPU second"
        )
        threads: dict[str, float] = {}
        count, wall, cpu = catch_up(platform, limit, threads)
    finally:
        platform.close()
    if not count:
        raise SystemExit("nothing was pending: give a copy of a store not integrated yet")
    per_cpu = count / cpu
    projected = TARGET_ENTRIES * wall / count  # at this wall rate
    verdict = "MET" if projected < TARGET_S else "MISSED"
    print(
        f"  caught up {count:,} entries in {wall:.1f} s wall = {count / wall:,.0f} entries/s, "
        f"20M at this rate in {projected:.0f} s (target under {TARGET_S:.0f} s: {verdict}); "
        f"load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"  CPU {cpu:.1f} s = {1e6 * cpu / count:.2f} us per entry = {per_cpu:,.0f} entries "
        f"per CPU second = {per_cpu / floor_cpu:.3f} x the hashing floor per CPU second; "
        f"20M at this CPU rate: {20e6 / per_cpu:.0f} s of CPU"
    )
    busy = sorted(threads.items(), key=lambda item: -item[1])
    print(
        "  CPU by thread up to the last round (the main thread builds and hashes; with "
        "two cores the wall cannot go below the busiest): "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in busy if seconds >= 0.05)
    )


if __name__ == "__main__":
    main()
