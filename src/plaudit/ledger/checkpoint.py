"""C2SP tlog-checkpoint: the signed tree head of a transparency log.

A checkpoint is a signed note whose text is (c2sp.org/tlog-checkpoint, "Note text"):

1. the origin, a non-empty line naming the log;
2. the tree size in ASCII decimal without leading zeros;
3. the base64 RFC 6962 root hash of the tree at that size;
4. optional, non-empty extension lines (not recommended: monitors cannot audit them).

Parsing is strict, so that a checkpoint has exactly one spelling: two logs' checkpoints
for the same tree compare equal as text, and witnesses see what monitors see.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from plaudit.ledger.errors import CheckpointError
from plaudit.ledger.keys import NoteSigner, NoteVerifier, b64decode_canonical
from plaudit.ledger.merkle import HASH_SIZE
from plaudit.ledger.note import open_note, sign_note

__all__ = [
    "Checkpoint",
    "open_checkpoint",
    "parse_checkpoint",
    "sign_checkpoint",
]

_MAX_SIZE = (1 << 64) - 1
_DECIMAL = re.compile(r"0|[1-9][0-9]*", re.ASCII)


def _check_line(line: str, what: str) -> None:
    if not line:
        raise CheckpointError(f"checkpoint {what} is empty")
    if any(char < " " for char in line):
        raise CheckpointError(f"checkpoint {what} contains a control character")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's tree head: origin, tree size, root hash and any extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "origin")
        if not 0 <= self.size <= _MAX_SIZE:
            raise CheckpointError(f"checkpoint size {self.size} is not a uint64")
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointError(f"checkpoint root hash is not {HASH_SIZE} bytes")
        for extension in self.extensions:
            _check_line(extension, "extension line")

    def text(self) -> str:
        """The note text to sign: one line per field, each ending in a newline."""
        root = base64.b64encode(self.root_hash).decode()
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse checkpoint note text (signatures already removed), rejecting any deviation."""
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError(f"checkpoint needs origin, size and root lines, got {len(lines)}")
    origin, size_line, root_line, *extensions = lines
    if not _DECIMAL.fullmatch(size_line):
        raise CheckpointError(f"checkpoint size {size_line!r} is not decimal w/o leading zeros")
    root = b64decode_canonical(root_line)
    if root is None or len(root) != HASH_SIZE:
        raise CheckpointError(f"checkpoint root {root_line!r} is not base64 of 32 bytes")
    return Checkpoint(origin, int(size_line), root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signers: Sequence[NoteSigner]) -> str:
    """The signed checkpoint note. The log's key name should equal the origin line."""
    return sign_note(checkpoint.text(), signers)


def open_checkpoint(
    signed: str | bytes, verifiers: Iterable[NoteVerifier], *, origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint against known keys and parse it.

    Raises :class:`~plaudit.ledger.errors.NoteError` when the note is malformed or not
    signed by a known key, and :class:`~plaudit.ledger.errors.CheckpointError` when the
    text is not a checkpoint or, given ``origin``, is some other log's checkpoint.
    """
    checkpoint = parse_checkpoint(open_note(signed, verifiers).text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint is for {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint
