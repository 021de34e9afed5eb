"""The block search's failure modes: a numerical routine giving up is no failed scan."""

from __future__ import annotations

from typing import Any, NoReturn

import pytest
from scipy.sparse import linalg as sparse_linalg

from plaudit.authenticity import Likes, ScanSettings, blocks, scan


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
