"""A scan on two processes (dense here, the other detectors in a forked child) gives the
verdicts of the scan in turn, in the same order; a child that fails costs time, not a detector."""

from __future__ import annotations

import os

import numpy as np
import pytest

import plaudit.authenticity.batch as batch
from plaudit.authenticity import Attack, Likes, ScanSettings, scan
from plaudit.authenticity.attacks import inject_all
from plaudit.authenticity.table import Interactions
from plaudit.authenticity.verdicts import Verdict

ATTACKS = [
    Attack("farm", 100, 60, 0.2, "popular"),
    Attack("slow_drip", 100, 100, 0.3, "popular", window=86_400, days=7),
    Attack("ring", 20, 0, 0.5),
    Attack("device_farm", 60, 30, 0.3),
]


@pytest.fixture(scope="module")
def attacked(clean: Likes) -> Interactions:
    likes, _ = inject_all(clean, ATTACKS, seed=1)
    return likes.table()


def _same(a: list[Verdict], b: list[Verdict]) -> None:
    assert [v.detector for v in a] == [v.detector for v in b]
    for x, y in zip(a, b, strict=True):
        for name in ("accounts", "account_scores", "likes", "videos"):
            assert np.array_equal(getattr(x, name), getattr(y, name)), (x.detector, name)
        assert (x.observed, x.expected, x.score, x.density, x.window, x.notes) == (
            y.observed,
            y.expected,
            y.score,
            y.density,
            y.window,
            y.notes,
        )


def test_two_processes_give_the_verdicts_of_one_in_the_same_order(attacked: Interactions) -> None:
    alone = scan(attacked, ScanSettings())
    started: list[str] = []
    split = scan(attacked, ScanSettings(), started.append, processes=2)
    assert {v.detector for v in alone.verdicts} == {"lockstep", "dense", "ring", "farm"}
    _same(split.verdicts, alone.verdicts)
    assert split.notes == alone.notes
    assert started == ["dense (beside it in a second process: lockstep, ring, farm)"]


def test_a_failed_second_process_leaves_its_detectors_to_this_one(
    attacked: Interactions, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = os.getpid()
    real = batch.rings

    def rings_failing_in_the_child(*args: object) -> list[Verdict]:
        if os.getpid() != parent:
            raise MemoryError("the child ran out of memory")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "rings", rings_failing_in_the_child)
    alone = scan(attacked, ScanSettings())
    started: list[str] = []
    split = scan(attacked, ScanSettings(), started.append, processes=2)
    _same(split.verdicts, alone.verdicts)
    assert split.notes == [
        *alone.notes,
        "the second process failed; lockstep, ring, farm ran after dense instead",
    ]
    assert started[1:] == ["lockstep", "ring", "farm"]


def test_dense_alone_runs_in_this_process(attacked: Interactions) -> None:
    settings = ScanSettings(detectors=("dense",))
    started: list[str] = []
    result = scan(attacked, settings, started.append, processes=2)
    assert started == ["dense"]
    _same(result.verdicts, scan(attacked, settings).verdicts)
