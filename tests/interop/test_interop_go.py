"""Interop: Go's golang.org/x/mod/sumdb/note and sumdb/tlog accept our checkpoints, signatures
and proofs, and reject tampered ones. An independent implementation of the same specs.

Needs Go and Debian's golang-golang-x-mod-dev (installed by .ci/run); skipped without them
unless PLAUDIT_REQUIRE_GO=1.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from plaudit.config import Settings
from plaudit.interactions import BulkItem, ingest_op
from plaudit.ledger import generate_key, parse_checkpoint
from plaudit.platform import Platform
from tests.interop.gobuild import build_go_tool


@pytest.fixture(scope="module")
def tlogcheck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_go_tool("tlogcheck", tmp_path_factory)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def platform(sqlite_settings: Settings) -> Iterator[Platform]:
    opened = Platform(sqlite_settings).open()
    yield opened
    opened.close()


def _likes(platform: Platform, fans: list[int], video: int, at: datetime) -> None:
    items = [
        BulkItem(
            "like",
            fan,
            video,
            at,
            "assistant" if fan % 3 else "app",
            f"dev-{fan}",
            "PlauditApp/2.0",
            "10.1.2.0/24",
        )
        for fan in fans
    ]
    results = platform.db.write(ingest_op(items))
    assert all(r.status == "created" for r in results)


def _case(platform: Platform) -> dict[str, Any]:
    creator, _ = platform.accounts.create("go_creator", "creator")
    fans = [platform.accounts.create(f"go_fan{i}")[0].id for i in range(40)]
    videos = [platform.videos.publish(creator.id, f"v{i}", "music").id for i in range(3)]
    at = datetime.now(UTC) - timedelta(minutes=5)
    _likes(platform, fans[:17], videos[0], at)
    platform.integrator.catch_up()
    old = parse_checkpoint(platform.ledger.checkpoint().split("\n\n")[0] + "\n")
    for video in videos[1:]:
        _likes(platform, fans, video, at)
    platform.integrator.catch_up()
    size = platform.ledger.size()
    inclusions = [
        {
            "index": i,
            "entry": _b64(platform.ledger.entry(i)),
            "proof": platform.ledger.inclusion(i, size).hashes_b64(),
        }
        for i in (0, 1, 16, 17, size // 2, size - 1)
    ]
    consistency = platform.ledger.consistency(old.size, size).hashes_b64()
    return {
        "vkey": platform.ledger.vkey,
        "checkpoint": platform.ledger.checkpoint(),
        "inclusions": inclusions,
        "old": {"size": old.size, "root": _b64(old.root_hash), "proof": consistency},
    }


def _check(tool: Path, case: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(tool)], input=json.dumps(case), capture_output=True, text=True, timeout=60
    )


def _flip(text: str) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[len(raw) // 2] ^= 0x01
    return _b64(bytes(raw))


def test_go_accepts_our_checkpoints_and_proofs(tlogcheck: Path, platform: Platform) -> None:
    result = _check(tlogcheck, _case(platform))
    assert (result.returncode, result.stdout.strip()) == (0, "ok"), result.stdout


def test_go_rejects_tampering(tlogcheck: Path, platform: Platform) -> None:
    case = _case(platform)
    entry = json.loads(json.dumps(case))
    entry["inclusions"][2]["entry"] = _flip(entry["inclusions"][2]["entry"])
    proof = json.loads(json.dumps(case))
    proof["inclusions"][3]["proof"][0] = _flip(proof["inclusions"][3]["proof"][0])
    consistency = json.loads(json.dumps(case))
    consistency["old"]["proof"][-1] = _flip(consistency["old"]["proof"][-1])
    old_root = json.loads(json.dumps(case))
    old_root["old"]["root"] = _flip(old_root["old"]["root"])
    signature = json.loads(json.dumps(case))
    origin, size, rest = case["checkpoint"].split("\n", 2)
    signature["checkpoint"] = f"{origin}\n{int(size) + 1}\n{rest}"  # signed text changed
    other_log = json.loads(json.dumps(case))
    other_log["vkey"] = generate_key(platform.settings.ledger_origin)[1]
    for name, tampered in [
        ("entry", entry),
        ("inclusion proof", proof),
        ("consistency proof", consistency),
        ("old root", old_root),
        ("checkpoint text", signature),
        ("other log's key", other_log),
    ]:
        result = _check(tlogcheck, tampered)
        assert result.returncode == 1, f"Go accepted a tampered {name}: {result.stdout}"
