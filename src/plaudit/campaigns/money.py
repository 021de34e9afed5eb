"""Integer money arithmetic (fen): budget checks, cost per interaction, rates.

Every figure is an integer; rounding is stated where it happens, so a brand's report and an
auditor's recomputation agree to the fen.
"""

from __future__ import annotations

__all__ = ["BASIS_POINTS", "fits_budget", "per_unit_fen", "rate_bp", "rewards_affordable"]

BASIS_POINTS = 10_000


def fits_budget(spent_fen: int, amount_fen: int, budget_fen: int) -> bool:
    """Can `amount_fen` be paid without the spend passing the budget (or going negative)?

    The same condition guards the conditional UPDATE that moves `campaigns.spent_fen`.
    """
    return amount_fen >= 0 and spent_fen >= 0 and spent_fen + amount_fen <= budget_fen


def rewards_affordable(spent_fen: int, reward_fen: int, budget_fen: int) -> int:
    """How many more rewards of `reward_fen` the remaining budget pays for."""
    if reward_fen <= 0:
        raise ValueError("a reward is at least 1 fen")
    return max(0, budget_fen - spent_fen) // reward_fen


def per_unit_fen(total_fen: int, units: int) -> int | None:
    """`total_fen / units` rounded half up to the fen; None when there are no units."""
    if units <= 0:
        return None
    return (2 * total_fen + units) // (2 * units)


def rate_bp(part: int, whole: int) -> int | None:
    """`part / whole` in basis points (1/100 of a percent), rounded down; None when whole is 0."""
    if whole <= 0:
        return None
    return part * BASIS_POINTS // whole
