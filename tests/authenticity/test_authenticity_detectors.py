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


# Issue 19: dense blocks are now tested against the capped Chung-Lu floor of the degrees, which
# stops the dense detector from flagging heavy users x popular videos on real graphs (80% of
# MovieLens-100k's accounts before). The same floor explains this slow drip with popularity
# camouflage on the small test community (3.2x the floor, below the 15x a block needs), so
# the dense case is a known miss until slow drip is found by what farms share
# (docs/authenticity.md, "Known limits"); strict, so that it is noticed once it passes.
FOUND = [
    pytest.param(d, marks=pytest.mark.xfail(strict=True, reason="slow drip, issue 19"))
    if d == "dense"
    else d
    for d in DETECTORS
]


@pytest.mark.parametrize("detector", FOUND)
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
