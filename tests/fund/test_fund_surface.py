"""The public surfaces of plaudit.fund and plaudit.quality are explicit and pinned here."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "plaudit.fund": [
        "KINDS",
        "Computation",
        "CreatorScore",
        "FundService",
        "Interaction",
        "Period",
        "PeriodTotals",
        "Rule",
        "Statement",
        "VerifyReport",
        "diminishing_units",
        "largest_remainder",
        "parse_weights",
        "score_creators",
        "verify_period",
    ],
    "plaudit.quality": ["QualityScore", "QualityService", "quality_of"],
}


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_public_surface_is_pinned(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == sorted(PUBLIC[package])
    assert all(hasattr(module, name) for name in module.__all__)
