"""The interaction quality score: authentic engagement relative to reach (docs/fund.md).

Plaudit records no views, so "reach" here is what the platform can observe: the number of
distinct accounts that interacted at all (liked, commented or shared; revoked and held likes
included, the creator excluded). The score is

    quality = 100 * W / R * (1 - r)

* W: the authentic weighted points: likes that stand, are not revoked and not held,
  comments and shares, weighted like the creator fund (like 1, comment 3, share 5) with the
  fund's diminishing returns per account per UTC day, so one hyperactive account cannot
  lift it;
* R: reach as above;
* r: the revoked share, revoked likes / standing likes; it is already missing from W and is
  applied once more as a penalty, since a video or campaign that attracts fake likes is
  worth less to a brand than its authentic count alone says.

An audience in which every account left one authentic like scores 100; comments and shares
lift it above 100, fakes pull it down. Exact fractions throughout, rounded once at the end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from fractions import Fraction

from plaudit.fund import Rule, diminishing_units

__all__ = ["QualityScore", "Record", "quality_of"]

Record = tuple[str, int, int, datetime, bool, bool]
"""(kind, account, creator, at, revoked, pending), as `store.fund.quality_rows` returns."""

_RULE = Rule()


@dataclass(frozen=True)
class QualityScore:
    """A quality score with the figures behind it; `suppressed` hides small audiences."""

    subject: str
    subject_id: int
    reach: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    revoked: int | None
    pending: int | None
    weighted_points: float | None
    revoked_share: float | None
    score: float | None
    suppressed: bool = False


@dataclass
class _Tally:
    reach: set[int]
    counts: dict[str, int]
    groups: dict[tuple[int, date], list[int]]


def _tally(records: Iterable[Record]) -> _Tally:
    tally = _Tally(set(), defaultdict(int), defaultdict(list))
    for kind, account, creator, at, revoked, pending in records:
        if account == creator:
            continue
        tally.reach.add(account)
        status = "revoked" if revoked else "pending" if pending else kind
        tally.counts[status] += 1
        if status == kind:
            tally.groups[(account, at.astimezone(UTC).date())].append(_RULE.weight(kind))
    return tally


def _suppressed(subject: str, subject_id: int) -> QualityScore:
    hidden = None
    return QualityScore(
        subject,
        subject_id,
        hidden,
        hidden,
        hidden,
        hidden,
        hidden,
        hidden,
        hidden,
        hidden,
        hidden,
        suppressed=True,
    )


def quality_of(subject: str, subject_id: int, records: Iterable[Record], k: int) -> QualityScore:
    """The score of these records; everything but the subject is hidden when reach < k."""
    tally = _tally(records)
    reach = len(tally.reach)
    if reach < k:
        return _suppressed(subject, subject_id)
    units = sum(diminishing_units(w, _RULE) for w in tally.groups.values())
    points = Fraction(units, _RULE.units_per_point)
    counts = tally.counts
    standing_likes = counts["like"] + counts["revoked"] + counts["pending"]
    revoked_share = Fraction(counts["revoked"], standing_likes) if standing_likes else Fraction(0)
    score = 100 * points / reach * (1 - revoked_share) if reach else Fraction(0)
    return QualityScore(
        subject,
        subject_id,
        reach,
        counts["like"],
        counts["comment"],
        counts["share"],
        counts["revoked"],
        counts["pending"],
        round(float(points), 4),
        round(float(revoked_share), 4),
        round(float(score), 2),
    )
