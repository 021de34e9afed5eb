"""`plaudit ledger`: the log's key, and verifying receipts, logs and counts from the outside.

Exit status: 0 everything verified, 1 a verification failed (one `FAIL:` line per failed
check on stderr) or the log could not be read, 2 a usage mistake (bad flags, a malformed key).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from plaudit.cli.common import (
    fail_verification,
    log_progress,
    open_platform,
    print_json,
    settings_from,
    settings_options,
    verification_reported,
)
from plaudit.ledger.cosignature import parse_cosignature_verifier_key
from plaudit.ledger.errors import KeyFormatError
from plaudit.ledger.keys import parse_verifier_key
from plaudit.ledger.keystore import load_or_create_signer
from plaudit.ledger.sources import HttpLog, StoreLog
from plaudit.ledger.verify import verify_log, verify_receipt
from plaudit.ledgerstore.audit import AuditReport, HttpCounts, StoreCounts, audit

__all__ = ["ledger"]

PROGRESS_FROM = 64 * 256
"""Logs of at least this many entries get a progress bar (when stderr is a terminal)."""

_vkey_option = click.option(
    "--vkey", help="The log's verifier key `name+id+base64` (from `plaudit ledger key`)."
)
_vkey_file_option = click.option(
    "--vkey-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file holding the log's verifier key.",
)


@click.group()
def ledger() -> None:
    """The like ledger: its public key; verify receipts, the whole log and its counts.

    Nothing here trusts the server: receipts and logs are checked against the log's
    verifier key that you pass with --vkey (see docs/ledger-format.md).
    """


@ledger.command()
@settings_options
def key(config_file: Path | None, data_dir: str | None, database_url: str | None) -> None:
    """Print the log's verifier key (created in DATA_DIR/ledger-signer.key on first use)."""
    settings = settings_from(config_file, data_dir=data_dir, database_url=database_url)
    click.echo(
        load_or_create_signer(settings.data_path, settings.ledger_origin).verifier().key_string
    )


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.UsageError(f"cannot read {what} {path}: {exc}") from None


def _given_vkey(vkey: str | None, vkey_file: Path | None) -> str | None:
    if vkey and vkey_file:
        raise click.UsageError("give the log's key once: --vkey or --vkey-file, not both")
    text = _read(vkey_file, "the key file").strip() if vkey_file else vkey
    if text is not None:
        try:
            parse_verifier_key(text.strip())
        except KeyFormatError as exc:
            raise click.UsageError(f"the log's key is malformed: {exc}") from None
    return text


def _checked_witnesses(witnesses: Sequence[str]) -> list[str]:
    for witness in witnesses:
        try:
            parse_cosignature_verifier_key(witness.strip())
        except KeyFormatError as exc:
            raise click.UsageError(f"--witness {witness!r}: {exc}") from None
    return list(witnesses)


def _served_vkey(log: HttpLog) -> str:
    served = log.vkey()
    click.echo(
        f"warning: no --vkey given; trusting the key {log.base_url} serves ({served}). "
        "Pin it with --vkey to detect a server that swaps its key.",
        err=True,
    )
    return served


def _save(path: Path, checkpoint: str) -> None:
    """Write the checkpoint atomically, so an interrupted save never leaves half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(checkpoint, encoding="utf-8")
    os.replace(partial, path)


@ledger.command()
@click.argument(
    "receipt", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--url", help="Verify the whole log served at this base URL instead.")
@_vkey_option
@_vkey_file_option
@click.option(
    "--witness",
    "witnesses",
    multiple=True,
    help="A witness's cosignature key whose cosignature must be on the checkpoint (repeat).",
)
@click.option(
    "--quorum",
    type=click.IntRange(min=1),
    help="How many of the --witness keys must have cosigned (default: all of them).",
)
@click.option(
    "--trusted",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="With --url: a checkpoint saved earlier (--save); the log must extend it.",
)
@click.option(
    "--save",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --url: write the verified checkpoint here, to pass as --trusted next time.",
)
def verify(
    receipt: Path | None,
    url: str | None,
    vkey: str | None,
    vkey_file: Path | None,
    witnesses: tuple[str, ...],
    quorum: int | None,
    trusted: Path | None,
    save: Path | None,
) -> None:
    """Verify a like's RECEIPT offline, or with --url a whole log through its tile API.

    A receipt (`like-<id>.tlog-proof`) is checked against the log's key: the checkpoint's
    signature, the inclusion proof of the entry, and that the openings open the entry's
    account and device commitments. It prints the like's video, time, source and device.

    With --url, every entry bundle and tile is fetched, every leaf hash and the root are
    recomputed and compared with the signed checkpoint, and with --trusted the log must
    extend the checkpoint saved earlier.
    """
    if (receipt is None) == (url is None):
        raise click.UsageError("give either a RECEIPT file or --url URL")
    if receipt is not None and (trusted or save):
        raise click.UsageError("--trusted and --save go with --url")
    key = _given_vkey(vkey, vkey_file)
    checked = _checked_witnesses(witnesses)
    if quorum is not None and quorum > len(checked):
        raise click.UsageError(
            f"--quorum {quorum} needs at least {quorum} --witness keys, got {len(checked)}"
        )
    if receipt is not None:
        if key is None:
            raise click.UsageError(
                "a receipt is verified against the log's key: pass --vkey or --vkey-file "
                "(`plaudit ledger key`, or GET /ledger/vkey from a source you trust)"
            )
        try:
            text = receipt.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            fail_verification([f"the receipt is not UTF-8 text: {exc}"])
        with verification_reported():
            summary = verify_receipt(text, key, checked, quorum)
        click.echo("\n".join(summary.lines()))
        return
    assert url is not None
    trusted_text = _read(trusted, "the trusted checkpoint") if trusted else None
    with (
        verification_reported(),
        HttpLog(url) as log,
        log_progress("verifying the log", PROGRESS_FROM) as progress,
    ):
        result = verify_log(
            log,
            key or _served_vkey(log),
            trusted_text,
            witnesses=checked,
            quorum=quorum,
            on_progress=progress,
        )
    if save is not None:
        _save(save, result.checkpoint)
    click.echo("\n".join(result.lines()))
    if save is not None:
        click.echo(f"  checkpoint saved to {save}; pass --trusted {save} next time")


@ledger.command("audit")
@click.option("--url", help="Audit the platform served at this base URL (default: local store).")
@_vkey_option
@_vkey_file_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@settings_options
def audit_command(
    url: str | None,
    vkey: str | None,
    vkey_file: Path | None,
    as_json: bool,
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """Recompute every video's counts from the log alone and compare with the published ones.

    Active likes are likes minus unlikes paired by account commitment; incentivised ones
    have a `campaign:<id>` source; comments and shares are counted. Each count is compared
    with GET /v1/videos/{id} (with --url) or the local store's counters.
    """
    key = _given_vkey(vkey, vkey_file)
    with verification_reported(), log_progress("auditing the log", PROGRESS_FROM) as progress:
        if url is not None:
            with HttpLog(url) as log:
                report = audit(log, HttpCounts(log), key or _served_vkey(log), on_progress=progress)
            pending = 0
        else:
            with open_platform(config_file, data_dir, database_url) as platform:
                ledger_service = platform.ledger
                report = audit(
                    StoreLog(ledger_service),
                    StoreCounts(platform.videos),
                    key or ledger_service.vkey,
                    on_progress=progress,
                )
                pending = ledger_service.pending()
    _print_report(report, pending, as_json)
    if not report.ok:
        sys.exit(1)


def _print_report(report: AuditReport, pending: int, as_json: bool) -> None:
    if as_json:
        print_json(_report_json(report, pending))
        return
    lines = report.lines()
    click.echo(lines[0])
    for line in lines[1:]:
        click.echo(f"FAIL: {line}", err=True)
    if pending and not report.ok:
        click.echo(
            f"note: {pending} interactions are not yet in a signed checkpoint; counts that "
            "include them cannot match until they are (run the audit again)",
            err=True,
        )


def _report_json(report: AuditReport, pending: int) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "origin": report.log.origin,
        "size": report.log.size,
        "pending": pending,
        "videos": {str(k): vars(v) for k, v in sorted(report.videos.items())},
        "mismatches": [vars(m) | {"line": m.line()} for m in report.mismatches],
        "anomalies": report.anomalies,
        "quarantined": report.quarantined,
    }


@ledger.command("quarantine")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@settings_options
def quarantine_command(
    as_json: bool, config_file: Path | None, data_dir: str | None, database_url: str | None
) -> None:
    """List the events the integrator could not encode (exit status 1 when there are any).

    Each one holds its index in the log as a QUARANTINED placeholder entry, so later
    interactions keep being integrated; the interaction itself is not in the log. See
    "Quarantined events" in docs/ledger-format.md for what to do.
    """
    with open_platform(config_file, data_dir, database_url) as platform:
        rows = platform.ledger.quarantined()
    if as_json:
        print_json(
            [
                {
                    "seq": r.seq,
                    "kind": r.kind,
                    "ref_id": r.ref_id,
                    "reason": r.reason,
                    "quarantined_at": r.quarantined_at.isoformat(),
                }
                for r in rows
            ]
        )
    else:
        click.echo(f"{len(rows)} quarantined events")
        for r in rows:
            click.echo(
                f"seq {r.seq}: {r.kind} {r.ref_id} at {r.quarantined_at.isoformat()}: {r.reason}"
            )
    if rows:
        sys.exit(1)
