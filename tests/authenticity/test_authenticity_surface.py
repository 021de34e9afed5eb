"""The public surface of plaudit.authenticity is explicit, and the eval command runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from click.testing import CliRunner

import plaudit.authenticity
from plaudit.authenticity import Likes
from plaudit.cli.main import cli

PUBLIC = [
    "DETECTORS",
    "GRID",
    "Attack",
    "Interactions",
    "Likes",
    "Metrics",
    "Row",
    "ScanResult",
    "ScanSettings",
    "Truth",
    "Verdict",
    "evaluate",
    "from_arrays",
    "inject",
    "prf",
    "read_interactions",
    "scan",
    "write_results",
]


def test_public_surface_is_pinned() -> None:
    assert sorted(plaudit.authenticity.__all__) == sorted(PUBLIC)
    assert all(hasattr(plaudit.authenticity, name) for name in PUBLIC)


def test_eval_quick_on_a_kuairec_style_file(tmp_path: Path, clean: Likes) -> None:
    pairs = tmp_path / "pairs.csv"
    np.savetxt(pairs, np.column_stack([clean.account, clean.video]), fmt="%d", delimiter=",")
    result = CliRunner().invoke(
        cli,
        ["authenticity", "eval", "--quick", "--source", "kuairec", "--kuairec", str(pairs)],
    )
    assert result.exit_code == 0, result.output
    assert "clean (no attack)" in result.output
    assert "farm 200x200 d=0.05 camo=popular" in result.output
