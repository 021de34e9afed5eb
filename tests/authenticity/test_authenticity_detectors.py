"""Each detector finds its injected attack and flags nothing on a clean community."""

from __future__ import annotations

import numpy as np
import pytest

from plaudit.authenticity import DETECTORS, Attack, Likes, ScanSettings, inject, scan
from plaudit.authenticity.batch import all_flagged

ATTACKS = {
    "lockstep": Attack("farm", 100, 60, 0.2, "popular"),
    "dense": Attack("slow_drip", 100, 60, 0.5, "popular"),
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
