"""Scan time and peak memory of `plaudit authenticity scan` at 1 M, 5 M and 20 M likes.

    python benchmarks/authenticity.py [--sizes 1,5,20] [--dir /tmp/plaudit-bench]
        [--detectors lockstep,dense] [--no-cohort] [--processes 2]

Each size is a Parquet file of organic-looking likes (Zipf-popular videos, accounts of
log-normal activity, times over 90 days) plus one lockstep farm, written with NumPy in a
few seconds. Each scan runs in a fresh process so its peak RSS is its own. Two anchors: the
target of issue 4 (20 M likes within 120 s and 8 GB), and, measured in the same process on
the same arrays, one plain sort of the (account, video) keys of every like. On a shared
machine the figures to compare are CPU seconds (user + sys of the scan's process) and the
ratio to the anchor's CPU seconds; the load average is printed beside them. `--processes 2`
runs dense beside the other detectors in a second process (the command runs them in turn
in one); the CPU counts both, and the peak RSS of each is printed.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ANCHOR_SECONDS = 120.0
ANCHOR_BYTES = 8 * 1024**3
DAY = 86_400


def synthesize(path: Path, likes: int, seed: int = 1) -> None:
    """Write `likes` organic likes plus a 1,000 x 500 lockstep farm at density 0.1."""
    rng = np.random.default_rng(seed)
    accounts, videos = max(1000, likes // 20), max(500, likes // 100)
    activity = rng.lognormal(0.0, 1.0, accounts)
    account = rng.choice(accounts, likes, p=activity / activity.sum())
    popularity = 1.0 / np.arange(1, videos + 1) ** 0.9
    video = rng.choice(videos, likes, p=popularity / popularity.sum())
    published = rng.integers(0, 90 * DAY, videos)
    ts = 1_700_000_000 + published[video] + rng.exponential(3 * DAY, likes).astype(np.int64)
    who, what = np.nonzero(rng.random((1000, 500)) < 0.1)
    account = np.concatenate([account, accounts + who])
    video = np.concatenate([video, rng.choice(videos, 500, replace=False)[what]])
    ts = np.concatenate([ts, 1_700_000_000 + 45 * DAY + rng.integers(0, 1800, len(who))])
    table = pa.table({"account_id": account, "video_id": video, "ts": ts})
    pq.write_table(table, path, compression="zstd")


CHILD = """
import os, resource, sys, time
import numpy as np
from pathlib import Path
from plaudit.authenticity import read_interactions, scan, write_results
from plaudit.authenticity.batch import ScanSettings
from plaudit.authenticity.detectors import DenseSettings
detectors = tuple(sys.argv[3].split(","))
dense = DenseSettings() if sys.argv[4] == "cohort" else DenseSettings(cohort=None)
settings = ScanSettings(detectors=detectors, dense=dense)
processes = int(sys.argv[5])
def cpu_time():
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
phases = {}
def phase(name, started, cpu):
    phases[name] = (time.perf_counter() - started, cpu_time() - cpu)
started, cpu = time.perf_counter(), cpu_time()
table = read_interactions(Path(sys.argv[1]))
phase("read", started, cpu)
started, cpu = time.perf_counter(), cpu_time()
np.sort(table.account.astype(np.int64) * table.n_videos + table.video)
phase("anchor", started, cpu)
marks = {}
def progress(name):
    marks[name.split(" ")[0]] = time.process_time()
started, cpu = time.perf_counter(), cpu_time()
result = scan(table, settings, progress, processes=processes)
phase("scan", started, cpu)
ends = sorted(marks.items(), key=lambda item: item[1]) + [("", time.process_time())]
per_detector = {a[0]: b[1] - a[1] for a, b in zip(ends, ends[1:])}
counts = write_results(table, result, Path(sys.argv[2]))
found = sorted({v.detector for v in result.verdicts})
print("FIGURES", *phases["read"], *phases["anchor"], *phases["scan"],
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print("DETECTORS", " ".join(f"{k}={v:.1f}" for k, v in per_detector.items()))
print("SUMMARY", len(table), table.n_accounts, counts["verdicts"], counts["accounts"], found)
"""


@dataclass(frozen=True)
class Measured:
    """One scan in its own process: wall and CPU seconds (user + sys) of each phase."""

    wall: float
    cpu: float
    read: tuple[float, float]
    anchor: tuple[float, float]
    scan: tuple[float, float]
    peak: int
    second_peak: int
    detectors: str
    summary: str
    load: tuple[float, float]


def measure(path: Path, out: Path, detectors: str, cohort: bool, processes: int) -> Measured:
    """Scan in a child process; its CPU time is the children's rusage around it.

    The anchor is one plain pass over the same data: sorting the (account, video) keys of
    every like, which any detector must at least do once. Wall times on a shared machine
    follow the load; CPU seconds and the ratio to the anchor's CPU seconds much less.
    """
    load_before = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(path),
            str(out),
            detectors,
            "cohort" if cohort else "no-cohort",
            str(processes),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = done.stdout.strip().splitlines()

    def line(tag: str) -> str:
        return next(x for x in lines if x.startswith(tag))[len(tag) + 1 :]

    figures = [float(x) for x in line("FIGURES").split()]
    return Measured(
        wall=wall,
        cpu=cpu,
        read=(figures[0], figures[1]),
        anchor=(figures[2], figures[3]),
        scan=(figures[4], figures[5]),
        peak=int(figures[6]) * 1024,
        second_peak=int(figures[7]) * 1024,
        detectors=line("DETECTORS"),
        summary=line("SUMMARY"),
        load=(load_before, os.getloadavg()[0]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,5,20", help="Millions of likes, comma-separated.")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/plaudit-bench-authenticity"))
    parser.add_argument(
        "--detectors", default="lockstep,dense,ring,farm", help="Detectors to run (the scan's)."
    )
    parser.add_argument(
        "--no-cohort",
        action="store_true",
        help="Run the dense detector without its cohort pass (DenseSettings(cohort=None)).",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="1: every detector in turn in one process, as the command runs them; 2: dense "
        "beside the others in a second process (batch.scan's processes).",
    )
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    for millions in (float(s) for s in args.sizes.split(",")):
        path = args.dir / f"likes-{millions:g}M.parquet"
        if not path.exists():
            started = time.perf_counter()
            synthesize(path, int(millions * 1_000_000))
            print(f"wrote {path} in {time.perf_counter() - started:.1f} s", flush=True)
        out = args.dir / f"out-{millions:g}M"
        m = measure(path, out, args.detectors, not args.no_cohort, args.processes)
        print(
            f"{millions:>5g} M likes: wall {m.wall:6.1f} s ({m.wall / ANCHOR_SECONDS:.2f} of the "
            f"{ANCHOR_SECONDS:.0f} s target), CPU {m.cpu:.1f} s ({m.cpu / ANCHOR_SECONDS:.2f} of "
            f"it); read {m.read[1]:.1f} s CPU, detectors {m.scan[1]:.1f} s CPU = "
            f"{m.scan[1] / m.anchor[1]:.0f}x the anchor sort of {m.anchor[1]:.2f} s CPU "
            f"(wall {m.scan[0]:.1f} s, {m.scan[0] / m.anchor[0]:.0f}x its {m.anchor[0]:.2f} s); "
            f"per detector, CPU s (this process): {m.detectors}; peak RSS {m.peak / 1024**3:.2f} "
            f"GB, second process {m.second_peak / 1024**3:.2f} GB (together at most "
            f"{(m.peak + m.second_peak) / ANCHOR_BYTES:.2f} of 8 GB); "
            f"load average {m.load[0]:.1f} before, "
            f"{m.load[1]:.1f} after; likes, accounts, verdicts, account rows, detectors: "
            f"{m.summary}",
            flush=True,
        )


if __name__ == "__main__":
    main()
