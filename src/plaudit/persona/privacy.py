"""Differentially private answers: deterministic noise on counts, rounding and suppression.

Every brand- and creator-facing figure (a count, an insight cell, an overlap, a fan base, a
campaign's eligible audience) is released through `Mechanism.release`, the geometric
mechanism (the discrete Laplace: Ghosh, Roughgarden & Sundararajan 2009; Dwork & Roth 2014,
section 3.3): the exact count plus the difference of two geometric variables with
p = 1 - exp(-epsilon / sensitivity), which is epsilon-differentially private for a count
that one account changes by at most `sensitivity`. Then, as post-processing (free in DP):
rounded to `privacy_round`, and suppressed as "<k" when the NOISY value is below k, so that
whether a figure is suppressed says nothing exact either.

The noise is deterministic: it is drawn from a generator seeded with
HMAC-SHA256(key, index version | canonical question | cell), where the key is 32 random
bytes made at the first run in `DATA_DIR/persona-noise.key` (0600). Asking the same
question again, or a rewrite with the same canonical form (`b or a` for `a or b`), gives the
same answer, so repetition averages nothing away (the consistent-noise design of LinkedIn's
Audience Engagements API, Rogers et al. 2020). Rewrites with another canonical form get fresh
noise and are paid for from the privacy budget (`plaudit.persona.budget`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from plaudit.persona.language import Ages, And, Expr, Not, Or, SegmentRef, Tags

__all__ = [
    "NOISE_KEY",
    "Mechanism",
    "canonical",
    "index_version",
    "load_or_create_key",
]

NOISE_KEY = "persona-noise.key"


def load_or_create_key(data_path: Path) -> bytes:
    """The noise key of this data directory, made (0600) at the first call."""
    path = data_path / NOISE_KEY
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    data_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def index_version(meta: Mapping[str, Any]) -> str:
    """A stable name for one refresh of the index (its manifest metadata, hashed)."""
    text = json.dumps(dict(meta), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def canonical(expr: Expr, namespace: str | None = None) -> str:
    """A normal form of a parsed expression: operands of `and` / `or` flattened, sorted and
    deduplicated, tag lists sorted, double negations removed; a saved segment is named with
    the namespace it resolves in (names are per organisation)."""
    if isinstance(expr, Tags):
        ids = sorted(set(expr.ids))
        return ids[0] if len(ids) == 1 else "any(" + ",".join(ids) + ")"
    if isinstance(expr, Ages):
        return f"age[{expr.lo}..{expr.hi}]"
    if isinstance(expr, SegmentRef):
        return f"segment:{namespace or '*'}/{expr.name}"
    if isinstance(expr, Not):
        if isinstance(expr.operand, Not):
            return canonical(expr.operand.operand, namespace)
        return "not(" + canonical(expr.operand, namespace) + ")"
    kind = type(expr)
    parts: set[str] = set()
    stack: list[Expr] = list(expr.operands)
    while stack:
        item = stack.pop()
        if type(item) is kind:
            assert isinstance(item, And | Or)
            stack.extend(item.operands)
        else:
            parts.add(canonical(item, namespace))
    if len(parts) == 1:
        return parts.pop()
    return ("and(" if kind is And else "or(") + ",".join(sorted(parts)) + ")"


@dataclass(frozen=True)
class Mechanism:
    """The geometric mechanism with keyed, deterministic noise; `epsilon <= 0` turns the
    noise off (rounding and suppression still apply)."""

    key: bytes
    k: int
    rounding: int = 1

    def noise(self, question: str, cell: str, epsilon: float, sensitivity: int) -> int:
        """The noise of one cell of one question: the same inputs give the same noise."""
        if epsilon <= 0:
            return 0
        message = f"{question}\x00{cell}".encode()
        seed = hmac.new(self.key, message, hashlib.sha256).digest()
        rng = np.random.default_rng(int.from_bytes(seed, "big"))
        p = -math.expm1(-epsilon / sensitivity)  # 1 - exp(-eps/sensitivity), exact near 0
        return int(rng.geometric(p)) - int(rng.geometric(p))

    def noisy(self, count: int, question: str, cell: str, epsilon: float, sens: int) -> int:
        """The count with its noise, clamped at 0 (post-processing)."""
        return max(0, count + self.noise(question, cell, epsilon, sens))

    def shown(self, noisy: int) -> int | str:
        """What a brand or creator sees of a noisy count: rounded, or "<k" below k."""
        if noisy < self.k:
            return f"<{self.k}"
        step = self.rounding
        return max(self.k, step * round(noisy / step)) if step > 1 else noisy

    def release(
        self, count: int, question: str, cell: str, epsilon: float, sensitivity: int = 1
    ) -> int | str:
        return self.shown(self.noisy(count, question, cell, epsilon, sensitivity))

    @staticmethod
    def scale(epsilon: float, sensitivity: int = 1) -> float:
        """The noise's standard deviation (two-sided geometric: sqrt(2 a) / (1 - a),
        a = exp(-epsilon/sensitivity)), for documentation and tests."""
        a = math.exp(-epsilon / sensitivity)
        return math.sqrt(2 * a) / (1 - a)
