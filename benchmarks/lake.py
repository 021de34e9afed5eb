"""Event-lake benchmark: exporting the platform's events to Parquet.

    python benchmarks/lake.py [--size small] [--seed 42]

A demo community of the given size is loaded into a fresh SQLite store in a temporary
directory and integrated into the ledger (not timed). Then, timed in the same run:

1. `export_lake` into an empty lake: every event joined with its row, keyed hashes of devices
   and networks, one Parquet file per day and chunk, the manifest;
2. the anchor: reading the same events and their like rows with one plain SQL join on the
   driver's cursor and writing them, untransformed, as one Parquet file: the floor of moving
   these bytes out of the store.

It prints events per second of both and the export's ratio to the anchor, and the lake's bytes
per event (what docs/scale.md's sizing uses). No target is asserted.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from plaudit.config import load_settings
from plaudit.lake import export_lake
from plaudit.platform import Platform
from plaudit.sim import SIZES
from plaudit.sim.load import load_community

ANCHOR_SQL = """
SELECT e.seq, e.kind, e.ref_id, l.account_id, l.video_id, l.created_at, l.source,
       l.device_id, l.ip_prefix
FROM events e LEFT JOIN likes l ON l.id = e.ref_id AND e.kind IN ('like', 'unlike')
ORDER BY e.seq
"""


def anchor(platform: Platform, out: Path) -> int:
    with platform.db.read() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        cursor.execute(ANCHOR_SQL)
        rows = cursor.fetchall()
        cursor.close()
    columns = list(zip(*rows, strict=True))
    names = ["seq", "kind", "ref", "account", "video", "at", "source", "device", "ip"]
    pq.write_table(pa.table(dict(zip(names, columns, strict=True))), out, compression="zstd")
    return len(rows)


def lake_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in (root / "interactions").rglob("*.parquet"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(flags={"data_dir": os.path.join(tmp, "data")}, env={})
        platform = Platform(settings).open()
        try:
            load_community(platform.db, SIZES[args.size], args.seed, show_progress=False)
            platform.integrator.catch_up()
            started = time.perf_counter()
            report = export_lake(platform.db, os.path.join(tmp, "lake"), b"k" * 32)
            export_s = time.perf_counter() - started
            started = time.perf_counter()
            anchored = anchor(platform, Path(tmp) / "anchor.parquet")
            anchor_s = time.perf_counter() - started
            size = lake_bytes(Path(tmp) / "lake")
        finally:
            platform.close()
    print(
        f"events: {report.events:,} ({args.size}, seed {args.seed}), load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"export: {report.events / export_s:,.0f} events/s ({export_s:.2f} s, {report.files} files)"
    )
    rate = anchored / anchor_s
    print(f"anchor (one join + one Parquet file): {rate:,.0f} events/s ({anchor_s:.2f} s)")
    print(f"export / anchor time: {export_s / anchor_s:.2f}x")
    print(f"lake size: {size / report.events:.1f} bytes per event")


if __name__ == "__main__":
    main()
