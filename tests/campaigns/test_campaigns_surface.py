"""The public surface of `plaudit.campaigns` is pinned (see tests/test_public_surface.py), and
importing it stays light (the persona package and NumPy load only when segments are used)."""

from __future__ import annotations

import subprocess
import sys

import plaudit.campaigns

PUBLIC = [
    "Campaign",
    "CampaignService",
    "CampaignSpec",
    "Completion",
    "Member",
    "Organisation",
    "Progress",
    "Redemption",
    "Report",
    "Reward",
    "Segments",
    "SettleSummary",
]


def test_public_surface_is_pinned() -> None:
    assert sorted(plaudit.campaigns.__all__) == sorted(PUBLIC)
    missing = [name for name in PUBLIC if not hasattr(plaudit.campaigns, name)]
    assert missing == []


def test_importing_campaigns_does_not_import_numpy() -> None:
    code = "import sys, plaudit.campaigns; print('numpy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
