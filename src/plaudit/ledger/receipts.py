"""Receipts: a like's entry, its openings and its inclusion proof, in one offline file.

The file is a c2sp.org/tlog-proof (`.tlog-proof`): the header line, an `extra` line, the
entry's index, the inclusion proof hashes, an empty line and the signed checkpoint with any
cosignatures. Its `extra` is base64 of a JSON object:

    {"format": "plaudit-receipt/v1", "entry": <base64 entry bytes>,
     "openings": {"account_id": N, "account": <base64>,
                  "device": null | {"opening": <base64>, "device_id": .., "user_agent": ..,
                                    "ip_prefix": ..}}}

so a verifier can recompute the account and device commitments and check that the entry,
whose leaf hash the proof includes, carries them.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from plaudit.ledger.errors import LedgerError

__all__ = ["HEADER", "Openings", "Receipt", "ReceiptFormatError", "format_receipt", "parse_receipt"]

HEADER = "c2sp.org/tlog-proof@v1"
FORMAT = "plaudit-receipt/v1"


class ReceiptFormatError(LedgerError):
    """The file is not a Plaudit receipt: the message says which line or field is wrong."""

    status = 500
    type = "receipt-format"
    title = "Malformed receipt"


@dataclass(frozen=True)
class Openings:
    """What opens an entry's commitments: held by the account's owner, never in the log."""

    account_id: int
    account: bytes
    device: bytes | None
    device_key: str
    user_agent: str
    ip_prefix: str


@dataclass(frozen=True)
class Receipt:
    index: int
    proof: list[bytes]
    checkpoint: str
    entry: bytes
    openings: Openings


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise ReceiptFormatError(f"{what} must be a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ReceiptFormatError(f"{what} is not valid base64") from None


def format_receipt(
    index: int, proof: list[bytes], checkpoint: str, entry: bytes, openings: Openings
) -> str:
    device = None
    if openings.device is not None:
        device = {
            "opening": _b64(openings.device),
            "device_id": openings.device_key,
            "user_agent": openings.user_agent,
            "ip_prefix": openings.ip_prefix,
        }
    extra = {
        "format": FORMAT,
        "entry": _b64(entry),
        "openings": {
            "account_id": openings.account_id,
            "account": _b64(openings.account),
            "device": device,
        },
    }
    encoded = _b64(json.dumps(extra, separators=(",", ":"), sort_keys=True).encode())
    lines = [HEADER, f"extra {encoded}", f"index {index}", *(_b64(h) for h in proof), ""]
    return "\n".join(lines) + "\n" + checkpoint


def _openings(data: Any) -> Openings:
    if not isinstance(data, dict) or not isinstance(data.get("account_id"), int):
        raise ReceiptFormatError("openings must hold an integer account_id")
    device = data.get("device")
    if device is None:
        return Openings(
            data["account_id"], _unb64(data.get("account"), "account opening"), None, "", "", ""
        )
    if not isinstance(device, dict):
        raise ReceiptFormatError("openings.device must be an object or null")
    texts = [device.get(k) for k in ("device_id", "user_agent", "ip_prefix")]
    key, agent, prefix = (t if isinstance(t, str) else None for t in texts)
    if key is None or agent is None or prefix is None:
        raise ReceiptFormatError("device_id, user_agent and ip_prefix must be strings")
    return Openings(
        data["account_id"],
        _unb64(data.get("account"), "account opening"),
        _unb64(device.get("opening"), "device opening"),
        key,
        agent,
        prefix,
    )


def parse_receipt(text: str) -> Receipt:
    """Parse a receipt file strictly; a malformed file raises ReceiptFormatError."""
    head, sep, checkpoint = text.partition("\n\n")
    if not sep:
        raise ReceiptFormatError("no empty line between the proof and the checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise ReceiptFormatError(f"first line must be {HEADER!r}")
    if len(lines) < 3 or not lines[1].startswith("extra ") or not lines[2].startswith("index "):
        raise ReceiptFormatError("lines 2 and 3 must be 'extra <base64>' and 'index <N>'")
    try:
        extra = json.loads(_unb64(lines[1][6:], "extra"))
        index = int(lines[2][6:])
    except (ValueError, UnicodeDecodeError):
        raise ReceiptFormatError("extra must be base64 JSON and index a decimal") from None
    if not isinstance(extra, dict) or extra.get("format") != FORMAT:
        raise ReceiptFormatError(f"extra is not a {FORMAT} object")
    proof = [_unb64(line, f"proof hash {i}") for i, line in enumerate(lines[3:])]
    return Receipt(
        index,
        proof,
        checkpoint,
        _unb64(extra.get("entry"), "entry"),
        _openings(extra.get("openings")),
    )
