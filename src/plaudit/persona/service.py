"""`platform.persona`: segment questions over the current tag index, for the API and others.

The index is loaded from `DATA_DIR/persona/` on first use and loaded again when a refresh has
swapped in a new one (the manifest file changed), so a long-running server follows
`plaudit persona refresh` without a restart. Every caller-facing answer is an aggregate with
the privacy floor applied; `contains` and `size` are exact and for internal use only (a
campaign deciding whether an account is in its audience, say). Exact counts for operators go
through `exact_count`, which appends each access to `DATA_DIR/persona-access.log`.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyroaring import BitMap

from plaudit.config import Settings
from plaudit.persona.audience import Audience, Privacy
from plaudit.persona.index import TagIndex, index_dir
from plaudit.persona.saved import SavedSegment, SavedSegments
from plaudit.store import Database

__all__ = ["ACCESS_LOG", "PersonaService"]

ACCESS_LOG = "persona-access.log"


class PersonaService:
    """Audience counts, insights, overlaps, lookalikes and fan bases for one Plaudit."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.data_path = settings.data_path
        self.privacy = Privacy(k=settings.privacy_k, epsilon=settings.dp_epsilon)
        self.saved = SavedSegments(self.data_path)
        self._index: TagIndex | None = None
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()

    # ---- the index ---------------------------------------------------------------------

    def index(self) -> TagIndex:
        """The current index, loaded again if a refresh replaced it since the last call."""
        stamp = self._manifest_stamp()
        if self._index is not None and (stamp is None or stamp == self._stamp):
            return self._index  # stamp None: mid-swap; keep answering from the loaded one
        with self._lock:
            if self._index is None or stamp != self._stamp:
                self._index = self._load()
                self._stamp = stamp
            return self._index

    def _manifest_stamp(self) -> tuple[int, int] | None:
        try:
            info = (index_dir(self.data_path) / "manifest.json").stat()
        except FileNotFoundError:
            return None
        return info.st_ino, info.st_mtime_ns

    def _load(self) -> TagIndex:
        for _attempt in range(3):  # a refresh swapping directories mid-load: read again
            try:
                return TagIndex.load(self.data_path)
            except FileNotFoundError:
                continue
        return TagIndex.load(self.data_path)

    def audience(self, owner: int | None = None) -> Audience:
        """An Audience over the current index that resolves the saved segments `owner` may
        use (None: all of them)."""
        return Audience(self.index(), self.privacy, self.saved.for_owner(owner))

    # ---- exact, internal ---------------------------------------------------------------

    def contains(self, expression: str, account_id: int) -> bool:
        """Whether the account is in the segment (internal use: never shown to brands)."""
        return self.audience().contains(expression, account_id)

    def size(self, expression: str) -> int:
        """The exact size of the segment (internal use)."""
        return self.audience().size(expression)

    def exact_count(self, expression: str, operator: str, owner: int | None = None) -> int:
        """An operator's exact count; the access is logged before the answer is given."""
        n = self.audience(owner).size(expression)
        self._log_access("exact-count", expression, operator)
        return n

    def _log_access(self, action: str, expression: str, operator: str) -> None:
        line = {
            "at": datetime.now(UTC).isoformat(),
            "operator": operator,
            "action": action,
            "expr": expression,
        }
        path: Path = self.data_path / ACCESS_LOG
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")

    # ---- aggregates --------------------------------------------------------------------

    def count(self, expression: str, owner: int | None = None) -> dict[str, Any]:
        """The segment's size, suppressed below k."""
        return self.audience(owner).count(expression)

    def insights(self, expression: str, owner: int | None = None) -> dict[str, Any]:
        return self.audience(owner).insights(expression)

    def overlap(self, expressions: list[str], owner: int | None = None) -> dict[str, Any]:
        return self.audience(owner).overlap(expressions)

    def fans(self, creator_id: int) -> BitMap:
        """A creator's followers who allow targeting (internal use)."""
        return self.audience().fans(self.db, creator_id)

    def fan_base(self, creator_id: int) -> dict[str, Any]:
        return self.audience().fan_base(self.db, creator_id)

    def lookalike(
        self,
        size: int,
        *,
        expression: str | None = None,
        creator_id: int | None = None,
        owner: int | None = None,
        save_as: str | None = None,
    ) -> dict[str, Any]:
        """Expand a seed (an expression or a creator's fans) to `size` similar accounts.

        The answer describes the audience (size, method, driving tags); with `save_as` the
        members are saved as that segment for the owner to use by name, never to read.
        """
        audience = self.audience(owner)
        if creator_id is not None:
            seed, label = audience.fans(self.db, creator_id), f"fans of creator {creator_id}"
        else:
            assert expression is not None, "a lookalike needs an expression or a creator"
            seed, label = audience.select(expression), expression
        members, about = audience.lookalike(seed, size, label)
        if save_as is not None:
            saved = self.saved.for_owner(owner).save_audience(
                save_as, members, f"lookalike of {label}, {size} accounts"
            )
            about["saved_as"] = saved.name
        return about

    # ---- saved segments ----------------------------------------------------------------

    def save_segment(self, name: str, expression: str, owner: int | None) -> SavedSegment:
        """Save an expression; an existing name is a conflict (names are not reused)."""
        return self.saved.for_owner(owner).save(name, expression, replace=False)

    def saved_segments(self, owner: int | None) -> list[SavedSegment]:
        return self.saved.for_owner(owner).entries()

    def saved_segment(self, name: str, owner: int | None) -> SavedSegment:
        return self.saved.for_owner(owner).entry(name)
