"""Run every detector over a table of likes and write what they judge fake.

Outputs, in the output directory:

- `accounts.csv`: `account_id,score,detector,verdict_id`, one row per account and verdict;
- `likes.csv`: `account_id,video_id,score,detector`, one row per like judged fake (a like
  judged by two detectors is listed under the first, with the higher score);
- `verdicts.json`: each verdict with its evidence.
"""

from __future__ import annotations

import ctypes
import json
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from numpy.typing import NDArray

from plaudit.authenticity.detectors import DenseSettings, LockstepSettings, dense_blocks, lockstep
from plaudit.authenticity.groups import FarmSettings, RingSettings, farms, rings
from plaudit.authenticity.table import Interactions
from plaudit.authenticity.verdicts import Verdict

__all__ = ["DETECTORS", "ScanResult", "ScanSettings", "all_flagged", "scan", "write_results"]

DETECTORS = ("lockstep", "dense", "ring", "farm")
EVIDENCE_IDS = 50
"""verdicts.json lists at most this many accounts and videos per verdict (counts are full)."""


@dataclass(frozen=True)
class ScanSettings:
    """Which detectors run and their thresholds."""

    detectors: tuple[str, ...] = DETECTORS
    lockstep: LockstepSettings = field(default_factory=LockstepSettings)
    dense: DenseSettings = field(default_factory=DenseSettings)
    rings: RingSettings = field(default_factory=RingSettings)
    farms: FarmSettings = field(default_factory=FarmSettings)


Runs = dict[str, Callable[[], list[Verdict]]]


@dataclass(frozen=True)
class ScanResult:
    verdicts: list[Verdict]
    notes: list[str]


def scan(
    table: Interactions,
    settings: ScanSettings | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    processes: int = 1,
) -> ScanResult:
    """Every selected detector; `progress` is called as each one starts.

    `processes=2` runs `dense`, the longest, in this process while a forked second process
    runs the others in turn (`_beside_dense`): the same verdicts, since no detector reads
    another's verdicts, in the same order. The commands keep one process: on this project's
    two shared cores dense slowed by more than the overlap saved (docs/authenticity.md,
    eighth round). Where fork is missing, or dense is not selected with another detector,
    they run here in turn.
    """
    settings = settings or ScanSettings()
    runs: Runs = {
        "lockstep": lambda: lockstep(table, settings.lockstep),
        "dense": lambda: dense_blocks(table, settings.dense),
        "ring": lambda: rings(table, settings.rings),
        "farm": lambda: farms(table, settings.farms),
    }
    notes = []
    if "ring" in settings.detectors and table.creator is None:
        notes.append("ring: skipped, the input has no creator_id column")
    if "farm" in settings.detectors and table.device is None and table.ip is None:
        notes.append("farm: skipped, the input has no device_id or ip column")
    names = settings.detectors
    split = processes > 1 and hasattr(os, "fork") and "dense" in names and len(names) > 1
    found = (
        _beside_dense(runs, names, progress, notes) if split else _in_turn(runs, names, progress)
    )
    verdicts = [v for name in names for v in found[name]]
    return ScanResult(verdicts, notes)


def _in_turn(
    runs: Runs, names: tuple[str, ...], progress: Callable[[str], None] | None
) -> dict[str, list[Verdict]]:
    found: dict[str, list[Verdict]] = {}
    for name in names:
        if progress is not None:
            progress(name)
        found[name] = runs[name]()
    return found


def _beside_dense(
    runs: Runs,
    names: tuple[str, ...],
    progress: Callable[[str], None] | None,
    notes: list[str],
) -> dict[str, list[Verdict]]:
    """Dense here, the other detectors at the same time in a forked child.

    The child shares the table's pages with this process (copy on write: it writes none of
    them) and sends its verdicts back pickled through a pipe, read once dense is done.
    Should the child fail or be killed (memory), its detectors run here afterwards: slower,
    never a lost detector. Its peak memory is this process's `RUSAGE_CHILDREN` peak.
    """
    others = tuple(name for name in names if name != "dense")
    _return_freed_memory()
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child process; its verdicts are checked in the parent
        os.close(reader)
        _child_runs(runs, others, writer)
    os.close(writer)
    if progress is not None:
        progress(f"dense (beside it in a second process: {', '.join(others)})")
    try:
        dense = runs["dense"]()
        beside = _child_verdicts(reader)
    finally:
        os.close(reader)
        os.waitpid(child, 0)
    if beside is None:
        notes.append(f"the second process failed; {', '.join(others)} ran after dense instead")
        beside = _in_turn(runs, others, progress)
    return {"dense": dense, **beside}


def _return_freed_memory() -> None:
    """Hand the heap that reading the likes freed back to the system before the fork.

    Freed but kept by the allocators (Arrow's pool, the C library's arenas), it still counts
    in this process's RSS and, once forked, in the child's: 1.4 of the 2.2 GB resident after
    the medium demo's read (docs/authenticity.md, eighth round)."""
    pa.default_memory_pool().release_unused()
    # The symbols already loaded (the C library's among them): no `find_library`, which
    # would fork this process to ask ldconfig
    loaded = ctypes.CDLL(None)
    if hasattr(loaded, "malloc_trim"):  # glibc only
        loaded.malloc_trim(0)


def _child_runs(runs: Runs, names: tuple[str, ...], writer: int) -> NoReturn:
    """In the forked child: run `names` in turn, send their verdicts, and exit without
    returning into the caller (no cleanup of the parent's files, connections or threads)."""
    code = 0
    try:
        found = {name: runs[name]() for name in names}
        with os.fdopen(writer, "wb") as out:
            pickle.dump(found, out, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:  # the parent finds no verdicts and runs these detectors itself
        code = 1
    finally:
        os._exit(code)


def _child_verdicts(reader: int) -> dict[str, list[Verdict]] | None:
    """The child's verdicts, or None when it sent nothing whole (it failed or was killed)."""
    chunks = []
    while chunk := os.read(reader, 1 << 20):
        chunks.append(chunk)
    try:
        found: dict[str, list[Verdict]] = pickle.loads(b"".join(chunks))
    except (EOFError, pickle.UnpicklingError):
        return None
    return found


def write_results(table: Interactions, result: ScanResult, directory: Path) -> dict[str, int]:
    """Write the three output files; returns the counts written."""
    directory.mkdir(parents=True, exist_ok=True)
    accounts = _accounts_table(table, result.verdicts)
    likes = _likes_table(table, result.verdicts)
    pacsv.write_csv(accounts, directory / "accounts.csv")
    pacsv.write_csv(likes, directory / "likes.csv")
    document = {
        "interactions": len(table),
        "accounts": table.n_accounts,
        "videos": table.n_videos,
        "notes": result.notes,
        "verdicts": [_evidence(table, i + 1, v) for i, v in enumerate(result.verdicts)],
    }
    (directory / "verdicts.json").write_text(json.dumps(document, indent=2, default=_plain))
    return {
        "verdicts": len(result.verdicts),
        "accounts": accounts.num_rows,
        "likes": likes.num_rows,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value)}")


def _accounts_table(table: Interactions, verdicts: list[Verdict]) -> pa.Table:
    codes = [v.accounts for v in verdicts]
    ids = np.concatenate(codes) if codes else np.empty(0, dtype=np.int32)
    return pa.table(
        {
            "account_id": pa.array(table.account_ids[ids]),
            "score": pa.array(
                np.concatenate([v.account_scores for v in verdicts] or [np.empty(0)])
            ),
            "detector": pa.array([v.detector for v in verdicts for _ in v.accounts], pa.string()),
            "verdict_id": pa.array(
                np.repeat(np.arange(1, len(verdicts) + 1), [len(c) for c in codes]), pa.int64()
            ),
        }
    )


def _likes_table(table: Interactions, verdicts: list[Verdict]) -> pa.Table:
    rows = np.concatenate([v.likes for v in verdicts] or [np.empty(0, np.int64)])
    scores = np.concatenate([np.full(len(v.likes), v.score) for v in verdicts] or [np.empty(0)])
    which = np.concatenate(
        [np.full(len(v.likes), i) for i, v in enumerate(verdicts)] or [np.empty(0, np.int64)]
    ).astype(np.int64)
    order = np.lexsort((-scores, rows))
    rows, scores, which = rows[order], scores[order], which[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = rows[1:] != rows[:-1]
    rows, scores, which = rows[first], scores[first], which[first]
    names = np.array([v.detector for v in verdicts] or [""], dtype=object)
    return pa.table(
        {
            "account_id": pa.array(table.account_ids[table.account[rows]]),
            "video_id": pa.array(table.video_ids[table.video[rows]]),
            "score": pa.array(scores, pa.float64()),
            "detector": pa.array(names[which] if len(rows) else [], pa.string()),
        }
    )


def all_flagged(
    verdicts: list[Verdict], detector: str | None = None
) -> tuple[NDArray[np.int32], NDArray[np.int64]]:
    """Account codes and like rows flagged by `detector` (or by any, when None)."""
    chosen = [v for v in verdicts if detector is None or v.detector == detector]
    accounts = np.unique(np.concatenate([v.accounts for v in chosen] or [np.empty(0, np.int32)]))
    likes = np.unique(np.concatenate([v.likes for v in chosen] or [np.empty(0, np.int64)]))
    return accounts, likes


def _evidence(table: Interactions, number: int, verdict: Verdict) -> dict[str, Any]:
    return {
        "verdict_id": number,
        "detector": verdict.detector,
        "score": round(verdict.score, 2),
        "accounts_count": len(verdict.accounts),
        "videos_count": len(verdict.videos),
        "likes_count": len(verdict.likes),
        "accounts": table.account_ids[verdict.accounts[:EVIDENCE_IDS]].tolist(),
        "videos": table.video_ids[verdict.videos[:EVIDENCE_IDS]].tolist(),
        "window": {"start": verdict.window[0], "end": verdict.window[1]},
        "density": round(verdict.density, 4),
        "observed": verdict.observed,
        "expected": round(verdict.expected, 3),
        **verdict.notes,
    }
