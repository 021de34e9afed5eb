"""The creator fund (创作者基金): periods with a pool in fen, paid out in proportion to
quality-weighted authentic interactions, every payout reproducible from the ledger.

See docs/fund.md for the rule (weights, diminishing returns, exclusions), the rounding and
what `plaudit fund verify` checks.
"""

from __future__ import annotations

from plaudit.fund.compute import Computation
from plaudit.fund.model import Period, PeriodTotals, Statement
from plaudit.fund.money import largest_remainder
from plaudit.fund.rules import KINDS, Rule, parse_weights
from plaudit.fund.scoring import CreatorScore, Interaction, diminishing_units, score_creators
from plaudit.fund.service import FundService
from plaudit.fund.verify import VerifyReport, verify_period

__all__ = [
    "KINDS",
    "Computation",
    "CreatorScore",
    "FundService",
    "Interaction",
    "Period",
    "PeriodTotals",
    "Rule",
    "Statement",
    "VerifyReport",
    "diminishing_units",
    "largest_remainder",
    "parse_weights",
    "score_creators",
    "verify_period",
]
