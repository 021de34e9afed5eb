"""C2SP signed notes: format, parse, sign and open (c2sp.org/signed-note).

A signed note is a UTF-8 text ending in a newline, a blank line, then one or more
signature lines ``— <key name> <base64(key ID || signature)>`` (em dash U+2014). The text
is separated from the signatures by the *last* blank line, so the text itself may contain
blank lines.

Opening follows the spec's trust rules ("Signatures"): signatures by keys the caller does
not know are ignored; a known key's signature that fails to verify rejects the whole note;
a note with no verified signature is rejected.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from plaudit.ledger.errors import KeyFormatError, NoteError
from plaudit.ledger.keys import NoteSigner, NoteVerifier, b64decode_canonical, check_key_name

__all__ = [
    "MAX_SIGNATURES",
    "Note",
    "Signature",
    "VerifiedNote",
    "check_note_text",
    "open_note",
    "parse_note",
    "sign_note",
    "signature_for",
]

MAX_SIGNATURES = 100
"""Most signature lines a note may carry; the spec requires accepting at least 16."""

_DASH = "\u2014 "


@dataclass(frozen=True, slots=True)
class Signature:
    """One signature line: key name, 4-byte key ID, and the signature bytes after the ID."""

    name: str
    key_id: bytes
    signature: bytes

    @property
    def line(self) -> str:
        """The signature line, newline included."""
        blob = base64.b64encode(self.key_id + self.signature).decode()
        return f"{_DASH}{self.name} {blob}\n"

    @property
    def key_label(self) -> str:
        """``<name>+<hex key ID>``, how errors and logs name the key."""
        return f"{self.name}+{self.key_id.hex()}"


@dataclass(frozen=True, slots=True)
class Note:
    """A note as parsed, before any signature is checked: its text is not yet trusted."""

    text: str
    signatures: tuple[Signature, ...]

    def format(self) -> str:
        """The signed note as text: note text, blank line, signature lines."""
        return self.text + "\n" + "".join(signature.line for signature in self.signatures)


@dataclass(frozen=True, slots=True)
class VerifiedNote:
    """A note with at least one signature verified by a known key.

    ``unverified`` holds the signatures by keys the caller did not supply (e.g. witnesses
    it does not track); they are kept so they can be passed on, never trusted.
    """

    text: str
    verified: tuple[Signature, ...]
    unverified: tuple[Signature, ...]


def check_note_text(text: str) -> None:
    """Reject a note text that could not be signed: not ending in newline, or with controls.

    signed-note: notes "MUST be valid UTF-8 and MUST NOT contain any ASCII control
    characters (those below U+0020) other than newline"; the text ends in a newline.
    """
    _check_form(text, "note text")


def _check_form(text: str, what: str) -> None:
    if not text.endswith("\n"):
        raise NoteError(f"{what} must end with a newline")
    for char in text:
        if char < " " and char != "\n":
            raise NoteError(f"{what} contains control character {char!r}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NoteError(f"{what} is not encodable as UTF-8") from exc


def signature_for(text: str, signer: NoteSigner) -> Signature:
    """``signer``'s signature of note ``text`` (checked first, so it can be parsed back)."""
    check_note_text(text)
    _checked_name(signer.name)
    return Signature(signer.name, signer.key_id, signer.sign(text.encode()))


def sign_note(text: str, signers: Sequence[NoteSigner]) -> str:
    """The signed note: ``text`` signed by each of ``signers``, in order."""
    if not signers:
        raise NoteError("a signed note needs at least one signer")
    return Note(text, tuple(signature_for(text, signer) for signer in signers)).format()


def _checked_name(name: str) -> None:
    try:
        check_key_name(name)
    except KeyFormatError as exc:
        raise NoteError(f"malformed signature line: {exc}") from exc


def _decode(message: str | bytes) -> str:
    if isinstance(message, str):
        return message
    try:
        return message.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NoteError("note is not valid UTF-8") from exc


def parse_note(message: str | bytes) -> Note:
    """Split a signed note into text and signature lines, rejecting any malformed part."""
    message = _decode(message)
    _check_form(message, "signed note")
    split = message.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    block = message[split + 2 :]
    if not block:
        raise NoteError("note has no signature lines")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has {len(lines)} signatures, more than {MAX_SIGNATURES}")
    return Note(message[: split + 1], tuple(_parse_signature_line(line) for line in lines))


def _parse_signature_line(line: str) -> Signature:
    if not line.startswith(_DASH):
        raise NoteError(f"signature line {line[:40]!r} does not start with '— '")
    name, _, blob = line[len(_DASH) :].partition(" ")
    _checked_name(name)
    raw = b64decode_canonical(blob)
    if raw is None or len(raw) < 5:
        raise NoteError(f"signature by {name!r} is not canonical base64 of key ID + signature")
    return Signature(name, raw[:4], raw[4:])


def open_note(message: str | bytes, verifiers: Iterable[NoteVerifier]) -> VerifiedNote:
    """Parse a signed note and verify it against the known keys in ``verifiers``.

    Raises :class:`~plaudit.ledger.errors.NoteError` if the note is malformed, if a
    known key's signature is invalid, if two known keys share a name and key ID and one of
    them is needed, or if no known key signed the note.
    """
    note = parse_note(message)
    known: dict[tuple[str, bytes], list[NoteVerifier]] = {}
    for verifier in verifiers:
        known.setdefault((verifier.name, verifier.key_id), []).append(verifier)
    text = note.text.encode()
    verified: list[Signature] = []
    unverified: list[Signature] = []
    for signature in dict.fromkeys(note.signatures):  # identical lines count once
        candidates = known.get((signature.name, signature.key_id), [])
        if not candidates:
            unverified.append(signature)
            continue
        if len(candidates) > 1:
            raise NoteError(f"ambiguous key {signature.key_label}: configured more than once")
        if not candidates[0].verify(text, signature.signature):
            raise NoteError(f"invalid signature for key {signature.key_label}")
        verified.append(signature)
    if not verified:
        raise NoteError("note has no verifiable signatures")
    return VerifiedNote(note.text, tuple(verified), tuple(unverified))
