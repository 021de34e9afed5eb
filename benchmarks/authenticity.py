"""Scan time and peak memory of `plaudit authenticity scan` at 1 M, 5 M and 20 M likes.

    python benchmarks/authenticity.py [--sizes 1,5,20] [--dir /tmp/plaudit-bench]

Each size is a Parquet file of organic-looking likes (Zipf-popular videos, accounts of
log-normal activity, times over 90 days) plus one lockstep farm, written with NumPy in a
few seconds. Each scan runs in a fresh process so its peak RSS is its own. Two anchors: the
target of issue 4 (20 M likes within 120 s and 8 GB), and, measured in the same process on
the same arrays, one plain sort of the (account, video) keys of every like.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
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
import resource, sys, time
import numpy as np
from pathlib import Path
from plaudit.authenticity import read_interactions, scan, write_results
started = time.perf_counter()
table = read_interactions(Path(sys.argv[1]))
read = time.perf_counter() - started
started = time.perf_counter()
np.sort(table.account.astype(np.int64) * table.n_videos + table.video)
anchor = time.perf_counter() - started
started = time.perf_counter()
result = scan(table)
scanned = time.perf_counter() - started
counts = write_results(table, result, Path(sys.argv[2]))
found = sorted({v.detector for v in result.verdicts})
print("FIGURES", read, anchor, scanned, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
print("SUMMARY", len(table), table.n_accounts, counts["verdicts"], counts["accounts"], found)
"""


def measure(path: Path, out: Path) -> tuple[float, float, float, float, int, str]:
    """Scan in a child process: wall time in all, read, anchor and scan seconds, peak RSS.

    The anchor is one plain pass over the same data: sorting the (account, video) keys of
    every like, which any detector must at least do once.
    """
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    lines = done.stdout.strip().splitlines()
    figures = next(line for line in lines if line.startswith("FIGURES")).split()[1:]
    summary = next(line for line in lines if line.startswith("SUMMARY"))[len("SUMMARY ") :]
    read, anchor, scanned = (float(x) for x in figures[:3])
    return wall, read, anchor, scanned, int(figures[3]) * 1024, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,5,20", help="Millions of likes, comma-separated.")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/plaudit-bench-authenticity"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    for millions in (float(s) for s in args.sizes.split(",")):
        path = args.dir / f"likes-{millions:g}M.parquet"
        if not path.exists():
            started = time.perf_counter()
            synthesize(path, int(millions * 1_000_000))
            print(f"wrote {path} in {time.perf_counter() - started:.1f} s", flush=True)
        wall, read, anchor, scanned, peak, summary = measure(path, args.dir / f"out-{millions:g}M")
        print(
            f"{millions:>5g} M likes: wall {wall:6.1f} s ({wall / ANCHOR_SECONDS:.2f} of the "
            f"{ANCHOR_SECONDS:.0f} s target; read {read:.1f} s, detectors {scanned:.1f} s = "
            f"{scanned / anchor:.0f}x the anchor sort of {anchor:.2f} s), peak RSS "
            f"{peak / 1024**3:.2f} GB ({peak / ANCHOR_BYTES:.2f} of 8 GB); "
            f"likes, accounts, verdicts, account rows, detectors: {summary}",
            flush=True,
        )


if __name__ == "__main__":
    main()
