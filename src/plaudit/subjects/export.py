"""A person's export of their data, built from the domain services and recorded.

The record (table ``data_exports``) keeps the time and the channel only: the report can
count exports without the operator keeping a list of who asked (docs/transparency.md,
``data_subject_requests``). It is written after the document is built, so a failed build
counts nothing, and before the document is returned, so no export goes uncounted.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from plaudit.errors import InvalidInput
from plaudit.store import subjects as sql
from plaudit.store import utcnow

if TYPE_CHECKING:
    from plaudit.interactions import Like
    from plaudit.platform import Platform

__all__ = ["CHANNELS", "export_data"]

CHANNELS = ("api", "console")
_PAGE = 500


def _plain(value: Any) -> Any:
    """JSON-ready values: times as ISO 8601 strings, containers walked."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _every_like(platform: Platform, account_id: int) -> list[Like]:
    likes = list(platform.interactions.likes_of(account_id, None, _PAGE))
    while likes and len(likes) % _PAGE == 0:
        more = platform.interactions.likes_of(account_id, likes[-1].id, _PAGE)
        if not more:
            break
        likes.extend(more)
    return likes


def export_data(platform: Platform, account_id: int, channel: str) -> dict[str, Any]:
    """The account's data as a JSON-ready document; the export is recorded (not whose)."""
    if channel not in CHANNELS:
        raise InvalidInput(
            f"export channel {channel!r} is not one of {', '.join(CHANNELS)}", field="channel"
        )
    document = {
        "account": asdict(platform.accounts.get(account_id)),
        "profile": asdict(platform.accounts.get_profile(account_id)),
        "likes": [asdict(like) for like in _every_like(platform, account_id)],
        "rewards": [asdict(r) for r in platform.campaigns.rewards_of(account_id)],
        "api_tokens": [asdict(t) for t in platform.accounts.tokens(account_id)],
    }
    platform.db.write(lambda conn: sql.insert_export(conn, channel, utcnow()))
    return cast(dict[str, Any], _plain(document))
