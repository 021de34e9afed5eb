"""What an operator oversees of authenticity: the scans with their figures, each scan's
verdicts, a verdict's block (which account liked which video), every revocation, and the
real-time rules' limits beside what they held recently.

Operators only: these views name accounts (the full evidence, docs/authenticity.md "What
each party sees"). Callers check the role; the console's operator pages do.

Rule activity is a table of counts per rule, one column per kind of outcome
(`RuleActivity.counts`, columns in `ACTIVITY_COLUMNS`): holds and their outcomes from the holds
table, refusals from the refusal records (`count_refusals_by_rule`, which the transparency
report also counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from plaudit.authenticity.refusals import count_refusals_by_rule
from plaudit.authenticity.rules import RuleSettings
from plaudit.authenticity.service import Revocation, summary_of
from plaudit.errors import InvalidInput, VerdictNotFound
from plaudit.store import Database, utcnow
from plaudit.store import authenticity as sql

__all__ = [
    "ACTIVITY_COLUMNS",
    "BLOCK_MAX",
    "Oversight",
    "RuleActivity",
    "RuleLimit",
    "ScanRow",
    "VerdictBlock",
    "VerdictRow",
    "rule_limits",
]

ACTIVITY_COLUMNS = ("refused", "held", "released", "revoked", "open_now")
"""Counts per rule: refused and held in the window, of the held released and revoked by a
scan, held and open now."""
BLOCK_MAX = 60
"""A drawn block shows at most this many accounts and videos (the counts stay whole)."""


@dataclass(frozen=True)
class ScanRow:
    id: int
    started_at: datetime
    finished_at: datetime | None
    through_seq: int | None
    verdicts: int
    likes_revoked: int


@dataclass(frozen=True)
class VerdictRow:
    id: int
    scan_id: int | None
    detector: str
    score: float
    status: str
    created_at: datetime
    summary: dict[str, object]


@dataclass(frozen=True)
class VerdictBlock:
    """The accounts x videos block of a verdict: `cells` are the likes it revoked, as
    (row, column) into `accounts` and `videos` (at most BLOCK_MAX of each, the busiest)."""

    accounts: list[int]
    videos: list[int]
    cells: list[tuple[int, int]]
    accounts_total: int
    videos_total: int
    likes_total: int

    @property
    def density(self) -> float:
        """Filled share of the drawn block."""
        area = len(self.accounts) * len(self.videos)
        return len(self.cells) / area if area else 0.0


@dataclass(frozen=True)
class RuleLimit:
    """One real-time rule's settings: per `window`, a like above `hold` is held and above
    `refuse` refused (None: this rule never refuses)."""

    rule: str
    key: str
    window: str
    hold: int
    refuse: int | None


@dataclass(frozen=True)
class RuleActivity:
    limit: RuleLimit
    counts: dict[str, int]


def rule_limits(settings: RuleSettings) -> list[RuleLimit]:
    """The rules of `plaudit.authenticity.rules` with the limits this server runs with."""
    return [
        RuleLimit("account_velocity", "account", "60 s", settings.account_hold,
                  settings.account_limit),
        RuleLimit("device_velocity", "device", "60 s", settings.device_hold,
                  settings.device_limit),
        RuleLimit("ip_velocity", "ip_prefix", "60 s", settings.ip_hold, None),
        RuleLimit("device_accounts", "device", "24 h", settings.device_accounts_hold,
                  settings.device_accounts_limit),
        RuleLimit("new_account", "account", "1 h", settings.new_account_hold, None),
    ]  # fmt: skip


class Oversight:
    """Read-only views over the authenticity tables for operators."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def scans(self, limit: int = 50) -> list[ScanRow]:
        with self._db.read() as conn:
            rows = sql.scans(conn, limit)
        return [
            ScanRow(
                int(r.id), r.started_at, r.finished_at,
                None if r.through_seq is None else int(r.through_seq),
                int(r.verdicts), int(r.likes_revoked),
            )
            for r in rows
        ]  # fmt: skip

    def verdicts(self, scan_id: int | None, limit: int = 200) -> list[VerdictRow]:
        """A scan's verdicts, highest score first (None: verdicts made by hand)."""
        with self._db.read() as conn:
            rows = sql.verdicts_of_scan(conn, scan_id, limit)
        return [
            VerdictRow(
                int(r.id), r.scan_id, str(r.detector), float(r.score), str(r.status),
                r.created_at, summary_of(r.evidence),
            )
            for r in rows
        ]  # fmt: skip

    def revocations(
        self, before_id: int | None = None, limit: int = 100
    ) -> list[tuple[Revocation, str, float]]:
        """Every revocation, newest first, with its verdict's detector and score."""
        with self._db.read() as conn:
            rows = sql.recent_revocations(conn, before_id, limit)
        return [
            (
                Revocation(
                    int(r.id), int(r.like_id), int(r.account_id), int(r.video_id),
                    int(r.verdict_id), r.liked_at, r.revoked_at, r.reinstated_at,
                ),
                str(r.detector),
                float(r.score),
            )
            for r in rows
        ]  # fmt: skip

    def block(self, verdict_id: int) -> VerdictBlock:
        """The verdict's accounts x videos block, from the likes it revoked."""
        with self._db.read() as conn:
            if sql.verdict(conn, verdict_id) is None:
                raise VerdictNotFound(f"verdict {verdict_id} does not exist", verdict_id=verdict_id)
            pairs = sql.verdict_cells(conn, verdict_id)
        return block_of(pairs)

    def rule_activity(self, settings: RuleSettings, hours: int) -> list[RuleActivity]:
        """Each rule's limits and what it refused and held in the last `hours` (1 to 720)."""
        if not 1 <= hours <= 720:
            raise InvalidInput("hours: a whole number from 1 to 720 (30 days)", field="hours")
        since = utcnow() - timedelta(hours=hours)
        with self._db.read() as conn:
            rows = {str(r.rule): r for r in sql.hold_counts(conn, since)}
        refused = count_refusals_by_rule(self._db, since, utcnow())
        activity = []
        for limit in rule_limits(settings):
            row = rows.get(limit.rule)
            counts = {c: int(getattr(row, c, 0) or 0) if row else 0 for c in ACTIVITY_COLUMNS}
            counts["refused"] = refused.get(limit.rule, 0)
            activity.append(RuleActivity(limit, counts))
        return activity


def block_of(pairs: list[tuple[int, int]]) -> VerdictBlock:
    """The block drawn from (account, video) pairs: the BLOCK_MAX busiest accounts and
    videos, in id order so that a lockstep group reads as a filled rectangle."""
    per_account: dict[int, int] = {}
    per_video: dict[int, int] = {}
    for account, video in pairs:
        per_account[account] = per_account.get(account, 0) + 1
        per_video[video] = per_video.get(video, 0) + 1

    def busiest(counts: dict[int, int]) -> list[int]:
        return sorted(sorted(counts, key=lambda k: (-counts[k], k))[:BLOCK_MAX])

    accounts, videos = busiest(per_account), busiest(per_video)
    row = {a: i for i, a in enumerate(accounts)}
    column = {v: j for j, v in enumerate(videos)}
    cells = sorted((row[a], column[v]) for a, v in pairs if a in row and v in column)
    return VerdictBlock(accounts, videos, cells, len(per_account), len(per_video), len(pairs))
