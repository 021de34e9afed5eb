"""Checking a published report against the public log (``plaudit report verify``).

Only the tile API is read (checkpoint, tiles, entry bundles; c2sp.org/tlog-tiles). The
checks, each reported on its own line:

1. the report's checkpoint is signed by the log's key (the one given, else the report's);
2. the served log verifies end to end (every leaf, tile and root; ``verify_log``), extends
   the checkpoint the verifier trusts (``--trusted``) and has the required cosignatures;
3. the root of the served log's first ``size`` entries is the report checkpoint's root: the
   report's log is a prefix of the public one (a rewritten or dropped entry breaks this);
4. every ``log`` figure is recomputed from those entries, every ``log+operator`` figure
   from them and the mappings the report publishes; each prints OK or the difference.

Operator-attested figures are listed as such: the log cannot confirm them.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from plaudit.ledger.checkpoint import Checkpoint, open_checkpoint
from plaudit.ledger.errors import CheckpointError, NoteError
from plaudit.ledger.keys import parse_verifier_key
from plaudit.ledger.merkle import TreeBuilder, leaf_hashes
from plaudit.ledger.sources import LogSource
from plaudit.ledger.verify import VerificationFailed, verify_log
from plaudit.reports.build import derived_figures, percent
from plaudit.reports.logfigures import LogFigures
from plaudit.reports.period import period_of

__all__ = ["ReportCheck", "verify_report"]


@dataclass
class ReportCheck:
    """One line per figure checked (OK or FAIL) and the failures among them."""

    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def ok(self, line: str) -> None:
        self.lines.append(f"OK    {line}")

    def fail(self, line: str) -> None:
        self.failures.append(line)
        self.lines.append(f"FAIL  {line}")


@dataclass
class _Prefix:
    """Feeds the first ``size`` entries to the figures and to a tree of their own."""

    size: int
    figures: LogFigures
    builder: TreeBuilder = field(default_factory=TreeBuilder)

    def __call__(self, first: int, entries: list[bytes]) -> None:
        wanted = entries[: max(0, self.size - first)]
        if wanted:
            self.figures.add(wanted)
            self.builder.append(leaf_hashes(wanted))


def _report_checkpoint(report: Mapping[str, Any], vkey: str) -> Checkpoint:
    verifier = parse_verifier_key(vkey.strip())
    try:
        checkpoint = open_checkpoint(report["log"]["checkpoint"], [verifier])
    except (NoteError, CheckpointError) as exc:
        raise VerificationFailed(
            [f"the report's checkpoint is not signed by the log key {verifier.name}: {exc}"]
        ) from None
    if checkpoint.origin != verifier.name:
        raise VerificationFailed([f"the report's checkpoint is for {checkpoint.origin!r}"])
    if checkpoint.size != report["log"]["size"]:
        raise VerificationFailed(
            [f"the report says size {report['log']['size']}, its checkpoint {checkpoint.size}"]
        )
    return checkpoint


def _expected(figures: LogFigures, report: Mapping[str, Any]) -> dict[str, Any]:
    log = figures.figures()
    values = {**log, **derived_figures(log, report["inputs"])}
    published = {f["key"]: f["value"] for f in report["figures"]}
    recorded = (published.get("disclosure_rate") or {}).get("recorded", 0)
    values["disclosure_rate"] = {
        "disclosed": log["incentivised_likes"],
        "recorded": recorded,
        "rate_percent": percent(log["incentivised_likes"], recorded),
    }
    return values


def verify_report(
    report: Mapping[str, Any],
    source: str | LogSource,
    *,
    vkey: str | None = None,
    trusted: str | None = None,
    witnesses: Sequence[str] = (),
    quorum: int | None = None,
) -> ReportCheck:
    """Recompute the report's log-determined figures from the log at ``source``.

    Raises VerificationFailed when the log itself does not verify; a figure that differs is
    a FAIL line in the result (``check.failures``), so every figure is still listed.
    """
    key = vkey or report["log"]["vkey"]
    checkpoint = _report_checkpoint(report, key)
    prefix = _Prefix(checkpoint.size, LogFigures(period_of(report)))
    summary = verify_log(
        source, key, trusted, witnesses=witnesses, quorum=quorum, on_entries=prefix
    )
    check = ReportCheck()
    check.ok(
        f"log {summary.origin!r}: {summary.size} entries verified against its signed checkpoint"
        + (f", extends your trusted checkpoint of size {summary.trusted_size}" if trusted else "")
        + (f", cosigned by {', '.join(summary.witnesses)}" if summary.witnesses else "")
    )
    if summary.size < checkpoint.size:
        check.fail(
            f"the log serves {summary.size} entries, fewer than the report's checkpoint "
            f"({checkpoint.size}): it rolled back"
        )
        raise VerificationFailed(check.failures)
    root = prefix.builder.root()
    if root != checkpoint.root_hash:
        check.fail(
            f"the first {checkpoint.size} entries of the log have root "
            f"{base64.b64encode(root).decode()}, not the report checkpoint's "
            f"{base64.b64encode(checkpoint.root_hash).decode()}: the report was computed "
            "from another history (an entry changed or dropped)"
        )
    else:
        check.ok(f"the report's checkpoint (size {checkpoint.size}) is a prefix of the log")
    expected = _expected(prefix.figures, report)
    for figure in report["figures"]:
        key_name, basis, value = figure["key"], figure["basis"], figure["value"]
        if basis in ("log", "log+operator"):
            want = expected.get(key_name)
            if want == value:
                check.ok(f"{key_name} = {_short(value)}")
            else:
                check.fail(
                    f"{key_name}: the report says {_short(value)}, the log gives {_short(want)}"
                )
        else:
            check.lines.append(f"--    {key_name}: {basis}, not verifiable from the log")
    return check


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 160 else text[:157] + "..."
