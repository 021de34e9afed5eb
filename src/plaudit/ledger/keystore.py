"""The log's signing key: generated at first run into the data directory, never in the repo.

The key file holds the C2SP signed-note signer key string (`PRIVATE+KEY+<name>+<id>+<key>`),
mode 0600. Its name is the log's origin, as tlog-checkpoint recommends; if the configured
origin no longer matches the key, start-up fails with instructions (docs/ledger-format.md,
"Key rotation").
"""

from __future__ import annotations

import os
from pathlib import Path

from plaudit.errors import ConfigError
from plaudit.ledger.keys import Ed25519Signer, parse_signer_key

__all__ = ["KEY_FILE", "load_or_create_signer"]

KEY_FILE = "ledger-signer.key"


def load_or_create_signer(data_dir: Path, origin: str) -> Ed25519Signer:
    """The signer in `data_dir`, creating it (mode 0600) when there is none."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        signer = Ed25519Signer.generate(origin)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(signer.key_string + "\n")
        return signer
    signer = parse_signer_key(path.read_text().strip())
    if signer.name != origin:
        raise ConfigError(
            f"the ledger key in {path} signs for {signer.name!r} but ledger_origin is "
            f"{origin!r}; set ledger_origin back, or rotate the key as docs/ledger-format.md "
            "describes"
        )
    return signer
