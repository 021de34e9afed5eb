"""C2SP signed notes and keys, checked against Go's reference vectors and by property.

Third-party interop vectors: the PeterNeumann / EnochRoot keys, texts and signatures are
the fixed vectors of golang.org/x/mod/sumdb/note (note_test.go: TestNewVerifier,
TestNewSigner, TestSign, TestVerifierList, TestOpen). Ed25519 is deterministic, so our
signer must reproduce Go's signed note byte for byte. The quasimodo note is the example
of c2sp.org/signed-note (its key is not published, so only its parsing is checked).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.ledger import (
    Ed25519Signer,
    Ed25519Verifier,
    KeyFormatError,
    NoteError,
    Signature,
    generate_key,
    key_id,
    open_note,
    parse_note,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
)

# golang.org/x/mod/sumdb/note note_test.go
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6"
    "KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33W"
    "Wd1RvMc+QQ=\n"
)

# c2sp.org/signed-note, the example at the top of the specification
SPEC_NOTE = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed è subito sera.\n"
    "\n"
    "— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU"
    "0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)

PETER = parse_verifier_key(PETER_VKEY)
ENOCH = parse_verifier_key(ENOCH_VKEY)


# --- keys ---------------------------------------------------------------------------------


def test_go_keys_parse_and_match() -> None:
    signer = parse_signer_key(PETER_SKEY)
    assert PETER.name == signer.name == "PeterNeumann"
    assert PETER.key_id == signer.key_id == bytes.fromhex("c74f20a3")
    assert signer.public_key == PETER.public_key
    assert PETER.key_string == PETER_VKEY
    assert signer.key_string == PETER_SKEY
    assert ENOCH.key_id.hex() == "af0cfe78"


def test_key_id_is_the_signed_note_recommendation() -> None:
    want = hashlib.sha256(b"PeterNeumann\n\x01" + PETER.public_key).digest()[:4]
    assert key_id("PeterNeumann", 0x01, PETER.public_key) == want == PETER.key_id


def _manglings(key: str) -> set[str]:
    """Go's TestNewVerifier/TestNewSigner: every proper substring, every byte + 1."""
    raw = key.encode()
    out = {raw[i:j] for i in range(len(raw) + 1) for j in range(i + 1, len(raw) + 1)}
    out |= {raw[:i] + bytes([raw[i] + 1]) + raw[i + 1 :] for i in range(len(raw))}
    out.discard(raw)
    return {candidate.decode("utf-8", "replace") for candidate in out}


@pytest.mark.parametrize(
    ("key", "parse"), [(PETER_VKEY, parse_verifier_key), (PETER_SKEY, parse_signer_key)]
)
def test_every_mangled_key_is_rejected(key: str, parse: Callable[[str], object]) -> None:
    for mangled in _manglings(key):
        with pytest.raises(KeyFormatError):
            parse(mangled)


@pytest.mark.parametrize(
    "vkey",
    [
        # Go: wrong length key, with adjusted key hash
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        # Go: unknown algorithm, with adjusted key hash
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # uppercase id
    ],
)
def test_go_bad_verifier_keys(vkey: str) -> None:
    with pytest.raises(KeyFormatError):
        parse_verifier_key(vkey)


@pytest.mark.parametrize(
    "name", ["", "a b", "a+b", "tab\there", "nbsp\u00a0x", "ideo\u3000x", "nl\nx", "ctl\x01"]
)
def test_key_name_rules(name: str) -> None:
    with pytest.raises(KeyFormatError):
        Ed25519Verifier(name, PETER.public_key)


def test_generated_keys_round_trip() -> None:
    skey, vkey = generate_key("plaudit.example/likes")
    signer, verifier = parse_signer_key(skey), parse_verifier_key(vkey)
    assert signer.verifier() == verifier
    assert signer.seed.hex() not in repr(signer)
    note = sign_note("hello\n", [signer])
    assert open_note(note, [verifier]).text == "hello\n"


# --- Go's TestSign and TestOpen --------------------------------------------------------


def test_sign_reproduces_go_byte_for_byte() -> None:
    assert sign_note(TEXT, [parse_signer_key(PETER_SKEY)]) == TEXT + "\n" + PETER_SIG


@pytest.mark.parametrize("text", ["abc", "no newline", "ctl\x07\n", ""])
def test_sign_rejects_bad_text(text: str) -> None:
    with pytest.raises(NoteError):
        sign_note(text, [parse_signer_key(PETER_SKEY)])


def test_open_one_verified_one_unknown() -> None:
    note = open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [PETER])
    assert note.text == TEXT
    assert [s.key_label for s in note.verified] == ["PeterNeumann+c74f20a3"]
    assert [s.key_label for s in note.unverified] == ["EnochRoot+af0cfe78"]


def test_open_both_verified() -> None:
    note = open_note((TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode(), [PETER, ENOCH])
    assert len(note.verified) == 2
    assert note.unverified == ()


def test_open_with_no_known_key() -> None:
    with pytest.raises(NoteError, match="no verifiable signatures"):
        open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [])


def test_ambiguous_verifiers_only_matter_when_used() -> None:
    with pytest.raises(NoteError, match="ambiguous key EnochRoot\\+af0cfe78"):
        open_note(TEXT + "\n" + ENOCH_SIG, [ENOCH, PETER, ENOCH])
    open_note(TEXT + "\n" + PETER_SIG, [ENOCH, PETER, ENOCH])


def test_too_many_signatures() -> None:
    with pytest.raises(NoteError, match="more than 100"):
        open_note(TEXT + "\n" + PETER_SIG * 101, [PETER])


def test_invalid_signature_of_known_key_rejects_the_note() -> None:
    bad = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(NoteError, match="invalid signature for key PeterNeumann\\+c74f20a3"):
        open_note(TEXT + "\n" + bad, [PETER])


def test_duplicated_signatures_count_once() -> None:
    enoch_abcd = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    message = TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + enoch_abcd
    note = open_note(message, [PETER])
    assert len(note.verified) == 1
    assert len(note.unverified) == 2


@pytest.mark.parametrize(
    "message",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        b"\xff" + (TEXT + "\n" + PETER_SIG).encode(),
        TEXT + "\n" + "— Bad Name " + PETER_SIG.split(" ")[2],
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG.replace("— ", "- "),
        TEXT + "\n" + PETER_SIG.replace("=\n", "\n"),  # missing padding: not canonical
        TEXT + "\n" + "— PeterNeumann AAAA\n",  # shorter than key ID + 1 byte
    ],
)
def test_malformed_notes_are_rejected(message: str | bytes) -> None:
    with pytest.raises(NoteError):
        open_note(message, [PETER])


def test_spec_example_parses_with_blank_line_in_text() -> None:
    note = parse_note(SPEC_NOTE)
    assert note.text.endswith("\n\ned è subito sera.\n")
    (signature,) = note.signatures
    assert signature.name == "quasimodo.example/salvatore"
    assert len(signature.signature) == 64
    assert note.format() == SPEC_NOTE


# --- properties ----------------------------------------------------------------------------

SIGNER = Ed25519Signer("plaudit.example/log", bytes(range(32)))
OTHER = Ed25519Signer("plaudit.example/log", bytes(range(1, 33)))

lines = st.text(alphabet=st.characters(min_codepoint=0x20, exclude_categories=["Cs"]), max_size=40)
texts = st.lists(lines, min_size=1, max_size=6).map(lambda ls: "\n".join(ls) + "\n")


@given(texts)
def test_sign_then_open(text: str) -> None:
    note = open_note(sign_note(text, [SIGNER]), [SIGNER.verifier()])
    assert note.text == text
    assert note.verified[0] == Signature(SIGNER.name, SIGNER.key_id, SIGNER.sign(text.encode()))


@given(texts, st.data())
def test_changed_text_is_rejected(text: str, data: st.DataObject) -> None:
    signed = sign_note(text, [SIGNER])
    position = data.draw(st.integers(0, len(text) - 1))
    replacement = "Y" if text[position] == "X" else "X"
    forged = text[:position] + replacement + signed[position + 1 :]
    with pytest.raises(NoteError):
        open_note(forged, [SIGNER.verifier()])


@given(texts, st.integers(0, 64 * 8 - 1))
def test_changed_signature_is_rejected(text: str, bit: int) -> None:
    note = parse_note(sign_note(text, [SIGNER]))
    (signature,) = note.signatures
    flipped = bytearray(signature.signature)
    flipped[bit // 8] ^= 1 << (bit % 8)
    forged = type(note)(note.text, (Signature(signature.name, signature.key_id, bytes(flipped)),))
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(forged.format(), [SIGNER.verifier()])


@given(texts)
def test_wrong_key_is_rejected(text: str) -> None:
    with pytest.raises(NoteError, match="no verifiable"):
        open_note(sign_note(text, [SIGNER]), [OTHER.verifier()])
