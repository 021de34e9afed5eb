"""Writer benchmark: the writer thread's CPU per like by batch size, on SQLite.

    python benchmarks/writer_batches.py [--sizes 1,13,32] [--likes 3000]

Why: a group commit costs a fixed amount (BEGIN, the run's read, the commit and, with
`synchronous=full`, its fsync) shared by the likes of its batch, plus each like's own
statements; this prints both, so the effect of batch size (`store.writer`'s gathering under
load, docs/operations.md "The writer") can be read off. For each size B and each of
`sqlite_synchronous` full and normal, `--likes` new likes (`like_op`, distinct pairs of the
benchmark community of benchmarks/ingest.py) go through a started writer B at a time (B
queued together with `Database.write_async`, then awaited), on a fresh database. Prints the
process's CPU (user+system; the event loop that queues them idles while it waits) per like,
the wall time per like, and the ratio to the anchor of each setting: batches of one like.
Also the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import FANS, VIDEOS, _community

from plaudit.config import load_settings
from plaudit.interactions.service import NO_DEVICE, like_op
from plaudit.platform import Platform
from plaudit.store import utcnow


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _pairs(count: int, seed: int = 1) -> list[tuple[int, int]]:
    """`count` distinct (fan, video) pairs: every like is new."""
    rng = random.Random(seed)
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < count:
        pairs.add((rng.randrange(2, FANS + 2), rng.randrange(1, VIDEOS + 1)))
    return list(pairs)


def run(batch: int, likes: int, synchronous: str) -> tuple[float, float]:
    """(CPU µs per like, wall µs per like) of `likes` likes written `batch` at a time."""
    with tempfile.TemporaryDirectory(prefix="plaudit-writer-") as where:
        flags = {"data_dir": str(Path(where) / "data"), "sqlite_synchronous": synchronous}
        settings = load_settings(flags=flags, env={})
        setup = Platform(settings).open()
        _community(setup, FANS)
        setup.close()
        platform = Platform(settings).open(writer_thread=True)
        try:
            pairs = _pairs(likes - likes % batch)

            async def write_all() -> None:
                for start in range(0, len(pairs), batch):
                    await asyncio.gather(
                        *(
                            platform.db.write_async(like_op(fan, video, "app", NO_DEVICE, utcnow()))
                            for fan, video in pairs[start : start + batch]
                        )
                    )

            cpu, wall = _cpu_seconds(), time.perf_counter()
            asyncio.run(write_all())
            cpu, wall = _cpu_seconds() - cpu, time.perf_counter() - wall
        finally:
            platform.close()
    return cpu * 1e6 / len(pairs), wall * 1e6 / len(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,13,32", help="batch sizes, comma-separated")
    parser.add_argument("--likes", type=int, default=3000, help="new likes per run")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"writer CPU per like by batch size, SQLite; load {os.getloadavg()[0]:.1f} at start")
    print("synchronous  batch  CPU µs/like  wall µs/like  CPU vs batches of 1")
    for synchronous in ("full", "normal"):
        anchor, _ = run(1, args.likes, synchronous)
        for size in sizes:
            cpu, wall = run(size, args.likes, synchronous) if size != 1 else (anchor, _)
            print(
                f"{synchronous:>11}  {size:5d}  {cpu:11.1f}  {wall:12.1f}  {cpu / anchor:18.2f}",
                flush=True,
            )
    print(f"load average {os.getloadavg()[0]:.1f} at the end (2 cores shared)")


if __name__ == "__main__":
    main()
