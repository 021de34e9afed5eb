"""Recommender training on a generated community's lake, without a database.

    python benchmarks/recommend_lake_synthetic.py [--size medium] [--dir /tmp/rec-lake]
                                                  [--engines local] [--master 'local[2]']

Loading the medium community (20 M interactions) into a database and exporting it takes far
longer than training, so this writes the lake straight from the generator
(`plaudit.sim.generate`, seed 42): one `like` event per like still standing at the end
(likes later unliked are dropped, as `benchmarks/strategy.py` drops them), the `videos`
snapshot and an empty `profiles` snapshot (everyone consents). The lake is kept in --dir
for reruns. Then, per engine, timed: reading the training likes from the lake and
`train_model` with the default parameters (the categories come from the generator, as the
platform's catalogue would give them), with wall and CPU time (this process and, on Spark,
its JVM) and the load average; the anchor, in the same run, is one pass that builds the
sparse matrix from the pairs read.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from recommend_lake import session_for, timed  # benchmarks/ is the script's folder

from plaudit.lake.location import Location
from plaudit.lake.manifest import Manifest, PartFile
from plaudit.lake.schema import INTERACTIONS, PROFILES, VIDEOS
from plaudit.recommend.feedback import ItemCategories
from plaudit.recommend.lake import lake_catalogue, lake_training
from plaudit.recommend.source import CATEGORY_INDEX
from plaudit.recommend.training import train_model
from plaudit.sim import SIZES, InteractionsChunk, VideosChunk, generate

END = datetime(2026, 11, 1, tzinfo=UTC)


def write_lake(size: str, folder: Path) -> ItemCategories:
    """The generated community's standing likes as a lake at `folder`/lake (kept)."""
    lake = folder / "lake"
    categories_file = folder / "categories.npz"
    if (lake / "manifest.json").exists():
        saved = np.load(categories_file)
        return ItemCategories(saved["video_ids"], saved["categories"])
    likes: list[np.ndarray] = []
    unlikes: list[np.ndarray] = []
    videos: list[tuple[int, int, int]] = []
    started = time.perf_counter()
    for chunk in generate(SIZES[size], seed=42, end=END):
        if isinstance(chunk, VideosChunk):
            videos += [(r.id, r.creator_id, CATEGORY_INDEX[r.category]) for r in chunk.rows]
        elif isinstance(chunk, InteractionsChunk):
            rows = [
                (i.account_id, i.target_id, int(i.at.timestamp() * 1e6), i.kind == "like")
                for i in chunk.items
                if i.kind in ("like", "unlike")
            ]
            block = np.array(rows, dtype=np.int64).reshape(-1, 4)
            likes.append(block[block[:, 3] == 1, :3])
            unlikes.append(block[block[:, 3] == 0, :2])
    every = np.concatenate(likes)
    gone = np.concatenate(unlikes)
    width = int(every[:, 1].max()) + 1
    # likes later unliked are dropped, as benchmarks/strategy.py drops them
    pairs = every[~np.isin(every[:, 0] * width + every[:, 1], gone[:, 0] * width + gone[:, 1])]
    print(f"generated {len(pairs):,} standing likes in {time.perf_counter() - started:.0f} s")
    pairs = pairs[np.argsort(pairs[:, 2], kind="stable")]
    location = Location.of(str(lake))
    manifest = Manifest(exports=1, exported_at=END.isoformat())
    seq = np.arange(len(pairs), dtype=np.int64)
    at = pa.array(pairs[:, 2]).cast(INTERACTIONS.type_of("at"))
    events = pa.table(
        {
            "seq": seq,
            "kind": pa.array(["like"] * len(pairs)),
            "ref_id": seq + 1,
            "account_id": pairs[:, 0],
            "target_id": pairs[:, 1],
            "at": at,
            "source": pa.array(["app"] * len(pairs)),
            "device": pa.nulls(len(pairs), pa.string()),
            "network": pa.nulls(len(pairs), pa.string()),
            "day": at.cast(pa.date32()).cast(pa.string()),
        }
    )
    table_videos = np.array(videos, dtype=np.int64)
    snapshots = {
        VIDEOS: pa.table({"video_id": table_videos[:, 0], "creator_id": table_videos[:, 1]}),
        PROFILES: PROFILES.arrow.empty_table(),
    }
    lake.mkdir(parents=True, exist_ok=True)
    parts = []
    for day in sorted(set(events.column("day").to_pylist())):
        rows = events.filter(pc.equal(events["day"], day))
        path = f"interactions/day={day}/part-0.parquet"
        (lake / path).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(rows.cast(INTERACTIONS.arrow), lake / path, compression="zstd")
        parts.append(PartFile(path, rows.num_rows))
    manifest.tables[INTERACTIONS.name] = parts
    for schema, data in snapshots.items():
        path = f"{schema.name}/export=000001/part-0.parquet"
        (lake / path).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(data.cast(schema.arrow), lake / path, compression="zstd")
        manifest.tables[schema.name] = [PartFile(path, data.num_rows)]
    manifest.through_seq = len(pairs)
    manifest.save(location)
    categories = table_videos[:, 2].astype(np.int16)
    np.savez(categories_file, video_ids=table_videos[:, 0], categories=categories)
    return ItemCategories(table_videos[:, 0], categories)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="medium", choices=sorted(SIZES))
    parser.add_argument("--dir", default="/tmp/rec-lake")
    parser.add_argument("--engines", default="local")
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    folder = Path(args.dir) / args.size
    categories = write_lake(args.size, folder)
    lake = str(folder / "lake")
    catalogue = lake_catalogue(lake, categories)
    for engine in args.engines.split(","):
        session = session_for(args.master) if engine == "spark" else None
        source, wall, cpu, load = timed(
            session, lambda e=engine, s=session: lake_training(lake, e, None, s)
        )
        print(
            f"{engine}: read {len(source.feedback):,} likes: wall {wall:.1f} s, "
            f"cpu {cpu:.1f} s, load {load:.1f}"
        )
        _, anchor, anchor_cpu, load = timed(None, lambda f=source.feedback: f.index().matrix())
        print(
            f"anchor: build the matrix: wall {anchor:.1f} s, cpu {anchor_cpu:.1f} s, "
            f"load {load:.1f}"
        )
        model, wall, cpu, load = timed(
            session, lambda s=source: train_model(s.feedback, catalogue, None, print, s.fit)
        )
        print(
            f"{engine}: train {model.meta['likes']:,} likes, {len(model.account_ids):,} x "
            f"{len(model.video_ids):,}: wall {wall:.1f} s ({wall / anchor:.1f}x anchor), "
            f"cpu {cpu:.1f} s ({cpu / max(anchor_cpu, 1e-3):.1f}x), load {load:.1f}"
        )
        if session is not None:
            session.stop()
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
