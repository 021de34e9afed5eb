"""The rule a creator-fund period pays by: weights per interaction kind and the daily cap.

A rule is stored with its period (table `fund_periods`), so changing the defaults here never
changes what a past period paid. Weights are small integers and the diminishing returns are
the harmonic series cut at `daily_cap`, so every score is an exact integer in units of
1/lcm(1..daily_cap) of a point (see docs/fund.md): no floats anywhere near money.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property, reduce

from plaudit.errors import InvalidInput

__all__ = ["KINDS", "MAX_DAILY_CAP", "MAX_WEIGHT", "Rule", "parse_weights"]

KINDS = ("like", "comment", "share", "follow")
MAX_WEIGHT = 100
# lcm(1..12) = 27,720 units per point: a fan-day adds at most 100 x H(12) x 27,720 < 9e6
# units, so even 10^12 fan-days stay inside a BIGINT score.
MAX_DAILY_CAP = 12


@dataclass(frozen=True)
class Rule:
    """Weights per kind (points) and how many interactions of one fan count per day.

    The defaults rank effort: a like is one tap, a follow is a lasting commitment, a comment
    takes writing, a share puts the sharer's own reputation behind the video.
    """

    like: int = 1
    comment: int = 3
    share: int = 5
    follow: int = 4
    daily_cap: int = 8

    def __post_init__(self) -> None:
        for kind in KINDS:
            weight = getattr(self, kind)
            if not 0 <= weight <= MAX_WEIGHT:
                raise InvalidInput(
                    f"the weight of {kind} is {weight}; use an integer from 0 to {MAX_WEIGHT}",
                    field="weights",
                )
        if not 1 <= self.daily_cap <= MAX_DAILY_CAP:
            raise InvalidInput(
                f"daily_cap is {self.daily_cap}; use an integer from 1 to {MAX_DAILY_CAP}",
                field="daily_cap",
            )

    def weight(self, kind: str) -> int:
        value: int = getattr(self, kind)
        return value

    @cached_property
    def units_per_point(self) -> int:
        """lcm(1..daily_cap): the n-th interaction's weight/n is a whole number of units."""
        return reduce(math.lcm, range(1, self.daily_cap + 1), 1)

    def weights_text(self) -> str:
        return ",".join(f"{kind}={self.weight(kind)}" for kind in KINDS)


def parse_weights(text: str, daily_cap: int = Rule.daily_cap) -> Rule:
    """`like=1,comment=3,share=5,follow=4` (kinds left out keep their default weight)."""
    values: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, sep, number = part.partition("=")
        kind = kind.strip()
        if not sep or kind not in KINDS:
            raise InvalidInput(
                f"weight {part!r} is not KIND=INTEGER with KIND one of {', '.join(KINDS)}",
                field="weights",
            )
        try:
            values[kind] = int(number)
        except ValueError:
            raise InvalidInput(
                f"the weight of {kind} is {number.strip()!r}; use a whole number", field="weights"
            ) from None
    return Rule(daily_cap=daily_cap, **values)
