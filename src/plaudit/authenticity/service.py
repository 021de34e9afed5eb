"""The platform side of authenticity: scans, verdicts, revocations and appeals as use cases.

What each party may see (docs/authenticity.md, "What each party sees"):

* anyone authenticated: a verdict's summary (detector, score, status, counts of accounts,
  videos and likes, the time window, density, observed vs expected), never its member list;
* an account whose like a verdict revoked: that summary plus its own revoked likes;
* a creator: the revocations on its own videos (liker account, like time, verdict summary);
  the liker's id is what the creator's own video already shows as a like;
* operators: the full evidence (every account and video the verdict names).

No one is ever shown device or network data: the stored evidence holds none.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from plaudit.authenticity.appeals import (
    Appeal,
    Decision,
    appeal_from_row,
    appeal_op,
    decide_op,
    validate_decision,
    validate_text,
)
from plaudit.errors import AccountNotFound, Forbidden, InvalidInput, VerdictNotFound, VideoNotFound
from plaudit.store import Database, utcnow
from plaudit.store import authenticity as sql
from plaudit.store import catalog as catalog_sql

if TYPE_CHECKING:  # the scan needs NumPy and the detectors; the API does not
    from plaudit.authenticity.batch import ScanSettings
    from plaudit.authenticity.oversight import Oversight
    from plaudit.authenticity.platform_scan import ScanReport

__all__ = [
    "SUMMARY_KEYS",
    "AuthenticityService",
    "Revocation",
    "VerdictView",
]

SUMMARY_KEYS = (
    "accounts_count",
    "videos_count",
    "likes_count",
    "window",
    "density",
    "observed",
    "expected",
)
"""The evidence every party may see; the member lists are for operators only."""


@dataclass(frozen=True)
class Revocation:
    id: int
    like_id: int
    account_id: int
    video_id: int
    verdict_id: int
    liked_at: datetime | None
    revoked_at: datetime
    reinstated_at: datetime | None


@dataclass(frozen=True)
class VerdictView:
    id: int
    scan_id: int | None
    detector: str
    score: float
    status: str
    created_at: datetime
    summary: dict[str, Any]
    evidence: dict[str, Any] | None  # operators only
    revocations: list[Revocation]  # the caller's own likes, or on the caller's videos
    appeal: Appeal | None  # the caller's appeal of this verdict


def summary_of(evidence_text: str) -> dict[str, Any]:
    evidence: dict[str, Any] = json.loads(evidence_text)
    return {key: evidence[key] for key in SUMMARY_KEYS if key in evidence}


def _revocation(row: Any) -> Revocation:
    return Revocation(
        row.id,
        row.like_id,
        row.account_id,
        row.video_id,
        row.verdict_id,
        getattr(row, "liked_at", None),
        row.revoked_at,
        row.reinstated_at,
    )


class AuthenticityService:
    """Scans, verdict views, revocations of a video, appeals and decisions over one store."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def scan(
        self,
        settings: ScanSettings | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> ScanReport:
        """Run the detectors over the platform's likes and record what they find."""
        from plaudit.authenticity.platform_scan import run_platform_scan

        return run_platform_scan(self._db, settings, progress)

    def _kind(self, account_id: int) -> str:
        with self._db.read() as conn:
            row = catalog_sql.get_account(conn, account_id)
        if row is None:
            raise AccountNotFound(f"account {account_id} does not exist")
        return str(row.kind)

    def verdict(self, verdict_id: int, caller_id: int) -> VerdictView:
        """A verdict as `caller_id` may see it (see the module docstring)."""
        operator = self._kind(caller_id) == "operator"
        with self._db.read() as conn:
            row = sql.verdict(conn, verdict_id)
            if row is None:
                raise VerdictNotFound(f"verdict {verdict_id} does not exist", verdict_id=verdict_id)
            mine = sql.revocations_of_verdict(conn, verdict_id, caller_id)
            appeal = sql.appeal_by(conn, verdict_id, caller_id)
        return VerdictView(
            row.id,
            row.scan_id,
            row.detector,
            float(row.score),
            row.status,
            row.created_at,
            summary_of(row.evidence),
            json.loads(row.evidence) if operator else None,
            [_revocation(r) for r in mine],
            None if appeal is None else appeal_from_row(appeal),
        )

    def revocations_of_video(
        self, video_id: int, caller_id: int, before_id: int | None, limit: int
    ) -> list[tuple[Revocation, str, float, dict[str, Any]]]:
        """The video's revocations with (detector, score, summary); its creator only."""
        with self._db.read() as conn:
            video = catalog_sql.get_video(conn, video_id)
            if video is None:
                raise VideoNotFound(f"video {video_id} does not exist", video_id=video_id)
            caller = catalog_sql.get_account(conn, caller_id)
            if video.creator_id != caller_id and (caller is None or caller.kind != "operator"):
                raise Forbidden(
                    f"the revocations of video {video_id} are shown to its creator only"
                )
            rows = sql.revocations_of_video(conn, video_id, before_id, limit)
        return [(_revocation(r), r.detector, float(r.score), summary_of(r.evidence)) for r in rows]

    def appeal(self, verdict_id: int, account_id: int, reason: str) -> Appeal:
        """File an appeal (an affected account or creator; once per verdict)."""
        text = validate_text(reason, "reason", required=True)
        result: Appeal = self._db.write(appeal_op(verdict_id, account_id, text, utcnow()))
        return result

    def appeals(self, status: str | None = None, limit: int = 100) -> list[Appeal]:
        if status is not None and status not in ("open", "reinstated", "upheld"):
            raise InvalidInput(
                f"status {status!r} is not one of open, reinstated, upheld", field="status"
            )
        with self._db.read() as conn:
            return [appeal_from_row(r) for r in sql.appeals_of(conn, status, limit)]

    def decide(
        self, appeal_id: int, decision: str, note: str = "", operator_id: int | None = None
    ) -> Decision:
        """An operator's decision; `operator_id` None is the CLI (a local operator)."""
        validate_decision(decision)
        text = validate_text(note, "note", required=False)
        if operator_id is not None and self._kind(operator_id) != "operator":
            raise Forbidden("only operator accounts decide appeals")
        result: Decision = self._db.write(
            decide_op(appeal_id, decision, text, operator_id, utcnow())
        )
        return result

    @property
    def oversight(self) -> Oversight:
        """The operators' read-only views: scans, verdict blocks, revocations, rule activity."""
        from plaudit.authenticity.oversight import Oversight

        return Oversight(self._db)
