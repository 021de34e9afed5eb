"""Each detector finds its injected attack and flags nothing on a clean community."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from plaudit.authenticity import DETECTORS, Attack, Likes, ScanSettings, inject, scan
from plaudit.authenticity.batch import all_flagged
from plaudit.authenticity.detectors import DenseSettings

ATTACKS = {
    "lockstep": Attack("farm", 100, 60, 0.2, "popular"),
    # A drip that starts after the first cohort window (8 days; seed 1 starts it on day 16):
    # one made in the file's first days shares its start with accounts older than the file.
    "dense": Attack("slow_drip", 100, 100, 0.3, "popular", window=86_400, days=7),
    "ring": Attack("ring", 20, 0, 0.5),
    "farm": Attack("device_farm", 60, 30, 0.3),
}


@pytest.mark.parametrize("detector", DETECTORS)
def test_a_clean_community_is_not_flagged(clean: Likes, detector: str) -> None:
    result = scan(clean.table(), ScanSettings(detectors=(detector,)))
    assert result.verdicts == []


@pytest.mark.parametrize("detector", DETECTORS)
def test_the_detector_finds_its_attack(clean: Likes, detector: str) -> None:
    likes, truth = inject(clean, ATTACKS[detector], seed=1)
    table = likes.table()
    result = scan(table, ScanSettings(detectors=(detector,)))
    accounts, rows = all_flagged(result.verdicts)
    flagged = table.account_ids[accounts]
    caught = np.isin(truth.accounts, flagged).mean()
    wrong = (~np.isin(flagged, truth.accounts)).sum()
    # A ring member with one or two videos receives too few likes to stand out.
    assert caught >= (0.75 if detector == "ring" else 0.9)
    assert wrong <= 0.001 * table.n_accounts
    assert np.isin(rows, truth.payload).mean() >= 0.9
    verdict = result.verdicts[0]
    assert verdict.detector == detector
    assert verdict.observed > verdict.expected
    assert verdict.score > 10


DAY = 86_400


def test_a_drip_farm_that_started_together_is_found_by_its_cohort(clean: Likes) -> None:
    """Spread over a week, 100 accounts x 100 videos at 0.3 are no block the whole-graph
    passes report; that they started together is what finds them (the cohort pass)."""
    attack = Attack("slow_drip", 100, 100, 0.3, "random", window=DAY, days=7)
    likes, truth = inject(clean, attack, seed=1)
    farm = np.isin(likes.account, truth.accounts)
    # Precondition: the farm starts after the file's first cohort window (8 days), where
    # accounts older than the file would hide it.
    assert likes.ts[farm].min() - clean.ts.min() > 8 * DAY
    table = likes.table()

    def flagged(dense: DenseSettings) -> tuple[float, int]:
        result = scan(table, ScanSettings(detectors=("dense",), dense=dense))
        accounts, _ = all_flagged(result.verdicts)
        ids = table.account_ids[accounts]
        return float(np.isin(truth.accounts, ids).mean()), int(
            (~np.isin(ids, truth.accounts)).sum()
        )

    assert flagged(replace(DenseSettings(), cohort=None)) == (0.0, 0)
    caught, wrong = flagged(DenseSettings())
    assert caught >= 0.9
    assert wrong == 0


def test_a_drip_farm_starts_together_and_likes_only_after_it_started(clean: Likes) -> None:
    attack = Attack("slow_drip", 50, 40, 0.5, "random", window=DAY, days=20)
    likes, truth = inject(clean, attack, seed=3)
    rows = np.concatenate([truth.payload, truth.camouflage])
    account, ts = likes.account[rows], likes.ts[rows]
    order = np.lexsort((ts, account))
    firsts = ts[order][np.r_[0, np.flatnonzero(np.diff(account[order])) + 1]]
    assert len(firsts) == 50
    # Made within a day, each account's first like comes within days of the farm's start,
    # while its likes go on for the farm's 20 days.
    assert np.ptp(firsts) < 6 * DAY
    assert np.ptp(likes.ts[truth.payload]) > 15 * DAY
    assert ts.min() == firsts.min()
