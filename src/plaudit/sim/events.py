"""Interactions as columns of NumPy arrays, before they become `BulkItem`s.

The generator works on millions of events a day; as arrays they cost about 30 bytes each and
every step is vectorised. Only the chunk about to be yielded is turned into Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from plaudit.interactions.bulk_model import KINDS

__all__ = ["COMMENT", "FOLLOW", "LIKE", "SHARE", "UNFOLLOW", "UNLIKE", "Events"]

LIKE, UNLIKE, COMMENT, FOLLOW, UNFOLLOW, SHARE = (
    KINDS.index(k) for k in ("like", "unlike", "comment", "follow", "unfollow", "share")
)


@dataclass(frozen=True)
class Events:
    """`t` epoch seconds; `kind` an index into KINDS; `target` a video id, or a creator's
    account id for follows; `extra` the comment body or share channel index, else 0."""

    t: NDArray[np.int64]
    kind: NDArray[np.int8]
    account: NDArray[np.int64]
    target: NDArray[np.int64]
    extra: NDArray[np.int32]

    @classmethod
    def of(
        cls,
        kind: int,
        t: NDArray[np.int64],
        account: NDArray[np.int64],
        target: NDArray[np.int64],
        extra: NDArray[np.int32] | None = None,
    ) -> Events:
        """Events of one kind; all arrays have the same length."""
        n = len(t)
        return cls(
            t.astype(np.int64),
            np.full(n, kind, dtype=np.int8),
            account.astype(np.int64),
            target.astype(np.int64),
            np.zeros(n, dtype=np.int32) if extra is None else extra.astype(np.int32),
        )

    @classmethod
    def empty(cls) -> Events:
        none = np.zeros(0, dtype=np.int64)
        return cls.of(0, none, none, none)

    @classmethod
    def concat(cls, parts: list[Events]) -> Events:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))

    def __len__(self) -> int:
        return len(self.t)

    def take(self, index: NDArray[np.bool_] | NDArray[np.intp] | slice) -> Events:
        return Events(*(getattr(self, f)[index] for f in _FIELDS))

    def in_time_order(self) -> Events:
        """Sorted by time; ties keep their current order, so a batch stays reproducible."""
        return self.take(np.argsort(self.t, kind="stable"))


_FIELDS = ("t", "kind", "account", "target", "extra")
