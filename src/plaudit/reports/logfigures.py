"""The figures the public log determines, computed from its entries alone.

Both the report builder and ``plaudit report verify`` run :class:`LogFigures` over the
first ``size`` entries of the log (``size`` = the report's checkpoint), so anyone holding
the log reaches the same numbers. Each rule is written out in docs/transparency.md:

* a like is keyed by (video, account commitment), as the audit pairs them
  (docs/ledger-format.md); an UNLIKE ends it and its revocation;
* "in the period" means the entry's own time lies in ``[start, end)``;
* the like-to-revocation time is the REVOKE's time minus the time of the like it
  revokes, in whole seconds (floored); median and p90 use the nearest-rank rule.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from plaudit.ledger.entries import EntryFormatError, Kind, decode_entry
from plaudit.reports.period import Period

__all__ = ["LogFigures", "nearest_rank"]


def nearest_rank(values: list[int], percent: int) -> int | None:
    """The nearest-rank percentile: the smallest value with at least ``percent``% at or below."""
    if not values:
        return None
    ordered = sorted(values)
    rank = -(-percent * len(ordered) // 100)  # ceil(percent/100 * n)
    return ordered[max(rank, 1) - 1]


@dataclass
class LogFigures:
    """A running tally of the period's figures over entries fed in log order."""

    period: Period
    size: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    incentivised_by_campaign: Counter[str] = field(default_factory=Counter)
    revoked_by_verdict: Counter[str] = field(default_factory=Counter)
    reinstated_by_verdict: Counter[str] = field(default_factory=Counter)
    delays_s: list[int] = field(default_factory=list)
    malformed: int = 0
    _active: dict[tuple[int, bytes], tuple[int, str]] = field(default_factory=dict)
    _revoked: set[tuple[int, bytes]] = field(default_factory=set)

    def add(self, entries: list[bytes]) -> None:
        """Feed the next entries of the log, in order."""
        for data in entries:
            self.size += 1
            try:
                entry = decode_entry(data)
            except EntryFormatError:
                self.malformed += 1
                continue
            self._count(entry.kind, entry.time_us, entry.target_id, entry.account, entry.source)

    def _count(self, kind: Kind, time_us: int, target: int, account: bytes, source: str) -> None:
        key = (target, account)
        inside = self.period.contains_us(time_us)
        if inside:
            self.by_kind[kind.name.lower()] += 1
        if kind == Kind.LIKE:
            self._active[key] = (time_us, source)
            self._revoked.discard(key)
            if inside and source.startswith("campaign:"):
                self.incentivised_by_campaign[source.removeprefix("campaign:")] += 1
        elif kind == Kind.UNLIKE:
            self._active.pop(key, None)
            self._revoked.discard(key)
        elif kind == Kind.REVOKE and key in self._active and key not in self._revoked:
            self._revoked.add(key)
            if inside:
                self.revoked_by_verdict[source.removeprefix("verdict:")] += 1
                self.delays_s.append((time_us - self._active[key][0]) // 1_000_000)
        elif kind == Kind.REINSTATE and key in self._revoked:
            self._revoked.discard(key)
            if inside:
                self.reinstated_by_verdict[source.removeprefix("verdict:")] += 1

    def state_of_period_likes(self) -> dict[str, int]:
        """Likes made in the period and still liked at the checkpoint, by status there."""
        active = revoked = 0
        for key, (time_us, _source) in self._active.items():
            if self.period.contains_us(time_us):
                active += 1
                revoked += key in self._revoked
        return {"active": active, "revoked": revoked, "authentic_or_held": active - revoked}

    def figures(self) -> dict[str, Any]:
        """Every log-determined figure, by key (the keys of report.json)."""
        kinds = {kind.name.lower(): self.by_kind.get(kind.name.lower(), 0) for kind in Kind}
        return {
            "interactions_by_kind": kinds,
            "period_likes_at_checkpoint": self.state_of_period_likes(),
            "revocations": sum(self.revoked_by_verdict.values()),
            "revocations_by_verdict": dict(sorted(self.revoked_by_verdict.items())),
            "reinstatements": sum(self.reinstated_by_verdict.values()),
            "like_to_revocation_s": {
                "count": len(self.delays_s),
                "median": nearest_rank(self.delays_s, 50),
                "p90": nearest_rank(self.delays_s, 90),
            },
            "incentivised_likes": sum(self.incentivised_by_campaign.values()),
            "incentivised_likes_by_campaign": dict(sorted(self.incentivised_by_campaign.items())),
            "malformed_entries": self.malformed,
        }
