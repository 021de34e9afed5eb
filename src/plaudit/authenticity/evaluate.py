"""Evaluation: inject attacks with ground truth, scan, and score the verdicts.

Accounts: positives are the fake accounts (ring members for rings). Likes: positives are
the payload likes; camouflage likes are left out of both sides of the likes metrics. The
false-positive rate is over untouched accounts: organic accounts that took no part in the
attack and are flagged, divided by all untouched accounts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from plaudit.authenticity.attacks import Attack, Likes, Truth, inject
from plaudit.authenticity.scan import DETECTORS, ScanSettings, all_flagged, scan

__all__ = ["GRID", "Metrics", "Row", "evaluate", "prf", "score_run"]


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
    source: str, attack: str, likes: Likes, truth: Truth | None, settings: ScanSettings
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
    )


MAX_PAYLOAD = 100_000
"""The grid injects at most this many payload likes, well under the organic graphs' 130-170k:
a farm that makes most of the graph is its own null model (and a different problem)."""


def _grid() -> list[Attack]:
    attacks = []
    for accounts, videos in ((50, 20), (200, 200), (1000, 500), (500, 2000)):
        for density in (0.02, 0.05, 0.2, 1.0):
            if accounts * videos * density > MAX_PAYLOAD:
                continue
            for camouflage in ("none", "random", "popular"):
                attacks.append(Attack("farm", accounts, videos, density, camouflage))
    for density in (0.05, 0.1, 0.3, 1.0):
        for camouflage in ("none", "popular"):
            attacks.append(Attack("slow_drip", 200, 200, density, camouflage))
    attacks += [Attack("ring", 10, 0, 0.3), Attack("ring", 30, 0, 0.2), Attack("ring", 50, 0, 0.5)]
    attacks += [Attack("device_farm", 100, 50, 0.2), Attack("device_farm", 500, 200, 0.05)]
    return attacks


GRID: list[Attack] = _grid()


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
            yield score_run(name, attack.label, likes, truth, settings)
