"""The ground-truth file of an injection: which accounts and likes each attack added.

One JSON document, written next to the data it describes:

    {"spec": "...", "seed": 0, "likes_before": 170000, "likes_after": 181000,
     "attacks": [{"kind": "farm", "label": "...", "parameters": {...},
                  "accounts": [...], "likes": [[account_id, video_id], ...],
                  "camouflage": [[account_id, video_id], ...]}]}

`accounts` are the fake accounts (for a ring its member creators, for a hijack the accounts
taken over), `likes` the payload likes the attack is for, `camouflage` the likes its
accounts spent elsewhere to look organic. An evaluator scores `likes` and ignores
`camouflage`, as `plaudit authenticity eval` does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from plaudit.authenticity.attacks import Attack, Likes, Truth
from plaudit.authenticity.spec import format_spec

__all__ = ["truth_document", "write_truth"]


def truth_document(
    organic_likes: int, likes: Likes, attacks: list[Attack], truths: list[Truth], seed: int
) -> dict[str, Any]:
    return {
        "spec": format_spec(attacks),
        "seed": seed,
        "likes_before": organic_likes,
        "likes_after": len(likes),
        "attacks": [_attack(likes, a, t) for a, t in zip(attacks, truths, strict=True)],
    }


def write_truth(
    path: Path,
    organic_likes: int,
    likes: Likes,
    attacks: list[Attack],
    truths: list[Truth],
    seed: int,
) -> None:
    document = truth_document(organic_likes, likes, attacks, truths, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1))


def _attack(likes: Likes, attack: Attack, truth: Truth) -> dict[str, Any]:
    return {
        "kind": attack.kind,
        "label": attack.label,
        "parameters": attack.parameters,
        "accounts": truth.accounts.tolist(),
        "likes": _pairs(likes, truth.payload),
        "camouflage": _pairs(likes, truth.camouflage),
    }


def _pairs(likes: Likes, rows: np.ndarray[Any, Any]) -> list[list[int]]:
    pairs: list[list[int]] = np.column_stack([likes.account[rows], likes.video[rows]]).tolist()
    return pairs
