"""Ledger benchmark: end to end (the headline), then the tree part, proofs and storage.

    python benchmarks/ledger.py [--store-events 20M] [--e2e-entries 2M] [--e2e-runs 3]
                                [--database-url URL] [--skip-e2e]
                                [--sizes 1M,10M] [--batch 8192] [--entry-bytes 110]
                                [--pymerkle-max 1M] [--proofs 1000] [--keep DIR]

0. End to end, the headline (``ledger_e2e.py``): on a store of `--store-events` events and
   their rows (``ledger_store.py`` makes it in the database: 20M events, 15M interaction rows
   and 1M accounts in a few minutes; kept and reused under `--keep`), the platform's own
   ``Integrator.catch_up`` from an empty log until `--e2e-entries` entries are covered by a
   signed checkpoint: reading the events and rows, building the entries, the tree, tiles,
   bundles, checkpoints, writes. Each run is anchored on the hashing floor measured just
   before it (a machine shared with other jobs gives different speeds from minute to
   minute; the ratio is what compares). SQLite unless `--database-url` names PostgreSQL.

For each size N, on a fresh SQLite store (the settings `plaudit serve` uses: WAL,
synchronous=full) in a temporary directory:

1. Integration, the tree part: what the integrator does with a round once its entries are
   built, driven directly on synthetic entries of `--entry-bytes` random bytes (a v1 like
   with a device commitment is 87 bytes, a comment 119), in the integrator's catch-up rounds
   (`--batch`, doubling up to ``CATCH_UP_BATCH``): leaf hashes and `TreeBuilder.append`,
   the root, `_Frontier.tile_updates` and `bundle_updates`, a signed checkpoint, and one
   write transaction through `LedgerSQL` per round, written on a thread while the next
   round is hashed (as `Integrator.catch_up` does). Entry building alone is measured as
   context under "entry building".
2. The floor, on the same entries: N leaf hashes and N - 1 node hashes of the same input
   sizes in the tightest CPython loops (`ledger_floor.floor_of_batches`).
3. pymerkle: `InmemoryTree.append_entry` of the same entries, then `get_root`. Its appends
   rehash the path to the root (O(log n) hashes each), so above `--pymerkle-max` it is
   measured at that size, a tenth and a hundredth of it, and extrapolated (labelled so).
   The floor and pymerkle are each the best of two runs.
4. Inclusion proofs at N: `LedgerService.inclusion` for `--proofs` random indexes on the
   store just built (a fresh service, so its tile cache starts empty; 20 untimed warm-up
   calls); every proof is then verified against the signed checkpoint, untimed.
5. Storage: the database file after a WAL checkpoint, per table when SQLite has `dbstat`,
   and the payload of the rows (tile hashes, bundle bytes, checkpoint notes and roots).

Targets (issue 18, item 3): end to end 200,000 entries/s or more; the tree part at least
half of the hashing floor and 10x pymerkle; inclusion proof under 1 ms at 10M entries.
"""

from __future__ import annotations

import argparse
import functools
import gc
import hmac
import io
import math
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymerkle
from ledger_e2e import end_to_end, floor_rate, hashing, open_store
from ledger_floor import floor_of_batches
from sqlalchemy.engine import Connection

from plaudit.config import Settings, load_settings
from plaudit.errors import Conflict
from plaudit.ledger import (
    TILE_HEIGHT,
    Checkpoint,
    NodeRun,
    TreeBuilder,
    leaf_hash,
    leaf_hashes,
    open_checkpoint,
    root_at,
    sign_checkpoint,
    tile_node_reader,
    verify_inclusion,
)
from plaudit.ledgerstore.integration import (
    CATCH_UP_BATCH,
    Sources,
    _Frontier,
    _without_collection,
    build_entries,
)
from plaudit.ledgerstore.service import LedgerService
from plaudit.platform import Platform
from plaudit.store.ledger import EventSource, LedgerSQL

SEED = 9162
WARM_UP_PROOFS = 20
ENTRY_BUILDING_SAMPLE = 100_000
TARGET_RATE = 200_000
TARGET_FLOOR_SHARE = 0.5
TARGET_PYMERKLE_RATIO = 10
TARGET_PROOF_MS = 1.0


def parse_count(text: str) -> int:
    """'10M' -> 10_000_000, '250k' -> 250_000, '5000' -> 5000."""
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def human(count: int) -> str:
    if count % 1_000_000 == 0:
        return f"{count // 1_000_000}M"
    if count % 1_000 == 0:
        return f"{count // 1_000}k"
    return f"{count:,}"


def synthetic_batches(n: int, batch: int, entry_bytes: int) -> Iterator[list[bytes]]:
    """The same N pseudo-random entries for every contender, made batch by batch."""
    rng = random.Random(SEED)
    for start in range(0, n, batch):
        blob = rng.randbytes(min(batch, n - start) * entry_bytes)
        yield [blob[i : i + entry_bytes] for i in range(0, len(blob), entry_bytes)]


# -- 1. integration --------------------------------------------------------------------------


@dataclass
class Phases:
    """Seconds spent in each step of the integration rounds."""

    tree: float = 0.0
    tiles: float = 0.0
    bundles: float = 0.0
    sign: float = 0.0
    store: float = 0.0
    rounds: int = 0
    root: bytes = b""
    cpu: float = 0.0  # CPU seconds of the process (the writer thread included), same sections

    @property
    def total(self) -> float:
        return self.tree + self.tiles + self.bundles + self.sign + self.store


def _store_round(
    size: int,
    new_size: int,
    root: bytes,
    note: str,
    tiles: dict[tuple[int, int], bytes],
    bundles: dict[int, tuple[int, bytes]],
) -> Callable[[Connection], None]:
    """The write of `Integrator._commit` (there are no new account secrets here)."""

    def write(conn: Connection) -> None:
        sql = LedgerSQL(conn)
        try:
            if sql.state()[0] != size:
                raise Conflict("the ledger moved under the benchmark")
            sql.put_tiles(tiles)
            sql.put_bundles(bundles)
            sql.add_checkpoint(new_size, root, note, datetime.now(UTC))
            sql.set_state(new_size, root)
        finally:
            sql.close()

    return write


def catch_up_rounds(
    batches: Iterable[list[bytes]], first: int, largest: int
) -> Iterator[list[bytes]]:
    """The same entries regrouped as the integrator's catch-up rounds: `first` entries,
    then twice as many each round up to `largest` (`Integrator.catch_up`)."""
    limit, pending = first, []
    for batch in batches:
        pending += batch
        while len(pending) >= limit:
            yield pending[:limit]
            pending = pending[limit:]
            limit = min(2 * limit, largest)
    if pending:
        yield pending


def _append(builder: TreeBuilder, leaves: list[bytes]) -> list[NodeRun]:
    """The tree step of `Integrator._hash`: only the tile levels' runs (`append_levels`),
    or every level's on code from before it (a `git archive` of main, for comparisons)."""
    if hasattr(builder, "append_levels"):
        return builder.append_levels(leaves, TILE_HEIGHT)
    return builder.append(leaves)


def integrate(platform: Platform, rounds: Iterable[list[bytes]]) -> Phases:
    """Integrate every round as the integrator does while catching up; time each step.

    As in `Integrator.catch_up`, round k's write runs on a writer thread while round k+1 is
    hashed; "store" is the time spent waiting for that write. Making the synthetic entries
    of the next round is not timed, and no write is in flight while it happens.
    """
    db, signer = platform.db, platform.ledger.signer
    origin = platform.settings.ledger_origin
    builder, frontier, phases, size = TreeBuilder(), _Frontier(), Phases(), 0
    clock, cpu_clock = time.perf_counter, time.process_time
    source = iter(rounds)
    entries = next(source, None)
    cpu_started, untimed_cpu = cpu_clock(), 0.0
    with ThreadPoolExecutor(1) as writer:
        writing: Future[None] | None = None
        while entries is not None:
            started = clock()
            with db.read() as conn, _without_collection():  # as Integrator._hash
                sql = LedgerSQL(conn)
                runs = _append(builder, leaf_hashes(entries))
                root = builder.root()
                hashed = clock()
                tiles = frontier.tile_updates(runs, sql)
                del runs  # as Integrator._hash does: freed before the collector runs again
                tiled = clock()
                bundles = frontier.bundle_updates(size, entries, sql)
                sql.close()
            bundled = clock()
            note = sign_checkpoint(Checkpoint(origin, builder.size, root), [signer])
            signed = clock()
            if writing is not None:
                writing.result()
            waited, cpu_waited = clock(), cpu_clock()
            entries = next(source, None)  # untimed, with no write in flight
            resumed = clock()
            untimed_cpu += cpu_clock() - cpu_waited
            writing = writer.submit(
                db.write, _store_round(size, builder.size, root, note, tiles, bundles)
            )
            stored = clock()
            phases.tree += hashed - started
            phases.tiles += tiled - hashed
            phases.bundles += bundled - tiled
            phases.sign += signed - bundled
            phases.store += (waited - signed) + (stored - resumed)
            phases.rounds += 1
            size = builder.size
        if writing is not None:
            started = clock()
            writing.result()
            phases.store += clock() - started
    phases.cpu = cpu_clock() - cpu_started - untimed_cpu
    phases.root = builder.root()
    return phases


def entry_building_rate(count: int) -> tuple[float, float]:
    """(entries/s, mean bytes) of `build_entries` on synthetic rows: 60% likes with a device,
    25% unlikes, 15% comments, like the crash test's mix."""
    at = datetime(2026, 11, 29, tzinfo=UTC)
    rows: list[EventSource] = []
    rng = random.Random(SEED)
    agent = "Mozilla/5.0 (Linux; Android 14)"
    for seq in range(count):
        account, video, when = 1 + seq % 5000, 1 + seq % 700, at + timedelta(seconds=seq)
        secret = hmac.digest(b"bench", account.to_bytes(8, "big"), "sha256")
        device, roll = 1 + seq % 50, rng.random()
        kind = "like" if roll < 0.6 else "unlike" if roll < 0.75 else "comment"
        removed = when if kind == "unlike" else None
        detail = f"comment number {seq}" if kind == "comment" else "app" if removed else None
        row = (seq, kind, seq, account, video, "app", device, "203.0.113.0/24", when, removed)
        rows.append(EventSource(*row, detail, f"device-{device}", agent, True, secret))
    sources = Sources(0, rows)
    started = time.perf_counter()
    entries = build_entries(sources)
    elapsed = time.perf_counter() - started
    return count / elapsed, sum(map(len, entries)) / count


# -- 3. pymerkle -----------------------------------------------------------------------------


REPEATS = 2  # the anchors (floor, pymerkle) are cheap enough to take the best of two runs


@functools.cache
def pymerkle_seconds(n: int, batch: int, entry_bytes: int) -> tuple[float, float, bytes]:
    """Best of REPEATS: (wall seconds, CPU seconds) to append n entries to a pymerkle tree
    and take its root, and the root. CPU seconds compare on a machine shared with other jobs,
    where the wall time of a one-core loop stretches with the load."""
    best, best_cpu, root = math.inf, math.inf, b""
    for _ in range(REPEATS):
        gc.collect()  # earlier trees are reference cycles: do not make this one pay for them
        tree = pymerkle.InmemoryTree(algorithm="sha256")
        append, elapsed, cpu = tree.append_entry, 0.0, 0.0
        for entries in synthetic_batches(n, batch, entry_bytes):
            started, cpu_started = time.perf_counter(), time.process_time()
            for entry in entries:
                append(entry)
            elapsed += time.perf_counter() - started
            cpu += time.process_time() - cpu_started
        started, cpu_started = time.perf_counter(), time.process_time()
        root = tree.get_root()
        best = min(best, elapsed + time.perf_counter() - started)
        best_cpu = min(best_cpu, cpu + time.process_time() - cpu_started)
        del tree, append
    return best, best_cpu, root


@dataclass
class PymerkleFigure:
    rate: float
    extrapolated: bool
    note: str = ""
    cpu_rate: float | None = None  # entries per CPU second, when measured at the size
    roots_agree: list[bool] = field(default_factory=list)


def pymerkle_figure(
    n: int, limit: int, batch: int, entry_bytes: int, platform: Platform
) -> PymerkleFigure:
    """pymerkle's append rate at n, measured when n <= limit, else extrapolated."""
    sizes = [n] if n <= limit else [limit // 100, limit // 10, limit]
    seconds: dict[int, float] = {}
    cpu: dict[int, float] = {}
    agree: list[bool] = []
    for size in sizes:
        seconds[size], cpu[size], root = pymerkle_seconds(size, batch, entry_bytes)
        agree.append(root == _stored_root(platform, size))
        print(
            f"  pymerkle InmemoryTree at {human(size)}: {size / seconds[size]:>12,.0f} entries/s"
            f" = {size / cpu[size]:,.0f} per CPU second"
        )
    if n <= limit:
        return PymerkleFigure(n / seconds[n], False, roots_agree=agree, cpu_rate=n / cpu[n])
    a, b = _fit(seconds)
    predicted = n * (a + b * _mean_log2(n))
    note = (
        f"EXTRAPOLATED to {human(n)} from {', '.join(map(human, sizes))}: per entry "
        f"a + b*log2(size), a={a * 1e6:.2f} us, b={b * 1e6:.3f} us (least squares)"
    )
    return PymerkleFigure(n / predicted, True, note, agree)


def _fit(seconds: dict[int, float]) -> tuple[float, float]:
    """Least-squares (a, b) of seconds per entry = a + b * mean log2(size) over the build.

    Each pymerkle append rehashes the path to the root, so its cost grows with log2(size);
    over a build of m entries the mean of log2(size) is about log2(m) - 1/ln 2.
    """
    xs = [_mean_log2(m) for m in seconds]
    ys = [t / m for m, t in seconds.items()]
    x_mean, y_mean = statistics.fmean(xs), statistics.fmean(ys)
    b = sum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - x_mean) ** 2 for x in xs
    )
    return y_mean - b * x_mean, b


def _mean_log2(m: int) -> float:
    return math.log2(m) - 1 / math.log(2)


def _stored_root(platform: Platform, size: int) -> bytes:
    """Our root of the first `size` entries, from the stored tiles (full ones stand in for
    the partial tiles of that size)."""
    return root_at(size, tile_node_reader(platform.ledger.tile, size))


# -- 4. inclusion proofs ---------------------------------------------------------------------


def inclusion_latency(platform: Platform, size: int, count: int) -> tuple[list[float], int]:
    """Seconds per `LedgerService.inclusion` call, and how many of the proofs verified."""
    service = LedgerService(platform.db, platform.ledger.signer)
    rng = random.Random(SEED)
    for _ in range(WARM_UP_PROOFS):
        service.inclusion(rng.randrange(size), size)
    indexes = [rng.randrange(size) for _ in range(count)]
    timings, proofs = [], []
    for index in indexes:
        started = time.perf_counter()
        proofs.append(service.inclusion(index, size))
        timings.append(time.perf_counter() - started)
    checkpoint = open_checkpoint(service.checkpoint(size), [service.signer.verifier()])
    for index, proof in zip(indexes, proofs, strict=True):
        entry = service.entry(index)
        verify_inclusion(leaf_hash(entry), index, size, proof.hashes, checkpoint.root_hash)
    return timings, len(proofs)


# -- 5. storage ------------------------------------------------------------------------------


@dataclass
class Storage:
    file_bytes: int
    free_bytes: int
    tables: dict[str, int]  # bytes on disk per table and index (dbstat), when available
    tiles: tuple[int, int]  # rows, payload bytes
    bundles: tuple[int, int]
    checkpoints: tuple[int, int]


def measure_storage(db_file: Path) -> Storage:
    with sqlite3.connect(db_file) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0] * page

        def rows(sql: str) -> tuple[int, int]:
            count, total = conn.execute(sql).fetchone()
            return int(count), int(total or 0)

        tiles = rows("SELECT count(*), sum(length(hashes)) FROM ledger_tiles")
        bundles = rows("SELECT count(*), sum(length(data)) FROM ledger_bundles")
        checkpoints = rows(
            "SELECT count(*), sum(length(note) + length(root)) FROM ledger_checkpoints"
        )
        try:
            per_table = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
        except sqlite3.OperationalError:  # SQLite built without SQLITE_ENABLE_DBSTAT_VTAB
            per_table = {}
    wal = db_file.with_name(db_file.name + "-wal")
    size = db_file.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    return Storage(size, free, per_table, tiles, bundles, checkpoints)


# -- the run ---------------------------------------------------------------------------------


@dataclass
class Result:
    size: int
    integration: float
    floor: float
    pymerkle: PymerkleFigure
    proofs_ms: list[float]
    integration_cpu: float  # entries per CPU second (the writer thread included)


def run_size(n: int, args: argparse.Namespace, workdir: Path) -> Result:
    print(f"\n== {human(n)} entries ({n:,}), batches of {args.batch:,}, {args.entry_bytes} B each")
    floor = math.inf
    for _ in range(REPEATS):
        gc.collect()
        seconds, hashed = floor_of_batches(synthetic_batches(n, args.batch, args.entry_bytes))
        assert hashed == n - 1
        floor = min(floor, seconds)
    print(f"  hashing floor          : {n / floor:>12,.0f} entries/s ({floor:.2f} s, best of 2)")
    floor_cpu = min(
        floor_of_batches(synthetic_batches(n, args.batch, args.entry_bytes), time.process_time)[0]
        for _ in range(REPEATS)
    )

    settings = _settings(workdir, f"ledger-{human(n)}")
    platform = Platform(settings).open()
    try:
        gc.collect()
        rounds = catch_up_rounds(
            synthetic_batches(n, args.batch, args.entry_bytes), args.batch, CATCH_UP_BATCH
        )
        phases = integrate(platform, rounds)
        print_phases("integration", n, phases)
        print(
            f"  per CPU second: integration {n / phases.cpu:,.0f} entries (the writer thread "
            f"included), hashing floor {n / floor_cpu:,.0f}: {floor_cpu / phases.cpu:.2f} x "
            f"the floor; load {os.getloadavg()[0]:.2f}"
        )
        figure = pymerkle_figure(n, args.pymerkle_max, args.batch, args.entry_bytes, platform)
        if figure.note:
            print(f"  pymerkle at {human(n)}: {figure.rate:>12,.0f} entries/s  {figure.note}")
        print(f"  pymerkle roots equal ours: {figure.roots_agree}")

        timings, verified = inclusion_latency(platform, n, args.proofs)
        ms = sorted(t * 1000 for t in timings)
        print(
            f"  inclusion proof at {human(n)}: median {statistics.median(ms):.3f} ms, "
            f"p99 {_p99(ms):.3f} ms, max {ms[-1]:.3f} ms over {len(ms):,} random indexes "
            f"({verified:,} verified against the signed checkpoint)"
        )
    finally:
        platform.close()
    storage = measure_storage(settings.data_path / "plaudit.db")
    print_storage(n, args.entry_bytes, storage)
    return Result(n, n / phases.total, n / floor, figure, ms, n / phases.cpu)


def _settings(workdir: Path, name: str) -> Settings:
    return load_settings(flags={"data_dir": str(workdir / name)}, env={})


def _p99(sorted_ms: list[float]) -> float:
    return sorted_ms[max(0, math.ceil(len(sorted_ms) * 0.99) - 1)]


def print_phases(label: str, n: int, phases: Phases) -> None:
    print(
        f"  {label:<22} : {n / phases.total:>12,.0f} entries/s ({phases.total:.2f} s, "
        f"{phases.rounds:,} rounds of one transaction each)"
    )
    for name in ("tree", "tiles", "bundles", "sign", "store"):
        spent = getattr(phases, name)
        print(
            f"    {name:<8}: {spent:7.2f} s  {100 * spent / phases.total:5.1f}%  "
            f"({n / spent:>12,.0f} entries/s alone)"
        )


def print_storage(n: int, entry_bytes: int, storage: Storage) -> None:
    print(
        f"  storage: database file {storage.file_bytes / 1e6:,.1f} MB = "
        f"{storage.file_bytes / n:.1f} B/entry (entry itself: {entry_bytes} B; free pages "
        f"{storage.free_bytes / 1e6:,.1f} MB)"
    )
    for name, (rows, payload) in (
        ("tiles", storage.tiles),
        ("bundles", storage.bundles),
        ("checkpoints", storage.checkpoints),
    ):
        print(f"    {name:<12}: {rows:>9,} rows, payload {payload / n:7.2f} B/entry")
    total = storage.tiles[1] + storage.bundles[1] + storage.checkpoints[1]
    print(f"    row payload total : {total / n:7.2f} B/entry")
    if storage.tables:
        on_disk = {
            table: sum(v for k, v in storage.tables.items() if k.endswith(table) or table in k)
            for table in ("ledger_tiles", "ledger_bundles", "ledger_checkpoints")
        }
        text = ", ".join(f"{k} {v / n:.2f}" for k, v in on_disk.items())
        print(f"    on disk with index (dbstat, B/entry): {text}")


@dataclass
class EndToEnd:
    dialect: str
    events: int
    rates: list[float]
    floor_shares: list[float]


def measure_end_to_end(args: argparse.Namespace, workdir: Path) -> EndToEnd:
    """The headline: the platform's Integrator from committed events to signed checkpoints
    on a store of `--store-events` events (ledger_e2e.py), median of `--e2e-runs`."""
    events, entries = parse_count(args.store_events), parse_count(args.e2e_entries)
    platform = open_store(args.keep or workdir, events, args.database_url)
    rates, shares = [], []
    try:
        dialect = platform.db.dialect
        print(f"\n== end to end on {dialect}: a store of {events:,} events and their rows")
        for run in range(args.e2e_runs):
            floor = floor_rate(entries)
            floor_cpu = floor_rate(entries, clock=time.process_time)
            size, seconds, cpu = end_to_end(platform, entries, args.batch)
            rates.append(size / seconds)
            shares.append(size / seconds / floor)
            print(
                f"  run {run + 1}: {size:,} entries in {seconds:.2f} s = {rates[-1]:,.0f} "
                f"entries/s = {shares[-1]:.3f} x the hashing floor just before ({floor:,.0f}/s); "
                f"CPU {1e6 * cpu / size:.1f} us per entry = {size / cpu:,.0f} entries per CPU "
                f"second = {size / cpu / floor_cpu:.3f} x the floor per CPU second; "
                f"load {os.getloadavg()[0]:.2f}"
            )
    finally:
        platform.close()
    return EndToEnd(dialect, events, rates, shares)


def print_summary(
    results: list[Result], building: tuple[float, float], e2e: EndToEnd | None
) -> None:
    print("\n== summary (targets from issue 3)")
    if e2e is not None:
        median = statistics.median(e2e.rates)
        verdict = "MET" if median >= TARGET_RATE else "MISSED"
        print(
            f"  HEADLINE end to end ({e2e.dialect}, store of {human(e2e.events)} events) "
            f">= 200,000 entries/s: median {median:,.0f}  {verdict}"
            f"  ({statistics.median(e2e.floor_shares):.3f} x the in-run hashing floor)"
        )
    for r in results:
        pm = r.pymerkle
        label = "extrapolated" if pm.extrapolated else "measured"
        checks = [
            (
                "integration >= 200,000 entries/s",
                f"{r.integration:,.0f}",
                r.integration >= TARGET_RATE,
            ),
            (
                "integration >= 0.5 x hashing floor",
                f"{r.integration / r.floor:.2f} x",
                r.integration / r.floor >= TARGET_FLOOR_SHARE,
            ),
            (
                f"integration >= 10 x pymerkle ({label})",
                f"{r.integration / pm.rate:.2f} x",
                r.integration / pm.rate >= TARGET_PYMERKLE_RATIO,
            ),
        ]
        if pm.cpu_rate is not None:  # the same, per CPU second: what holds under load
            checks.append(
                (
                    "integration >= 10 x pymerkle, per CPU second",
                    f"{r.integration_cpu / pm.cpu_rate:.2f} x",
                    r.integration_cpu / pm.cpu_rate >= TARGET_PYMERKLE_RATIO,
                )
            )
        median, p99 = statistics.median(r.proofs_ms), _p99(r.proofs_ms)
        if r.size >= 10_000_000:
            checks += [
                ("inclusion proof median < 1 ms", f"{median:.3f} ms", median < TARGET_PROOF_MS),
                ("inclusion proof p99 < 1 ms", f"{p99:.3f} ms", p99 < TARGET_PROOF_MS),
            ]
        for what, value, ok in checks:
            print(f"  {human(r.size):>4} {what:<45} {value:>14}  {'MET' if ok else 'MISSED'}")
    rate, mean = building
    print(
        f"  context, not in the figures above: entry building (build_entries) "
        f"{rate:,.0f} entries/s, mean entry {mean:.0f} B"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1M,10M", help="comma-separated, e.g. 100k,1M,10M")
    parser.add_argument("--batch", type=int, default=8192, help="entries per round (Integrator)")
    parser.add_argument("--entry-bytes", type=int, default=110)
    parser.add_argument(
        "--pymerkle-max", default="1M", help="largest size pymerkle is run at; extrapolated above"
    )
    parser.add_argument("--proofs", type=int, default=1000, help="inclusion proofs timed")
    parser.add_argument("--keep", type=Path, help="build the stores here and keep them")
    parser.add_argument("--store-events", default="20M", help="events in the end-to-end store")
    parser.add_argument("--e2e-entries", default="2M", help="entries integrated per e2e run")
    parser.add_argument("--e2e-runs", type=int, default=3)
    parser.add_argument("--database-url", help="run the end to end on this PostgreSQL URL")
    parser.add_argument("--skip-e2e", action="store_true", help="only the tree part")
    args = parser.parse_args()
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # show each figure as it is measured
    args.pymerkle_max = parse_count(args.pymerkle_max)
    sizes = [parse_count(s) for s in args.sizes.split(",")]
    print(
        "Ledger benchmark: one process, one core; SQLite store, WAL, synchronous=full; "
        f"pymerkle {pymerkle.__version__}; load average at start {os.getloadavg()[0]:.2f} "
        f"on {os.cpu_count()} CPUs; tree and entry hashing: {hashing()}"
    )
    print(
        "hashing floor = leaf and node SHA-256 alone, one hashlib call each (CPython's cost "
        "per call); the compiled batch SHA-256, when built, hashes below it"
    )
    print(
        "end to end = the platform's Integrator.catch_up from committed events to signed "
        "checkpoints (reads, entry building, tree, tiles, bundles, writes)"
    )
    print(
        "integration (the tree part) = TreeBuilder + _Frontier tiles/bundles + signed "
        "checkpoint + one LedgerSQL transaction per catch-up round, written while the next "
        "round is hashed, driven directly (no event reads, no entry building)"
    )
    building = max(entry_building_rate(ENTRY_BUILDING_SAMPLE) for _ in range(REPEATS))
    with tempfile.TemporaryDirectory(prefix="plaudit-ledger-bench-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        e2e = None if args.skip_e2e else measure_end_to_end(args, workdir)
        results = [run_size(n, args, workdir) for n in sizes]
    print_summary(results, building, e2e)
    print(f"  load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
