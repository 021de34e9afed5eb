"""`plaudit fund verify`: every frozen payout of a period, recomputed from the ledger.

1. The whole log is verified (every leaf, tile and the signed root) while the entries below
   the period's `through_seq` are replayed (replay.py): what stands at the close, from what
   entries show in clear.
2. The ledger commits to each account per (account, video), so one fan's interactions with
   two videos of a creator cannot be linked from the log alone, and the diminishing returns
   are per fan. The operator's store is read ONLY to attribute each standing entry to an
   account (events.seq -> the interaction row -> its account), and every attribution is
   checked: the commitment is recomputed from that account's secret
   (entries.account_opening / account_commitment) and must equal the entry's. A store
   edited to move interactions between accounts fails here.
3. Creators come from the public catalog (video -> creator); a follow's target is the
   creator.
4. The same scoring and largest-remainder code as the close (scoring.py, money.py) gives
   the payouts, compared figure by figure with the stored statements.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from plaudit.errors import Conflict
from plaudit.fund.compute import statements_of
from plaudit.fund.model import STORED_FIGURES, Period, Statement
from plaudit.fund.periods import statement_from_row
from plaudit.fund.replay import Replay, Standing, time_us_of
from plaudit.fund.scoring import AUTHENTIC, REVOKED, Interaction, score_creators
from plaudit.fund.service import load_period
from plaudit.ledger.entries import Kind, account_commitment, account_opening
from plaudit.ledger.sources import StoreLog
from plaudit.ledger.verify import LogSummary, verify_log
from plaudit.ledgerstore.service import LedgerService
from plaudit.store import Database
from plaudit.store import fund as sql

__all__ = ["FIELDS", "VerifyReport", "verify_period"]

FIELDS = STORED_FIGURES  # what a closed period stored and verification recomputes


@dataclass
class VerifyReport:
    """The outcome: `differences` (stored vs recomputed) and `tampered` attributions."""

    period: Period
    log: LogSummary
    standing: int
    attributed: int
    differences: list[str] = field(default_factory=list)
    tampered: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences and not self.tampered

    def lines(self) -> list[str]:
        head = (
            f"OK: period {self.period.name!r}: every payout recomputed from the ledger "
            f"(its first {self.period.through_seq} entries, {self.standing} standing interactions, "
            f"{self.attributed} attributions checked) equals the stored statements"
            if self.ok
            else f"FAILED: period {self.period.name!r}: "
            f"{len(self.differences)} differences, {len(self.tampered)} tampered attributions"
        )
        return [head, *self.tampered, *self.differences]


def _short(commitment: bytes) -> str:
    return base64.b64encode(commitment).decode()[:12]


@dataclass
class _Attribution:
    fans: dict[int, int] = field(default_factory=dict)
    checked: int = 0
    tampered: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _check(
    item: Standing,
    claim: tuple[str, int] | None,
    secrets: dict[int, bytes | None],
    result: _Attribution,
) -> None:
    entry = item.entry
    where = f"entry {item.seq} ({item.kind} of target {entry.target_id})"
    if claim is None or claim[0] != item.kind:
        result.tampered.append(f"{where}: the store has no {item.kind} event at seq {item.seq}")
        return
    account = claim[1]
    if account not in secrets:
        result.tampered.append(f"{where}: account {account} has no ledger secret in the store")
        return
    secret = secrets[account]
    result.fans[item.seq] = account
    if secret is None:
        result.notes.append(f"{where}: account {account} is shredded; attribution not checkable")
        return
    kind = Kind[item.kind.upper()]
    opening = account_opening(secret, kind, entry.target_id)
    if account_commitment(account, kind, entry.target_id, opening) != entry.account:
        result.tampered.append(
            f"{where}: the store attributes it to account {account}, whose commitment does "
            f"not match the entry's ({_short(entry.account)}…): the store was altered"
        )
    else:
        result.checked += 1


def _attribute(conn: Connection, standing: list[Standing]) -> _Attribution:
    """Each standing entry's account per the store, checked against its commitment."""
    result = _Attribution()
    if not standing:
        return result
    claims = sql.claims_between(conn, standing[0].seq, standing[-1].seq)
    secrets = sql.secrets_of(conn, {account for _, account in claims.values()})
    for item in standing:
        _check(item, claims.get(item.seq), secrets, result)
    return result


def _interactions(
    standing: list[Standing], fans: dict[int, int], creators: dict[int, int], report: VerifyReport
) -> list[Interaction]:
    items: list[Interaction] = []
    for item in standing:
        target = item.entry.target_id
        creator = target if item.kind == "follow" else creators.get(target)
        if creator is None:
            report.differences.append(f"entry {item.seq}: video {target} is not in the catalog")
            continue
        if item.seq not in fans:
            continue
        status = REVOKED if item.revoked else AUTHENTIC
        items.append(
            Interaction(item.kind, fans[item.seq], creator, item.at, item.entry.source, status)
        )
    return items


def _compare(stored: list[Statement], ours: list[Statement], report: VerifyReport) -> None:
    theirs = {s.creator_id: s for s in stored}
    mine = {s.creator_id: s for s in ours}
    for creator in sorted(theirs.keys() | mine.keys()):
        a, b = theirs.get(creator), mine.get(creator)
        for name in FIELDS:
            stored_value = None if a is None else getattr(a, name)
            recomputed = None if b is None else getattr(b, name)
            if stored_value != recomputed:
                report.differences.append(
                    f"creator {creator}: {name} stored {stored_value}, recomputed from the "
                    f"ledger {recomputed}"
                )


def _check_totals(
    period: Period, stored: list[Statement], total: int, report: VerifyReport
) -> None:
    paid = sum(s.payout_fen for s in stored)
    owed = period.pool_fen if total else 0  # nobody scored: nothing is paid
    if paid != owed:
        report.differences.append(
            f"the stored payouts sum to {paid} fen, not the {owed} fen owed "
            f"(pool {period.pool_fen} fen, total score {total} units)"
        )
    if period.total_units != total:
        report.differences.append(
            f"total score stored {period.total_units} units, recomputed {total}"
        )


def _closed_period(db: Database, ref: str | int) -> tuple[Period, list[Statement]]:
    with db.read() as conn:
        period = load_period(conn, ref)
        if not period.closed or period.through_seq is None:
            raise Conflict(
                f"period {period.name!r} is not closed; only frozen payouts can be verified",
                period=period.name,
            )
        rows = sql.payouts(conn, period.id)
    return period, [statement_from_row(row, period) for row in rows]


def verify_period(
    db: Database,
    ledger: LedgerService,
    ref: str | int,
    on_progress: Callable[[int, int], None] | None = None,
) -> VerifyReport:
    """Recompute a closed period's payouts from the ledger and compare (see module doc).

    Raises VerificationFailed when the log itself does not verify, Conflict when the period
    is open or the ledger has not yet integrated the entries the close read.
    """
    period, stored = _closed_period(db, ref)
    through = period.through_seq or 0
    if ledger.size() < through:
        raise Conflict(
            f"the ledger holds {ledger.size()} entries but period {period.name!r} was closed at "
            f"event {through}; wait for the integrator (about a second) and verify again"
        )
    replay = Replay(time_us_of(period.starts_at), time_us_of(period.ends_at), through)
    summary = verify_log(
        StoreLog(ledger), ledger.vkey, on_entries=replay.add, on_progress=on_progress
    )
    standing = replay.standing()
    with db.read() as conn:
        attribution = _attribute(conn, standing)
        videos = [s.entry.target_id for s in standing if s.kind != "follow"]
        creators = sql.video_creators(conn, videos)
    report = VerifyReport(period, summary, len(standing), attribution.checked)
    report.tampered += attribution.tampered
    report.notes += attribution.notes + replay.anomalies
    items = _interactions(standing, attribution.fans, creators, report)
    ours, total = statements_of(period, score_creators(items, period.rule))
    _compare(stored, ours, report)
    _check_totals(period, stored, total, report)
    return report
