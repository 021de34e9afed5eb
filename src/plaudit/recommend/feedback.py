"""Implicit feedback: which account liked which video (and when), indexed for the models.

`Feedback` holds the raw pairs with the platform's ids; `Indexed` maps them onto dense row
(account) and column (video) numbers, the shape every model and metric works on. Pairs are
unique: an account liked a video or it did not (the first time counts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from plaudit.errors import InvalidInput

__all__ = ["Feedback", "Indexed", "ItemCategories"]

Ints = NDArray[np.int64]


@dataclass(frozen=True)
class Feedback:
    """(account, video[, ts]) pairs with the platform's ids; `ts` is seconds or None."""

    accounts: Ints
    videos: Ints
    ts: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        if len(self.accounts) != len(self.videos) or (
            self.ts is not None and len(self.ts) != len(self.accounts)
        ):
            raise InvalidInput("accounts, videos and ts must have the same length")

    def __len__(self) -> int:
        return len(self.accounts)

    def index(self) -> Indexed:
        """Dense numbers for accounts and videos; duplicate pairs keep their first time."""
        if len(self) == 0:
            raise InvalidInput("there are no likes to learn from: the input is empty")
        account_ids, users = np.unique(self.accounts, return_inverse=True)
        video_ids, items = np.unique(self.videos, return_inverse=True)
        order = np.argsort(self.ts, kind="stable") if self.ts is not None else np.arange(len(self))
        key = users[order].astype(np.int64) * len(video_ids) + items[order]
        _, first = np.unique(key, return_index=True)
        keep = np.sort(order[first])
        ts = self.ts[keep] if self.ts is not None else None
        return Indexed(
            account_ids.astype(np.int64),
            video_ids.astype(np.int64),
            users[keep].astype(np.int32),
            items[keep].astype(np.int32),
            ts,
        )


@dataclass(frozen=True)
class Indexed:
    """Unique pairs as (user, item) numbers; `account_ids[user]` and `video_ids[item]` map
    back to the platform's ids."""

    account_ids: Ints
    video_ids: Ints
    users: NDArray[np.int32]
    items: NDArray[np.int32]
    ts: NDArray[np.float64] | None

    @property
    def n_users(self) -> int:
        return len(self.account_ids)

    @property
    def n_items(self) -> int:
        return len(self.video_ids)

    def matrix(self, rows: NDArray[np.int64] | None = None) -> sp.csr_matrix:
        """The binary user x item matrix of all pairs, or of the pairs numbered `rows`."""
        users = self.users if rows is None else self.users[rows]
        items = self.items if rows is None else self.items[rows]
        data = np.ones(len(users), dtype=np.float32)
        shape = (self.n_users, self.n_items)
        matrix = sp.csr_matrix((data, (users, items)), shape=shape, dtype=np.float32)
        matrix.sum_duplicates()
        matrix.data[:] = 1.0
        return matrix


@dataclass(frozen=True)
class ItemCategories:
    """Each video's category number (0..n-1), for the engine's category affinity."""

    video_ids: Ints
    categories: NDArray[np.int16]

    def of(self, video_ids: Ints) -> NDArray[np.int16]:
        """Category numbers of `video_ids`, -1 for videos not listed."""
        order = np.argsort(self.video_ids)
        known = self.video_ids[order]
        at = np.clip(np.searchsorted(known, video_ids), 0, max(len(known) - 1, 0))
        found = (
            (len(known) > 0) & (known[at] == video_ids)
            if len(known)
            else np.zeros(len(video_ids), dtype=bool)
        )
        return np.where(found, self.categories[order][at], -1).astype(np.int16)
