"""The witness's own cosigning key and state file, in its own data directory.

The key is generated at first run with the OS random generator and written once
(``O_EXCL``, mode 0600) as ``PRIVATE+KEY+<name>+<hex id>+<base64(0x04 || seed)>``: the
signed-note signer form with the cosignature/v1 type byte, so it cannot be mistaken for a
log key. A witness key must never also sign as a log (tlog-cosignature).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from plaudit.errors import ConfigError
from plaudit.ledger.cosignature import SIG_TYPE_COSIGNATURE_V1, CosignatureSigner
from plaudit.ledger.keys import b64decode_canonical, check_key_name

__all__ = ["KEY_FILE", "STATE_FILE", "load_or_create_witness_key"]

KEY_FILE = "witness.key"
STATE_FILE = "witness-state.json"
_PREFIX = "PRIVATE+KEY+"


def _key_string(signer: CosignatureSigner) -> str:
    material = base64.b64encode(bytes([SIG_TYPE_COSIGNATURE_V1]) + signer.seed).decode()
    return f"{_PREFIX}{signer.name}+{signer.key_id.hex()}+{material}"


def _parse(text: str, path: Path) -> CosignatureSigner:
    name, _, rest = text.removeprefix(_PREFIX).partition("+")
    hex_id, _, material = rest.partition("+")
    raw = b64decode_canonical(material)
    if not text.startswith(_PREFIX) or raw is None or raw[:1] != b"\x04" or len(raw) != 33:
        raise ConfigError(f"{path} is not a witness key (PRIVATE+KEY+name+id+base64(0x04||seed))")
    signer = CosignatureSigner(name, raw[1:])
    if signer.key_id.hex() != hex_id:
        raise ConfigError(f"{path}: key ID {hex_id} does not match the key")
    return signer


def load_or_create_witness_key(data_dir: Path, name: str) -> CosignatureSigner:
    """The witness key in ``data_dir``, created (0600) on first run under ``name``."""
    check_key_name(name)
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        signer = CosignatureSigner(name, os.urandom(32))
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(_key_string(signer) + "\n")
        return signer
    signer = _parse(path.read_text(encoding="utf-8").strip(), path)
    if signer.name != name:
        raise ConfigError(
            f"the witness key in {path} is named {signer.name!r}, not {name!r}: a witness "
            "keeps its name; start it with --name " + signer.name
        )
    return signer
