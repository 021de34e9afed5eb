"""Start-up stays light: importing the app (what `plaudit serve` does before it answers) must
not load the numeric stacks; they load on the first request of a route that needs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("implicit", "scipy", "numpy", "pyarrow", "duckdb", "threadpoolctl")


def test_importing_the_app_leaves_the_heavy_stacks_unloaded() -> None:
    probe = (
        "import json, sys\n"
        "from plaudit.api.app import create_app\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_lazy_packages_still_give_every_public_name() -> None:
    probe = (
        "import json, sys\n"
        "import plaudit.recommend as r, plaudit.persona as p\n"
        "before = 'implicit' in sys.modules\n"
        "missing = [n for m in (r, p) for n in m.__all__ if not hasattr(m, n)]\n"
        "print(json.dumps([before, missing, 'implicit' in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [False, [], True]


def test_building_the_app_leaves_the_console_and_delivery_stacks_unloaded(tmp_path: Path) -> None:
    """What `plaudit serve` builds before it is ready: the console's passkeys (py_webauthn),
    webhook deliveries (httpx) and the numeric stacks load on first use, not here."""
    later = (*HEAVY, "webauthn", "httpx")
    probe = (
        "import json, sys\n"
        "from plaudit.api.app import create_app\n"
        "from plaudit.config import load_settings\n"
        f"create_app(load_settings(flags={{'data_dir': {str(tmp_path)!r}}}, env={{}}))\n"
        f"print(json.dumps(sorted(m for m in {later!r} if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
