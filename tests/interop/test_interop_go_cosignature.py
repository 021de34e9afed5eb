"""Interop: a witness cosignature made by `plaudit witness` verifies with an independent Go
check (golang.org/x/mod/sumdb/note opens the note; the cosignature/v1 message and key ID are
rebuilt with Go's crypto/ed25519 and crypto/sha256), and tampering is rejected there too."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from plaudit.ledger import Checkpoint, Ed25519Signer, parse_note, sign_checkpoint
from plaudit.witness import Witness
from plaudit.witness.keystore import STATE_FILE, load_or_create_witness_key
from tests.interop.gobuild import build_go_tool

LOG = Ed25519Signer("interop.example/ledger", bytes(range(32)))


@pytest.fixture(scope="module")
def cosigcheck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_go_tool("cosigcheck", tmp_path_factory)


def _check(binary: Path, note: str, witness_vkey: str) -> str:
    payload = {"log_vkey": LOG.verifier().key_string, "witness_vkey": witness_vkey, "note": note}
    done = subprocess.run(
        [str(binary)], input=json.dumps(payload), capture_output=True, text=True, check=False
    )
    return done.stdout.strip()


def test_go_verifies_our_witness_cosignature(cosigcheck: Path, tmp_path: Path) -> None:
    signer = load_or_create_witness_key(tmp_path, "witness.example/go")
    witness = Witness(signer, [LOG.verifier()], tmp_path / STATE_FILE)
    signed = sign_checkpoint(
        Checkpoint(
            LOG.name,
            0,
            bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ),
        [LOG],
    )
    line = witness.add_checkpoint(b"old 0\n\n" + signed.encode())
    vkey = signer.verifier().key_string
    cosigned = signed + line
    answer = _check(cosigcheck, cosigned, vkey)
    assert answer.startswith("ok "), answer
    timestamp = int(answer.split()[1])

    # a changed timestamp, another checkpoint text, another witness key: all refused by Go
    sig = parse_note(cosigned).signatures[1]
    raw = sig.key_id + (timestamp + 1).to_bytes(8, "big") + sig.signature[8:]
    later = signed + f"— {sig.name} {base64.b64encode(raw).decode()}\n"
    assert _check(cosigcheck, later, vkey) == "cosignature does not verify"
    other = sign_checkpoint(Checkpoint(LOG.name, 1, bytes(32)), [LOG])
    assert _check(cosigcheck, other + line, vkey) == "cosignature does not verify"
    stranger = load_or_create_witness_key(tmp_path / "b", "witness.example/go")
    assert _check(cosigcheck, cosigned, stranger.verifier().key_string).startswith("no cosig")
