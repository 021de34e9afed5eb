"""C2SP tlog-checkpoint: strict format/parse, and signing/opening as a signed note."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.ledger import (
    Checkpoint,
    CheckpointError,
    Ed25519Signer,
    NoteError,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)

# c2sp.org/tlog-checkpoint, the example at the top of the specification (note text only:
# its log key is not published).
SPEC_TEXT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
ROOT = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")

LOG = Ed25519Signer("plaudit.example/likes", bytes(32))


def test_spec_example() -> None:
    checkpoint = parse_checkpoint(SPEC_TEXT)
    assert checkpoint == Checkpoint("example.com/behind-the-sofa", 20852163, ROOT)
    assert checkpoint.text() == SPEC_TEXT


def test_extension_lines_are_kept() -> None:
    text = SPEC_TEXT + "ext one\next two\n"
    checkpoint = parse_checkpoint(text)
    assert checkpoint.extensions == ("ext one", "ext two")
    assert checkpoint.text() == text


origins = st.text(alphabet=st.characters(min_codepoint=0x20, exclude_categories=["Cs"]), min_size=1)


@given(
    origins,
    st.integers(min_value=0, max_value=(1 << 64) - 1),
    st.binary(min_size=32, max_size=32),
    st.lists(origins, max_size=3),
)
def test_format_parse_round_trip(origin: str, size: int, root: bytes, ext: list[str]) -> None:
    checkpoint = Checkpoint(origin, size, root, tuple(ext))
    assert parse_checkpoint(checkpoint.text()) == checkpoint


@pytest.mark.parametrize(
    "text",
    [
        SPEC_TEXT[:-1],  # no final newline
        "example.com/log\n5\n",  # no root line
        "\n5\n" + SPEC_TEXT.split("\n")[2] + "\n",  # empty origin
        SPEC_TEXT.replace("20852163", "020852163"),  # leading zero
        SPEC_TEXT.replace("20852163", "+20852163"),
        SPEC_TEXT.replace("20852163", "-1"),
        SPEC_TEXT.replace("20852163", " 20852163"),
        SPEC_TEXT.replace("20852163", "\u0662"),  # non-ASCII digit
        SPEC_TEXT.replace("20852163", str(1 << 64)),  # not a uint64
        SPEC_TEXT.replace("q2I=", "q2I"),  # missing padding
        SPEC_TEXT.replace("q2I=", "q2J="),  # non-canonical trailing bits
        SPEC_TEXT.replace("CsUY", "CsU"),  # not 32 bytes
        SPEC_TEXT + "\n",  # empty extension line
        SPEC_TEXT + "bad\tcontrol\n",
    ],
)
def test_malformed_checkpoints_are_rejected(text: str) -> None:
    with pytest.raises(CheckpointError):
        parse_checkpoint(text)


def test_invalid_checkpoint_values() -> None:
    with pytest.raises(CheckpointError):
        Checkpoint("log", 1, b"short")
    with pytest.raises(CheckpointError):
        Checkpoint("log", -1, ROOT)
    with pytest.raises(CheckpointError):
        Checkpoint("two\nlines", 1, ROOT)


def test_sign_and_open() -> None:
    checkpoint = Checkpoint(LOG.name, 42, ROOT)
    signed = sign_checkpoint(checkpoint, [LOG])
    assert signed.startswith(checkpoint.text() + "\n\u2014 " + LOG.name + " ")
    assert open_checkpoint(signed, [LOG.verifier()]) == checkpoint
    assert open_checkpoint(signed.encode(), [LOG.verifier()], origin=LOG.name) == checkpoint


def test_open_rejects_other_origin_and_tampering() -> None:
    signed = sign_checkpoint(Checkpoint(LOG.name, 42, ROOT), [LOG])
    with pytest.raises(CheckpointError, match="expected"):
        open_checkpoint(signed, [LOG.verifier()], origin="other.example/log")
    with pytest.raises(NoteError):
        open_checkpoint(signed.replace("\n42\n", "\n43\n"), [LOG.verifier()])
    with pytest.raises(NoteError):
        open_checkpoint(signed, [Ed25519Signer(LOG.name, bytes(31) + b"\x01").verifier()])


def test_signed_note_that_is_not_a_checkpoint() -> None:
    from plaudit.ledger import sign_note

    with pytest.raises(CheckpointError):
        open_checkpoint(sign_note("just one line\n", [LOG]), [LOG.verifier()])
