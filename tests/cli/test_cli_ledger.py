"""`plaudit ledger`: key, verify (receipt and whole log) and audit, with their exit codes."""

from __future__ import annotations

import base64
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import update
from tests.integration.server import running_server

from plaudit.cli.main import cli
from plaudit.config import ENV_PREFIX, Settings, load_settings
from plaudit.ledger import Checkpoint, Ed25519Signer, parse_checkpoint, parse_note, sign_checkpoint
from plaudit.ledger.keystore import KEY_FILE
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community
from plaudit.store import tables

TINY = CommunitySize("tiny", accounts=300, creators=10, videos=40, interactions=3000, days=20)
END = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No PLAUDIT_* setting from the caller's environment, and no ./plaudit-data left behind."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX) and not name.startswith(ENV_PREFIX + "TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize(
    "command", [("ledger",), ("ledger", "key"), ("ledger", "verify"), ("ledger", "audit")]
)
def test_help(command: tuple[str, ...]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_key_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = run("ledger", "key", "--data-dir", str(data))
    assert first.exit_code == 0, first.output
    vkey = first.stdout.strip()
    assert vkey.startswith("plaudit.localhost/ledger+")
    assert stat.S_IMODE((data / KEY_FILE).stat().st_mode) == 0o600
    assert run("ledger", "key", "--data-dir", str(data)).stdout.strip() == vkey


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give either a RECEIPT file or --url URL"),
        (("r.tlog-proof", "--url", "http://x"), "give either a RECEIPT"),
        (("r.tlog-proof",), "pass --vkey or --vkey-file"),
        (("r.tlog-proof", "--vkey", "nonsense"), "the log's key is malformed"),
        (("r.tlog-proof", "--vkey", "a", "--vkey-file", "r.tlog-proof"), "not both"),
        (("r.tlog-proof", "--save", "x"), "--trusted and --save go with --url"),
        (("--url", "http://x", "--witness", "w+00+AA=="), "--witness"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    (tmp_path / "r.tlog-proof").write_text("c2sp.org/tlog-proof@v1\n")
    result = run("ledger", "verify", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_an_unreachable_log_is_one_line_and_exit_1() -> None:
    result = run("ledger", "verify", "--url", "http://127.0.0.1:9", "--vkey", _some_vkey())
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot fetch http://127.0.0.1:9/ledger/checkpoint")
    assert "Traceback" not in result.output


def _some_vkey() -> str:
    return Ed25519Signer("plaudit.localhost/ledger", bytes(32)).verifier().key_string


def _corrupt_counter(settings: Settings, video_id: int) -> None:
    platform = Platform(settings)
    try:
        with platform.db.write_engine.begin() as conn:
            conn.execute(
                update(tables.video_counters)
                .where(tables.video_counters.c.video_id == video_id)
                .values(likes=tables.video_counters.c.likes + 1)
            )
    finally:
        platform.close()


def test_audit_of_a_fresh_community_then_of_a_corrupted_counter(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    settings = load_settings(flags={"data_dir": data}, env={})
    platform = Platform(settings).open()
    try:
        load_community(platform.db, TINY, seed=3, end=END, show_progress=False)
        assert platform.integrator.catch_up() > 2000
    finally:
        platform.close()
    clean = run("ledger", "audit", "--data-dir", data)
    assert clean.exit_code == 0, clean.output
    assert clean.stdout.startswith("OK: ")
    assert "0 mismatches, 0 anomalies" in clean.stdout
    assert "incentivised" in clean.stdout
    _corrupt_counter(settings, 7)
    broken = run("ledger", "audit", "--data-dir", data)
    assert broken.exit_code == 1
    [line] = [x for x in broken.stderr.splitlines() if x.startswith("FAIL: ")]
    assert line.startswith("FAIL: video 7: likes: the log gives ")
    assert "the store's counters of video 7 reports" in line
    as_json = run("ledger", "audit", "--data-dir", data, "--json")
    assert as_json.exit_code == 1
    assert '"field": "likes"' in as_json.stdout


@dataclass
class Served:
    base: str
    settings: Settings
    vkey: str
    like_id: int
    fan: dict[str, str]
    video: int


def _wait_integrated(base: str, size: int) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        response = httpx.get(base + "/ledger/checkpoint")
        if response.status_code == 200:
            body = parse_note(response.text).text
            if parse_checkpoint(body).size >= size:
                return response.text
        time.sleep(0.1)
    raise AssertionError(f"the log did not reach size {size} in 20 s")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    settings = load_settings(flags={"data_dir": str(tmp_path / "data")}, env={})
    with (
        running_server(settings, tmp_path / "server.log") as base,
        httpx.Client(base_url=base) as client,
    ):
        creator = client.post("/v1/accounts", json={"handle": "creator1", "kind": "creator"})
        auth = {"Authorization": f"Bearer {creator.json()['token']}"}
        video = client.post("/v1/videos", json={"title": "v", "category": "music"}, headers=auth)
        fan_token = client.post("/v1/accounts", json={"handle": "fan1"}).json()["token"]
        fan = {"Authorization": f"Bearer {fan_token}", "X-Device-Id": "phone-1"}
        vid = video.json()["id"]
        like = client.post(f"/v1/videos/{vid}/likes", json={"source": "assistant"}, headers=fan)
        client.post(f"/v1/videos/{vid}/comments", json={"body": "hello there"}, headers=fan)
        client.post(f"/v1/videos/{vid}/shares", json={"channel": "qq"}, headers=fan)
        _wait_integrated(base, 3)
        vkey = run("ledger", "key", "--data-dir", str(settings.data_path)).stdout.strip()
        assert client.get("/ledger/vkey").text.strip() == vkey
        yield Served(base, settings, vkey, like.json()["id"], fan, vid)


def test_verify_and_audit_a_served_log(served: Served, tmp_path: Path) -> None:
    saved = tmp_path / "trusted.checkpoint"
    first = run(
        "ledger", "verify", "--url", served.base, "--vkey", served.vkey, "--save", str(saved)
    )
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("OK: 'plaudit.localhost/ledger' has 3 entries")
    assert parse_checkpoint(parse_note(saved.read_text()).text).size == 3
    # The log grows; it must extend the saved checkpoint.
    httpx.post(
        f"{served.base}/v1/videos/{served.video}/shares", json={"channel": "qq"}, headers=served.fan
    )
    _wait_integrated(served.base, 4)
    later = run(
        "ledger", "verify", "--url", served.base, "--vkey", served.vkey, "--trusted", str(saved)
    )
    assert later.exit_code == 0, later.output
    assert "consistent with the trusted checkpoint of size 3" in later.stdout
    # Without --vkey the served key is used, with a warning.
    tofu = run("ledger", "verify", "--url", served.base)
    assert tofu.exit_code == 0
    assert "warning: no --vkey given" in tofu.stderr
    # A checkpoint of another log (same origin, another key) is not trusted.
    origin = served.settings.ledger_origin
    other = tmp_path / "other.checkpoint"
    other.write_text(
        sign_checkpoint(Checkpoint(origin, 2, bytes(32)), [Ed25519Signer.generate(origin)])
    )
    forked = run(
        "ledger", "verify", "--url", served.base, "--vkey", served.vkey, "--trusted", str(other)
    )
    assert forked.exit_code == 1
    assert forked.stderr.startswith("FAIL: the trusted checkpoint is not signed by the log key")
    # Audit: the API's counts match the log; a corrupted counter is reported by video.
    audit = run("ledger", "audit", "--url", served.base, "--vkey", served.vkey)
    assert audit.exit_code == 0, audit.output
    assert "1 active likes (0 incentivised), 1 comments, 2 shares" in audit.stdout
    _corrupt_counter(served.settings, served.video)
    broken = run("ledger", "audit", "--url", served.base, "--vkey", served.vkey)
    assert broken.exit_code == 1
    video = served.video
    expected = f"FAIL: video {video}: likes: the log gives 1, GET /v1/videos/{video} reports 2"
    assert expected in broken.stderr


def test_verify_a_downloaded_receipt(served: Served, tmp_path: Path) -> None:
    response = httpx.get(f"{served.base}/v1/likes/{served.like_id}/receipt", headers=served.fan)
    assert response.status_code == 200, response.text
    receipt = tmp_path / f"like-{served.like_id}.tlog-proof"
    receipt.write_bytes(response.content)
    key_file = tmp_path / "log.vkey"
    key_file.write_text(served.vkey + "\n")
    ok = run("ledger", "verify", str(receipt), "--vkey-file", str(key_file))
    assert ok.exit_code == 0, ok.output
    assert f"OK: like of video {served.video}" in ok.stdout
    assert "source:  assistant" in ok.stdout
    assert "device id 'phone-1'" in ok.stdout
    assert "IP prefix '127.0.0.0/24'" in ok.stdout
    # The entries of a real server hold no IP, device id or comment text in clear.
    log = httpx.get(f"{served.base}/ledger/tile/entries/000.p/3").content
    for secret in (b"127.0.0", b"phone-1", b"hello there", b"fan1"):
        assert secret not in log
    lines = response.text.split("\n")
    digest = bytearray(base64.b64decode(lines[3]))
    digest[5] ^= 0x10
    tampered = tmp_path / "tampered.tlog-proof"
    tampered.write_text(
        "\n".join([*lines[:3], base64.b64encode(bytes(digest)).decode(), *lines[4:]])
    )
    failed = run("ledger", "verify", str(tampered), "--vkey", served.vkey)
    assert failed.exit_code == 1
    assert failed.stderr.startswith("FAIL: the entry is not proven to be entry 0")
    assert "Traceback" not in failed.output
    other = run("ledger", "verify", str(receipt), "--vkey", _some_vkey())
    assert other.exit_code == 1
    assert "not signed by the log key" in other.stderr
