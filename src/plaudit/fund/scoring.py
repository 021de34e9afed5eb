"""Quality-weighted authentic interactions per creator: the pure core that compute and verify
share (both feed it the same kind of records, from the store or from the ledger).

Diminishing returns: for each (fan, creator, UTC day), the weights of the fan's counted
interactions are sorted from largest to smallest and the n-th counts weight/n for
n <= daily_cap, nothing after. One fan can therefore add at most
max_weight * H(daily_cap) points per creator per day (H(8) ~ 2.72) however much it
clicks: farming a creator's share needs many accounts, which is what the authenticity
detectors look for. Sorting first makes the result independent of the order of the day's
interactions. Scores are integers in units of 1/lcm(1..daily_cap) point (Rule).

Excluded: interactions of a creator with their own videos (self-dealing), revoked likes,
likes still held (pending), and incentivised interactions (source `campaign:<id>`): the
brand already rewarded them, and paying the creator again from the fund would make a
campaign a way to buy fund share.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import NamedTuple

from plaudit.fund.rules import Rule

__all__ = [
    "CAMPAIGN_PREFIX",
    "CreatorScore",
    "Interaction",
    "diminishing_units",
    "score_creators",
]

CAMPAIGN_PREFIX = "campaign:"
AUTHENTIC, REVOKED, PENDING = "authentic", "revoked", "pending"
_COUNT_FIELDS = {"like": "likes", "comment": "comments", "share": "shares", "follow": "follows"}


class Interaction(NamedTuple):
    """One like, comment, share or follow that happened in the period and still stands.

    `status` is authentic, revoked or pending (likes only: held by a real-time rule). A
    NamedTuple: a period has one per interaction, and closing builds them by the million.
    """

    kind: str
    fan_id: int
    creator_id: int
    at: datetime
    source: str
    status: str = AUTHENTIC


@dataclass
class CreatorScore:
    """The figures behind a creator's payout."""

    creator_id: int
    likes: int = 0
    comments: int = 0
    shares: int = 0
    follows: int = 0
    fans: int = 0
    excluded_revoked: int = 0
    excluded_incentivised: int = 0
    excluded_pending: int = 0
    score_units: int = 0


def diminishing_units(weights: Iterable[int], rule: Rule) -> int:
    """Units of one fan-day group: the n-th largest weight counts weight/n, n <= daily_cap."""
    per_point = rule.units_per_point
    ranked = sorted(weights, reverse=True)[: rule.daily_cap]
    return sum(weight * per_point // n for n, weight in enumerate(ranked, start=1))


def _excluded(score: CreatorScore, item: Interaction) -> bool:
    if item.source.startswith(CAMPAIGN_PREFIX):
        score.excluded_incentivised += 1
    elif item.status == REVOKED:
        score.excluded_revoked += 1
    elif item.status == PENDING:
        score.excluded_pending += 1
    else:
        return False
    return True


def score_creators(interactions: Iterable[Interaction], rule: Rule) -> dict[int, CreatorScore]:
    """Every creator with at least one interaction (counted or excluded), by creator id."""
    scores: dict[int, CreatorScore] = {}
    groups: dict[tuple[int, int, date], list[int]] = defaultdict(list)
    for item in interactions:
        if item.fan_id == item.creator_id:
            continue
        score = scores.setdefault(item.creator_id, CreatorScore(item.creator_id))
        if _excluded(score, item):
            continue
        field = _COUNT_FIELDS[item.kind]
        setattr(score, field, getattr(score, field) + 1)
        groups[(item.creator_id, item.fan_id, item.at.astimezone(UTC).date())].append(
            rule.weight(item.kind)
        )
    fans: dict[int, set[int]] = defaultdict(set)
    for (creator_id, fan_id, _day), weights in groups.items():
        scores[creator_id].score_units += diminishing_units(weights, rule)
        fans[creator_id].add(fan_id)
    for creator_id, members in fans.items():
        scores[creator_id].fans = len(members)
    return scores
