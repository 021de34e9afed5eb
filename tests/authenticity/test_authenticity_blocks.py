"""The block search: a numerical routine giving up is no failed scan; a retest only takes away."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NoReturn

import numpy as np
import pytest
from scipy.sparse import linalg as sparse_linalg

from plaudit.authenticity import Attack, Likes, ScanSettings, blocks, inject, scan
from plaudit.authenticity.detectors import LockstepSettings, _cell_graph


def test_a_scan_survives_arpack_giving_up(clean: Likes, monkeypatch: pytest.MonkeyPatch) -> None:
    """ARPACK can stop with "no shifts could be applied" (met once in an evaluation on
    heavy-core): the core then has no spectral seeds, as when it does not converge."""
    calls = []

    def give_up(*args: Any, **kwargs: Any) -> NoReturn:
        calls.append(args)
        raise sparse_linalg.ArpackError(3)

    monkeypatch.setattr(blocks.sparse_linalg, "svds", give_up)
    result = scan(clean.table(), ScanSettings(detectors=("dense",)))
    assert calls, "the clean community's cores hold no block, so spectral seeds are tried"
    assert result.verdicts == []


def test_a_retest_against_the_null_it_was_found_with_keeps_the_block(clean: Likes) -> None:
    """`retest` only takes away: against an unchanged null, a block found by the search
    comes back with the same accounts and items; against a null that expects it, it goes."""
    likes, _ = inject(clean, Attack("farm", 100, 60, 0.2, "none"), seed=1)
    settings = LockstepSettings()
    graph = _cell_graph(likes.table(), settings.window, True, settings.band)
    weights = blocks.column_weights(graph.col_degree)[graph.cols]
    found = blocks.find_blocks(graph, weights, settings.blocks)
    assert len(found) == 1
    again = blocks.retest(graph, found, 0, settings.blocks)
    assert again is not None
    assert np.array_equal(again.rows, found[0].rows)
    assert np.array_equal(again.cols, found[0].cols)
    assert graph.slots is not None
    trending = replace(graph.slots, popularity=np.ones_like(graph.slots.popularity))
    assert blocks.retest(replace(graph, slots=trending), found, 0, settings.blocks) is None
