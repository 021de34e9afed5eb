"""C2SP tlog-cosignature (Ed25519 cosignature/v1): framing, key IDs, signing, verifying."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.ledger import (
    Checkpoint,
    CosignatureSigner,
    CosignatureVerifier,
    Ed25519Signer,
    KeyFormatError,
    NoteError,
    cosign_checkpoint,
    open_checkpoint,
    open_note,
    parse_cosignature_verifier_key,
    parse_note,
    parse_verifier_key,
    sign_checkpoint,
    verify_cosignature,
)
from plaudit.ledger.cosignature import MAX_TIMESTAMP, cosignature_message, cosignature_timestamp
from plaudit.ledger.note import Signature

# c2sp.org/tlog-cosignature: the example cosigned checkpoint and the signed-message example.
# No keys are published for it, so the framing is what can be checked: a 4-byte key ID,
# a big-endian uint64 timestamp (the "time 1679315147" of the message example), 64 bytes.
SPEC_CHECKPOINT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)
SPEC_NOTE = (
    SPEC_CHECKPOINT
    + "\n"
    + "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcy"
    "v2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    + "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b"
    "2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
SPEC_MESSAGE = "cosignature/v1\ntime 1679315147\n" + SPEC_CHECKPOINT

WITNESS = CosignatureSigner("witness.example/w1", bytes(range(32)), clock=lambda: 1_700_000_000.7)
LOG = Ed25519Signer("plaudit.example/likes", bytes(32))
CHECKPOINT = Checkpoint(LOG.name, 1234, hashlib.sha256(b"root").digest())
SIGNED = sign_checkpoint(CHECKPOINT, [LOG])


def test_spec_example_framing() -> None:
    witness_line = parse_note(SPEC_NOTE).signatures[1]
    assert witness_line.name == "witness.example.com/w1"
    assert witness_line.key_id.hex() == "8d66cf3f"
    assert cosignature_timestamp(witness_line) == 1679315147
    assert cosignature_message(SPEC_CHECKPOINT.encode(), 1679315147) == SPEC_MESSAGE.encode()


def test_key_id_uses_type_0x04() -> None:
    verifier = WITNESS.verifier()
    want = hashlib.sha256(WITNESS.name.encode() + b"\n\x04" + WITNESS.public_key).digest()[:4]
    assert verifier.key_id == want
    assert Ed25519Signer(WITNESS.name, WITNESS.seed).key_id != want


def test_cosign_and_verify() -> None:
    line = cosign_checkpoint(CHECKPOINT, WITNESS)
    assert cosignature_timestamp(line) == 1_700_000_000
    assert len(line.signature) == 8 + 64
    cosigned = SIGNED + line.line
    assert verify_cosignature(cosigned, WITNESS.verifier()) == 1_700_000_000
    # Log signature and cosignature are checked in one pass by the same note machinery.
    note = open_note(cosigned, [LOG.verifier(), WITNESS.verifier()])
    assert len(note.verified) == 2
    assert open_checkpoint(cosigned, [LOG.verifier()]) == CHECKPOINT


@given(st.integers(min_value=0, max_value=MAX_TIMESTAMP))
def test_any_valid_timestamp_round_trips(timestamp: int) -> None:
    line = cosign_checkpoint(CHECKPOINT, WITNESS, timestamp)
    assert verify_cosignature(SIGNED + line.line, WITNESS.verifier()) == timestamp


def _with_signature(signature: bytes) -> str:
    return SIGNED + Signature(WITNESS.name, WITNESS.key_id, signature).line


def test_tampering_is_rejected() -> None:
    good = cosign_checkpoint(CHECKPOINT, WITNESS, 1000).signature
    later = (1001).to_bytes(8, "big") + good[8:]
    for bad in [later, good[:-1] + bytes([good[-1] ^ 1]), good[:-1], good + b"\x00"]:
        with pytest.raises(NoteError, match="invalid signature"):
            verify_cosignature(_with_signature(bad), WITNESS.verifier())
    too_late = (MAX_TIMESTAMP + 1).to_bytes(8, "big") + good[8:]
    with pytest.raises(NoteError, match="invalid signature"):
        verify_cosignature(_with_signature(too_late), WITNESS.verifier())


def test_cosignature_is_bound_to_the_checkpoint() -> None:
    line = cosign_checkpoint(CHECKPOINT, WITNESS, 1000)
    other = sign_checkpoint(Checkpoint(LOG.name, 1235, CHECKPOINT.root_hash), [LOG])
    with pytest.raises(NoteError, match="invalid signature"):
        verify_cosignature(other + line.line, WITNESS.verifier())


def test_other_witness_is_not_enough() -> None:
    line = cosign_checkpoint(CHECKPOINT, WITNESS, 1000)
    stranger = CosignatureSigner("witness.example/w2", bytes(range(1, 33)))
    with pytest.raises(NoteError, match="no verifiable"):
        verify_cosignature(SIGNED + line.line, stranger.verifier())


def test_timestamp_range() -> None:
    with pytest.raises(NoteError):
        cosign_checkpoint(CHECKPOINT, WITNESS, MAX_TIMESTAMP + 1)
    with pytest.raises(NoteError):
        cosign_checkpoint(CHECKPOINT, WITNESS, -1)


def test_verifier_keys() -> None:
    vkey = WITNESS.verifier().key_string
    assert base64.b64decode(vkey.split("+", 2)[2])[0] == 0x04
    assert parse_cosignature_verifier_key(vkey) == WITNESS.verifier()
    with pytest.raises(KeyFormatError, match="not 0x01"):
        parse_verifier_key(vkey)
    with pytest.raises(KeyFormatError, match="not 0x04"):
        parse_cosignature_verifier_key(LOG.verifier().key_string)
    name, key_id, material = vkey.split("+", 2)
    wrong_id = f"{name}+{int(key_id, 16) ^ 1:08x}+{material}"
    with pytest.raises(KeyFormatError, match="does not match"):
        parse_cosignature_verifier_key(wrong_id)
    with pytest.raises(KeyFormatError):
        CosignatureVerifier("w", b"\x00" * 31)
    assert WITNESS.seed.hex() not in repr(WITNESS)
