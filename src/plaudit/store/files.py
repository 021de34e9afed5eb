"""The data directory is private: 0700, and every file in it 0600 (issue 17, item 10).

It holds the SQLite database (account secrets, profiles), the persona bitmaps, the ledger's
signing key and model artifacts: nothing another local user may read. `secure_data_dir`
runs before anything opens or creates a file there (Platform's constructor): it sets the
process umask to 077, so every file created afterwards (database, WAL, persona files, logs
redirected by the process) is born private, and tightens whatever an older version or an
operator left looser, with a warning per path so the operator knows it happened.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

__all__ = ["PRIVATE_DIR", "PRIVATE_FILE", "secure_data_dir"]

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
log = logging.getLogger(__name__)


def _tighten(path: Path, wanted: int) -> str | None:
    """Clear group and other bits of `path`; the warning when they were set."""
    mode = stat.S_IMODE(path.lstat().st_mode)
    if not mode & 0o077:
        return None
    os.chmod(path, mode & ~0o077 | (wanted & 0o700))
    return f"{path} was mode {mode:04o}; now {stat.S_IMODE(path.lstat().st_mode):04o}"


def secure_data_dir(data_path: Path) -> list[str]:
    """Create the data directory 0700, make its tree private, and return the warnings.

    Symbolic links are not followed (a link's target is the operator's business).
    """
    os.umask(0o077)
    data_path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    warnings = [_tighten(data_path, PRIVATE_DIR)]
    for root, dirs, files in os.walk(data_path):
        for name in dirs:
            if not (Path(root) / name).is_symlink():
                warnings.append(_tighten(Path(root) / name, PRIVATE_DIR))
        for name in files:
            path = Path(root) / name
            if not path.is_symlink():
                warnings.append(_tighten(path, PRIVATE_FILE))
    found = [w for w in warnings if w is not None]
    for warning in found:
        log.warning("data directory was readable by others: %s", warning)
    return found
