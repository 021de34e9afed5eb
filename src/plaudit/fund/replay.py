"""Replaying the ledger for a fund period: which entries still stand at the period's close.

Only what entries show in clear is used here: kind, time, target, source and the
per-(account, target) commitment. Entries at or after the period's `through_seq` are
ignored (closing read the store up to there). Pairing follows the ledger audit: an unlike
removes the active like with the same (video, commitment), an unfollow the active follow,
a REVOKE marks the active like with the same (video, commitment) revoked and a REINSTATE
gives it back (docs/fund.md; the interface agreed with the authenticity engineer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from plaudit.ledger.entries import Entry, EntryFormatError, Kind, decode_entry

__all__ = ["Replay", "Standing", "time_us_of"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COUNTED = {Kind.LIKE: "like", Kind.COMMENT: "comment", Kind.SHARE: "share", Kind.FOLLOW: "follow"}


def time_us_of(value: datetime) -> int:
    """UTC microseconds since the epoch, computed exactly (no float)."""
    return (value - _EPOCH) // timedelta(microseconds=1)


class Standing(NamedTuple):
    """A like, comment, share or follow of the period that still stands at the close."""

    seq: int  # the ledger index, which is the event seq
    kind: str
    entry: Entry
    revoked: bool

    @property
    def at(self) -> datetime:
        return _EPOCH + timedelta(microseconds=self.entry.time_us)


@dataclass
class Replay:
    """Fed entries in log order (the `on_entries` hook of verify_log)."""

    starts_us: int
    ends_us: int
    through_seq: int
    entries: dict[int, Entry] = field(default_factory=dict)
    likes: dict[tuple[int, bytes], int] = field(default_factory=dict)
    follows: dict[tuple[int, bytes], int] = field(default_factory=dict)
    revoked: set[int] = field(default_factory=set)
    others: list[int] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)

    def add(self, first: int, data: list[bytes]) -> None:
        for offset, raw in enumerate(data):
            index = first + offset
            if index >= self.through_seq:
                return
            try:
                entry = decode_entry(raw)
            except EntryFormatError:
                continue  # verify_log reports malformed entries and fails
            self._apply(index, entry)

    def _in_period(self, entry: Entry) -> bool:
        return self.starts_us <= entry.time_us < self.ends_us

    def _apply(self, index: int, entry: Entry) -> None:
        key = (entry.target_id, entry.account)
        if entry.kind == Kind.LIKE:
            self._keep(index, entry, self.likes, key)
        elif entry.kind == Kind.FOLLOW:
            self._keep(index, entry, self.follows, key)
        elif entry.kind in (Kind.UNLIKE, Kind.UNFOLLOW):
            active = self.likes if entry.kind == Kind.UNLIKE else self.follows
            self.revoked.discard(active.pop(key, -1))
        elif entry.kind in (Kind.REVOKE, Kind.REINSTATE):
            self._judge(index, entry, key)
        elif entry.kind in (Kind.COMMENT, Kind.SHARE) and self._in_period(entry):
            self.entries[index] = entry
            self.others.append(index)

    def _keep(
        self, index: int, entry: Entry, active: dict[tuple[int, bytes], int], key: tuple[int, bytes]
    ) -> None:
        active[key] = index
        if self._in_period(entry):
            self.entries[index] = entry

    def _judge(self, index: int, entry: Entry, key: tuple[int, bytes]) -> None:
        like = self.likes.get(key)
        if like is None:
            self.anomalies.append(
                f"entry {index}: a {entry.kind.name.lower()} of video {entry.target_id} "
                "pairs with no active like"
            )
        elif entry.kind == Kind.REVOKE:
            self.revoked.add(like)
        else:
            self.revoked.discard(like)

    def standing(self) -> list[Standing]:
        """What still stands at through_seq, in log order."""
        indexes = [i for i in self.likes.values() if i in self.entries]
        indexes += [i for i in self.follows.values() if i in self.entries]
        indexes += self.others
        return [
            Standing(i, _COUNTED[self.entries[i].kind], self.entries[i], i in self.revoked)
            for i in sorted(indexes)
        ]
