"""Evaluation: inject attacks with ground truth, scan, and score the verdicts.

Accounts: positives are the fake accounts (ring members for rings). Likes: positives are
the payload likes; camouflage likes are left out of both sides of the likes metrics. The
false-positive rate is over untouched accounts: organic accounts that took no part in the
attack and are flagged, divided by all untouched accounts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from plaudit.authenticity.attacks import CAMOUFLAGES, Attack, Likes, Truth, inject
from plaudit.authenticity.batch import DETECTORS, ScanSettings, all_flagged, scan

__all__ = [
    "GRID",
    "QUICK_GRID",
    "Metrics",
    "Row",
    "evaluate",
    "prf",
    "row_document",
    "score_run",
    "summarise",
]


@dataclass(frozen=True)
class Metrics:
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class Row:
    """One attack on one organic source, scored per detector and combined ("all")."""

    source: str
    attack: str
    accounts: dict[str, Metrics]
    likes: dict[str, Metrics]
    false_positive_rate: float
    flagged_organic: int
    seconds: float
    injected: Attack | None = None
    """The attack of the run; None for the clean run."""


def prf(predicted: NDArray[np.integer], actual: NDArray[np.integer]) -> Metrics:
    """Precision, recall, F1 of two id sets; an empty prediction of an empty truth is 1."""
    hits = len(np.intersect1d(predicted, actual))
    if len(predicted) == 0 and len(actual) == 0:
        return Metrics(1.0, 1.0, 1.0)
    precision = hits / len(predicted) if len(predicted) else 0.0
    recall = hits / len(actual) if len(actual) else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return Metrics(precision, recall, f1)


def score_run(
    source: str,
    attack: str,
    likes: Likes,
    truth: Truth | None,
    settings: ScanSettings,
    injected: Attack | None = None,
) -> Row:
    table = likes.table()
    started = time.perf_counter()
    result = scan(table, settings)
    seconds = time.perf_counter() - started
    fake_ids = truth.accounts if truth is not None else np.empty(0, np.int64)
    is_fake = np.isin(table.account_ids, fake_ids)
    payload = truth.payload if truth is not None else np.empty(0, np.int64)
    camouflage = truth.camouflage if truth is not None else np.empty(0, np.int64)
    per_accounts, per_likes = {}, {}
    for detector in (*settings.detectors, "all"):
        accounts, rows = all_flagged(result.verdicts, None if detector == "all" else detector)
        per_accounts[detector] = prf(accounts, np.flatnonzero(is_fake))
        per_likes[detector] = prf(np.setdiff1d(rows, camouflage), payload)
    flagged, _ = all_flagged(result.verdicts)
    organic_flagged = int((~is_fake[flagged]).sum())
    untouched = int((~is_fake).sum())
    return Row(
        source=source,
        attack=attack,
        accounts=per_accounts,
        likes=per_likes,
        false_positive_rate=organic_flagged / max(1, untouched),
        flagged_organic=organic_flagged,
        seconds=seconds,
        injected=injected,
    )


MAX_PAYLOAD = 100_000
"""The grid injects at most this many payload likes, well under the organic graphs' 130-170k:
a farm that makes most of the graph is its own null model (and a different problem)."""


def _grid() -> list[Attack]:
    attacks = []
    for accounts, videos in ((50, 20), (200, 200), (1000, 500), (500, 2000), (2000, 50)):
        for density in (0.02, 0.05, 0.2, 1.0):
            if accounts * videos * density > MAX_PAYLOAD:
                continue
            for camouflage in CAMOUFLAGES:
                attacks.append(Attack("farm", accounts, videos, density, camouflage))
    for density in (0.05, 0.1, 0.3, 1.0):
        for camouflage in ("none", "popular"):
            attacks.append(Attack("slow_drip", 200, 200, density, camouflage))
    attacks += [Attack("slow_drip", 1000, 500, 0.1, "random")]
    attacks += [Attack("ring", 10, 0, 0.3), Attack("ring", 30, 0, 0.2), Attack("ring", 50, 0, 0.5)]
    attacks += [Attack("device_farm", 100, 50, 0.2), Attack("device_farm", 500, 200, 0.05)]
    attacks += [Attack("hijack", 50, 30, 0.3), Attack("hijack", 200, 100, 0.1)]
    return attacks


GRID: list[Attack] = _grid()
QUICK_GRID: list[Attack] = [
    Attack("farm", 200, 200, 0.05, "popular"),
    Attack("slow_drip", 200, 200, 0.3, "random"),
    Attack("ring", 20, 0, 0.3),
    Attack("device_farm", 100, 50, 0.2),
    Attack("hijack", 50, 30, 0.3),
]
"""A few attacks, one of each kind, for tests and a first look."""


def evaluate(
    sources: dict[str, Likes],
    attacks: list[Attack],
    settings: ScanSettings | None = None,
    seed: int = 0,
) -> Iterator[Row]:
    """The clean run, then every attack, on every source; rows as they are scored."""
    settings = settings or ScanSettings(detectors=DETECTORS)
    for name, organic in sources.items():
        yield score_run(name, "clean (no attack)", organic, None, settings)
        for i, attack in enumerate(attacks):
            if attack.kind == "ring" and organic.creator_of_video is None:
                continue
            likes, truth = inject(organic, attack, seed + i)
            yield score_run(name, attack.label, likes, truth, settings, attack)


def row_document(row: Row) -> dict[str, Any]:
    """One row as plain JSON: metrics per detector for accounts and likes."""
    return {
        "source": row.source,
        "attack": row.attack,
        "parameters": row.injected.parameters if row.injected is not None else None,
        "accounts": {name: asdict(m) for name, m in row.accounts.items()},
        "likes": {name: asdict(m) for name, m in row.likes.items()},
        "false_positive_rate": row.false_positive_rate,
        "flagged_organic": row.flagged_organic,
        "seconds": round(row.seconds, 3),
    }


def summarise(rows: list[Row]) -> str:
    """The detection targets the evaluation checks, each with how many runs meet it."""
    lockstep = [
        r for r in rows if r.injected and r.injected.kind == "farm" and r.injected.density >= 0.05
    ]
    drip = [
        r
        for r in rows
        if r.injected and r.injected.kind == "slow_drip" and r.injected.density >= 0.1
    ]
    clean = [r for r in rows if r.injected is None]
    worst_fp = max((r.false_positive_rate for r in rows), default=0.0)
    lines = [
        _target("lockstep farms d>=0.05, account F1 >= 0.95", lockstep, 0.95),
        _target("slow drip d>=0.1, account F1 >= 0.8", drip, 0.8),
        f"FP on untouched accounts <= 0.1%: worst run {worst_fp:.4%}",
        "clean graphs: " + ", ".join(f"{r.source} {r.flagged_organic} flagged" for r in clean),
    ]
    return "\n".join(lines)


def _target(name: str, rows: list[Row], least: float) -> str:
    met = [r for r in rows if r.accounts["all"].f1 >= least]
    missed = [f"{r.source} {r.attack} ({r.accounts['all'].f1:.2f})" for r in rows if r not in met]
    tail = f"; missed: {'; '.join(missed)}" if missed else ""
    return f"{name}: {len(met)} of {len(rows)}{tail}"
