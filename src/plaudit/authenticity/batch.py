"""Run every detector over a table of likes and write what they judge fake.

Outputs, in the output directory:

- `accounts.csv`: `account_id,score,detector,verdict_id`, one row per account and verdict;
- `likes.csv`: `account_id,video_id,score,detector`, one row per like judged fake (a like
  judged by two detectors is listed under the first, with the higher score);
- `verdicts.json`: each verdict with its evidence.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class ScanResult:
    verdicts: list[Verdict]
    notes: list[str]


def scan(
    table: Interactions,
    settings: ScanSettings | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScanResult:
    """Every selected detector, in order; `progress` is called as each one starts."""
    settings = settings or ScanSettings()
    runs: dict[str, Callable[[], list[Verdict]]] = {
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
    verdicts: list[Verdict] = []
    for name in settings.detectors:
        if progress is not None:
            progress(name)
        verdicts.extend(runs[name]())
    return ScanResult(verdicts, notes)


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
