"""The lake's hashing key: made at the first export into the data directory (mode 0600).

Devices and networks appear in the lake as HMAC-SHA256 under this key, so batch jobs can
group by them while the lake, copied to a cluster or a bucket, reveals neither. Deleting the
key makes the hashes of every export so far unlinkable to new ones (rotate it on a schedule
if that is wanted; the detectors only compare hashes within one scan).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["KEY_FILE", "load_or_create_lake_key"]

KEY_FILE = "lake-hash.key"


def load_or_create_lake_key(data_dir: Path) -> bytes:
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        key = os.urandom(32)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key)
        return key
    return path.read_bytes()
