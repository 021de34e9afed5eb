"""The engagement inbox: fans' comments on the creator's videos in plan order, each with a
reply suggestion, then thank-you notes for planned fans who have not commented.

An item's id names what it acts on (`reply-<comment id>`, `thank-<fan id>`), so approving an
id is unambiguous and an action is offered again only if it has not run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from plaudit.errors import InvalidInput
from plaudit.strategy.replies import FanStanding, suggest, thank

__all__ = ["NEW_FOLLOWER", "THANKS", "build_inbox", "parse_action_id"]

NEW_FOLLOWER = timedelta(days=14)
THANKS = 10  # thank-you notes offered per inbox: a few at a time keeps them personal
LOYAL_RANKS = 10
_ID = re.compile(r"^(reply|thank)-([1-9][0-9]{0,18})$")


def parse_action_id(action_id: str) -> tuple[str, int]:
    match = _ID.match(action_id)
    if match is None:
        raise InvalidInput(
            f"action id {action_id!r} is not valid: use the ids the inbox lists, "
            "reply-<comment id> or thank-<fan id>",
            field="ids",
        )
    return match.group(1), int(match.group(2))


def _standing(
    fan_id: int, handle: str, started: dict[int, datetime], rank: int | None, now: datetime
) -> FanStanding:
    since = started.get(fan_id)
    return FanStanding(
        handle=handle,
        follower=since is not None,
        new_follower=since is not None and now - since <= NEW_FOLLOWER,
        loyal=rank is not None and rank <= LOYAL_RANKS,
    )


@dataclass(frozen=True)
class _Fans:
    """What an inbox item says about its fan: name, following, plan rank and reason."""

    names: dict[int, tuple[str, str]]
    started: dict[int, datetime]
    now: datetime

    def describe(
        self, fan_id: int, entry: dict[str, Any] | None
    ) -> tuple[FanStanding, dict[str, Any]]:
        handle, display = self.names.get(fan_id, (str(fan_id), ""))
        rank = entry["rank"] if entry else None
        fan = _standing(fan_id, handle, self.started, rank, self.now)
        return fan, _fan(fan_id, handle, display, fan, entry)


def build_inbox(
    plan: dict[str, Any],
    comments: list[Any],
    settled: set[tuple[str, int]],
    names: dict[int, tuple[str, str]],
    started: dict[int, datetime],
    now: datetime,
) -> list[dict[str, Any]]:
    """Reply items for open comments (plan rank first, then newest), then thank items."""
    by_fan = {entry["fan_id"]: entry for entry in plan["fans"]}
    fans = _Fans(names, started, now)
    items: list[dict[str, Any]] = []
    for comment in comments:
        if ("reply", int(comment.id)) in settled:
            continue
        fan_id = int(comment.account_id)
        entry = by_fan.get(fan_id)
        rank = entry["rank"] if entry else None
        fan, fan_json = fans.describe(fan_id, entry)
        primary = suggest(int(comment.id), comment.body, fan)
        other = suggest(
            int(comment.id), comment.body, fan, "en" if primary.language == "zh" else "zh"
        )
        items.append({
            "id": f"reply-{comment.id}",
            "kind": "reply",
            "fan": fan_json,
            "video": {"id": int(comment.video_id), "title": comment.title},
            "comment": {"id": int(comment.id), "body": comment.body,
                        "created_at": comment.created_at.isoformat()},
            "suggestion": primary.as_dict(),
            "alternatives": [other.as_dict()],
            "_order": (rank or 10**9, -comment.created_at.timestamp()),
        })  # fmt: skip
    items.sort(key=lambda item: item.pop("_order"))
    return items + _thanks(plan, comments, settled, fans)


def _thanks(
    plan: dict[str, Any], comments: list[Any], settled: set[tuple[str, int]], fans: _Fans
) -> list[dict[str, Any]]:
    commented = {int(c.account_id) for c in comments}
    items: list[dict[str, Any]] = []
    for entry in plan["fans"]:
        fan_id = entry["fan_id"]
        if entry["action"] != "thank" or fan_id in commented or ("thank", fan_id) in settled:
            continue
        fan, fan_json = fans.describe(fan_id, entry)
        items.append({
            "id": f"thank-{fan_id}",
            "kind": "thank",
            "fan": fan_json,
            "video": {"id": entry["video_id"]},
            "comment": None,
            "suggestion": thank(fan, "zh").as_dict(),
            "alternatives": [thank(fan, "en").as_dict()],
        })  # fmt: skip
        if len(items) == THANKS:
            break
    return items


def _fan(
    fan_id: int, handle: str, display: str, fan: FanStanding, entry: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "id": fan_id,
        "handle": handle,
        "display_name": display,
        "follower": fan.follower,
        "new_follower": fan.new_follower,
        "rank": entry["rank"] if entry else None,
        "reason": entry["reason"] if entry else None,
    }
