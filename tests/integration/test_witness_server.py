"""Two real processes: `plaudit witness serve` and `plaudit serve` configured to send it each
new checkpoint; the served checkpoint carries the witness's cosignature and a client that
requires it accepts the log."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from plaudit.cli.main import cli
from plaudit.config import Settings
from plaudit.ledger import parse_cosignature_verifier_key, verify_cosignature
from plaudit.ledger.keystore import load_or_create_signer
from plaudit.witness.keystore import load_or_create_witness_key
from tests.integration.server import free_port, running_server

NAME = "witness.example/w1"


def _wait(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"witness exited:\n{log.read_text()}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"witness did not start:\n{log.read_text()}")


def test_the_log_gets_its_checkpoints_cosigned(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log_vkey = (
        load_or_create_signer(sqlite_settings.data_path, sqlite_settings.ledger_origin)
        .verifier()
        .key_string
    )
    witness_dir = tmp_path / "witness"
    witness_vkey = load_or_create_witness_key(witness_dir, NAME).verifier().key_string
    port = free_port()
    command = [sys.executable, "-m", "plaudit", "witness", "serve", "--name", NAME]
    command += ["--log", log_vkey, "--data-dir", str(witness_dir), "--port", str(port)]
    witness_log = tmp_path / "witness.log"
    with witness_log.open("wb") as out:
        witness = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=os.environ)
    try:
        _wait(f"http://127.0.0.1:{port}/", witness, witness_log)
        monkeypatch.setenv("PLAUDIT_LEDGER_WITNESSES", witness_vkey)
        monkeypatch.setenv("PLAUDIT_LEDGER_WITNESS_URLS", f"{NAME}=http://127.0.0.1:{port}")
        monkeypatch.setenv("PLAUDIT_WITNESS_INTERVAL_S", "0.2")
        with running_server(sqlite_settings, tmp_path / "server.log") as base:
            account = httpx.post(base + "/v1/accounts", json={"handle": "fan1"}).json()
            creator = httpx.post(
                base + "/v1/accounts", json={"handle": "maker", "kind": "creator"}
            ).json()
            auth = {"Authorization": f"Bearer {creator['token']}"}
            video = httpx.post(
                base + "/v1/videos", json={"title": "t", "category": "food"}, headers=auth
            ).json()["id"]
            fan = {"Authorization": f"Bearer {account['token']}"}
            assert httpx.post(f"{base}/v1/videos/{video}/likes", headers=fan).status_code in (
                200,
                201,
            )
            key = parse_cosignature_verifier_key(witness_vkey)
            deadline = time.monotonic() + 20
            while True:
                note = httpx.get(base + "/ledger/checkpoint").text
                if f"— {NAME} " in note and note.split("\n")[1] != "0":
                    break
                assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
                time.sleep(0.2)
            assert verify_cosignature(note, key) > 0
            result = CliRunner().invoke(
                cli,
                [
                    "ledger",
                    "verify",
                    "--url",
                    base,
                    "--vkey",
                    log_vkey,
                    "--witness",
                    witness_vkey,
                    "--quorum",
                    "1",
                ],
            )
            assert result.exit_code == 0, result.output
            assert f"cosigned by {NAME} (verified)" in result.output
    finally:
        witness.terminate()
        witness.wait(timeout=15)
