"""Verifying the ledger without trusting its operator: one like's receipt, or the whole log.

* :func:`verify_receipt` checks a receipt offline, against the log's verifier key given by
  the user (never the one a receipt could carry: a receipt must not certify itself): the
  checkpoint signature (c2sp.org/signed-note, tlog-checkpoint), the RFC 9162 §2.1.3.2
  inclusion proof of the entry's leaf hash, the entry's encoding, and that the openings
  open the entry's account and device commitments (entries.py).
* :func:`verify_log` reads a whole log through its tile API (c2sp.org/tlog-tiles) or the
  local store, recomputes every leaf hash from the entry bundles, every stored tile hash
  and the root, compares them with the signed checkpoint, and checks that the log extends
  a checkpoint trusted earlier by recomputing that checkpoint's root from the same leaves.

Every failure is collected as one line that says what failed and where; they are raised
together as :class:`VerificationFailed`. A malformed key is a :class:`KeyFormatError`
(a usage mistake, not a verification result).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from plaudit.errors import InvalidInput
from plaudit.ledger.checkpoint import Checkpoint, open_checkpoint
from plaudit.ledger.cosignature import (
    CosignatureVerifier,
    parse_cosignature_verifier_key,
    verify_cosignature,
)
from plaudit.ledger.entries import (
    Entry,
    EntryFormatError,
    Kind,
    account_commitment,
    decode_entry,
    device_commitment,
)
from plaudit.ledger.errors import CheckpointError, LedgerError, NoteError, ProofError
from plaudit.ledger.keys import Ed25519Verifier, parse_verifier_key
from plaudit.ledger.merkle import EMPTY_ROOT, NodeRun, TreeBuilder, leaf_hash, leaf_hashes
from plaudit.ledger.note import parse_note
from plaudit.ledger.proofs import verify_inclusion
from plaudit.ledger.receipts import Receipt, ReceiptFormatError, parse_receipt
from plaudit.ledger.sources import HttpLog, LogSource
from plaudit.ledger.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    TileRef,
    decode_entry_bundle,
    decode_hash_tile,
    entry_bundles_for_size,
    format_tile_index,
    tiles_for_size,
)

__all__ = [
    "LogSummary",
    "ReceiptSummary",
    "VerificationFailed",
    "check_quorum",
    "verify_log",
    "verify_receipt",
]

MAX_REPORTED = 50
"""Most failures listed one by one; beyond, one line says how many more there were."""

EntriesHook = Callable[[int, list[bytes]], None]
ProgressHook = Callable[[int, int], None]


class VerificationFailed(LedgerError):
    """The receipt or the log does not verify; `failures` has one line per failed check.

    Do not trust the like, entry or checkpoint in question. A log that fails may be
    misbehaving: keep the evidence (the checkpoint, the tiles) and report it.
    """

    status = 500
    type = "verification-failed"
    title = "Verification failed"

    def __init__(self, failures: Sequence[str] | str, **extensions: Any) -> None:
        listed = [failures] if isinstance(failures, str) else list(failures)
        shown = listed[:MAX_REPORTED]
        if len(listed) > MAX_REPORTED:
            shown.append(f"... and {len(listed) - MAX_REPORTED} more failures")
        super().__init__("; ".join(shown), **extensions)
        self.failures = tuple(shown)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _log_key(vkey: str) -> Ed25519Verifier:
    return parse_verifier_key(vkey.strip())


def _label(verifier: Ed25519Verifier | CosignatureVerifier) -> str:
    return f"{verifier.name}+{verifier.key_id.hex()}"


def _open(note: str, verifier: Ed25519Verifier, what: str) -> Checkpoint:
    """The checkpoint, if signed by the log's key and named after it (tlog-checkpoint)."""
    try:
        checkpoint = open_checkpoint(note, [verifier])
    except (NoteError, CheckpointError) as exc:
        raise VerificationFailed(
            [f"{what} is not signed by the log key {_label(verifier)}: {exc}"]
        ) from None
    if checkpoint.origin != verifier.name:
        raise VerificationFailed(
            [f"{what} is for log {checkpoint.origin!r}, but the key is {verifier.name!r}'s"]
        )
    return checkpoint


def check_quorum(witnesses: int, quorum: int | None) -> int:
    """The number of cosignatures required: `quorum`, or every witness given when None."""
    if quorum is None:
        return witnesses
    if not 1 <= quorum <= witnesses:
        raise InvalidInput(
            f"a quorum of {quorum} needs between 1 and {witnesses} witnesses: give at least "
            f"{max(quorum, 1)} witness keys, or a quorum no larger than {witnesses}",
            field="quorum",
        )
    return quorum


def _witness_keys(witnesses: Sequence[str]) -> list[CosignatureVerifier]:
    """The witnesses' keys, each witness once: a key given twice would count twice towards
    the quorum, letting one witness stand for two."""
    keys = [parse_cosignature_verifier_key(w.strip()) for w in witnesses]
    seen: dict[bytes, CosignatureVerifier] = {}
    for key in keys:
        if key.public_key in seen:
            raise InvalidInput(
                f"witness key {_label(key)} is given twice (as {_label(seen[key.public_key])} "
                "too): a quorum counts each witness once; give each witness's key once",
                field="witness",
            )
        seen[key.public_key] = key
    return keys


def _witnessed(
    note: str, witnesses: Sequence[CosignatureVerifier], quorum: int | None
) -> tuple[list[str], tuple[str, ...]]:
    """Failures (when fewer than the quorum cosigned) and the witnesses that did cosign."""
    need = check_quorum(len(witnesses), quorum)
    missing: list[str] = []
    cosigned: list[str] = []
    for witness in witnesses:
        try:
            verify_cosignature(note, witness)
        except NoteError as exc:
            missing.append(f"witness {_label(witness)} did not cosign the checkpoint: {exc}")
        else:
            cosigned.append(witness.name)
    if len(cosigned) >= need:
        return [], tuple(cosigned)
    if quorum is None:
        return missing, tuple(cosigned)
    return [
        f"only {len(cosigned)} of the {len(witnesses)} witnesses cosigned the checkpoint, "
        f"fewer than the quorum of {need}: do not trust it (a log showing you a fork cannot "
        "get honest witnesses to cosign it)",
        *missing,
    ], tuple(cosigned)


def _cosigners(note: str, log: Ed25519Verifier) -> tuple[str, ...]:
    try:
        signatures = parse_note(note).signatures
    except NoteError:
        return ()
    return tuple(s.name for s in signatures if (s.name, s.key_id) != (log.name, log.key_id))


# --- receipts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptSummary:
    """What a verified receipt proves: this like, with this source, time and device."""

    origin: str
    size: int
    index: int
    video_id: int
    time: datetime
    source: str
    account_id: int
    device_id: str | None
    user_agent: str | None
    ip_prefix: str | None
    witnesses: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        device = "none recorded"
        if self.device_id is not None:
            device = (
                f"device id {self.device_id!r}, user agent {self.user_agent!r}, "
                f"IP prefix {self.ip_prefix!r}"
            )
        witnessed = ", ".join(self.witnesses) or "no witness checked"
        return [
            f"OK: like of video {self.video_id} by account {self.account_id}",
            f"  time:    {self.time.isoformat()}",
            f"  source:  {self.source}",
            f"  device:  {device}",
            f"  entry {self.index} of {self.origin!r}, in its signed checkpoint of size "
            f"{self.size}",
            f"  witnesses: {witnessed}",
        ]


def _receipt_entry(receipt: Receipt, failures: list[str]) -> Entry | None:
    try:
        entry = decode_entry(receipt.entry)
    except EntryFormatError as exc:
        failures.append(f"the receipt's entry is malformed: {exc}")
        return None
    if entry.kind != Kind.LIKE:
        failures.append(f"the receipt's entry is a {entry.kind.name.lower()}, not a like")
        return None
    return entry


def _opening_failures(receipt: Receipt, entry: Entry) -> list[str]:
    openings = receipt.openings
    failures = []
    expected = account_commitment(
        openings.account_id, entry.kind, entry.target_id, openings.account
    )
    if expected != entry.account:
        failures.append(
            f"the account opening does not open the entry's account commitment (account "
            f"{openings.account_id} on video {entry.target_id}): the entry is not this account's"
        )
    if entry.device is None and openings.device is not None:
        failures.append("the receipt carries a device opening but the entry commits to no device")
    elif entry.device is not None and openings.device is None:
        failures.append("the entry commits to a device but the receipt carries no device opening")
    elif entry.device is not None and openings.device is not None:
        device = device_commitment(
            openings.device, openings.device_key, openings.user_agent, openings.ip_prefix
        )
        if device != entry.device:
            failures.append(
                "the device opening (device id, user agent, IP prefix) does not open the "
                "entry's device commitment"
            )
    return failures


def verify_receipt(
    text: str, vkey: str, witnesses: Sequence[str] = (), quorum: int | None = None
) -> ReceiptSummary:
    """Verify a like's receipt offline against the log's verifier key `vkey`.

    `witnesses` are cosignature verifier keys; at least `quorum` of them (all of them when
    None) must have cosigned the checkpoint. Raises VerificationFailed listing every check
    that failed.
    """
    verifier = _log_key(vkey)
    cosigners = _witness_keys(witnesses)
    if cosigners or quorum is not None:
        check_quorum(len(cosigners), quorum)
    witnessed: tuple[str, ...] = ()
    try:
        receipt = parse_receipt(text)
    except ReceiptFormatError as exc:
        raise VerificationFailed([f"the receipt is malformed: {exc}"]) from None
    failures: list[str] = []
    checkpoint: Checkpoint | None = None
    try:
        checkpoint = _open(receipt.checkpoint, verifier, "the receipt's checkpoint")
    except VerificationFailed as exc:
        failures.extend(exc.failures)
    if checkpoint is not None:
        try:
            verify_inclusion(
                leaf_hash(receipt.entry),
                receipt.index,
                checkpoint.size,
                receipt.proof,
                checkpoint.root_hash,
            )
        except ProofError as exc:
            failures.append(
                f"the entry is not proven to be entry {receipt.index} of the checkpointed "
                f"tree (size {checkpoint.size}): {exc}"
            )
        witness_failures, witnessed = _witnessed(receipt.checkpoint, cosigners, quorum)
        failures.extend(witness_failures)
    entry = _receipt_entry(receipt, failures)
    if entry is not None:
        failures.extend(_opening_failures(receipt, entry))
    if failures or checkpoint is None or entry is None:
        raise VerificationFailed(failures)
    device = receipt.openings if entry.device is not None else None
    return ReceiptSummary(
        origin=checkpoint.origin,
        size=checkpoint.size,
        index=receipt.index,
        video_id=entry.target_id,
        time=datetime.fromtimestamp(entry.time_us / 1_000_000, UTC),
        source=entry.source,
        account_id=receipt.openings.account_id,
        device_id=device.device_key if device else None,
        user_agent=device.user_agent if device else None,
        ip_prefix=device.ip_prefix if device else None,
        witnesses=witnessed,
    )


# --- whole logs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LogSummary:
    """A verified log: its checkpoint (save it, pass it as `trusted` next time)."""

    origin: str
    size: int
    root_hash: bytes
    checkpoint: str
    trusted_size: int | None = None
    cosigners: tuple[str, ...] = ()
    witnesses: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        lines = [
            f"OK: {self.origin!r} has {self.size} entries; every leaf, tile and the root "
            f"{_b64(self.root_hash)} recomputed from the entries match its signed checkpoint"
        ]
        if self.trusted_size is not None:
            lines.append(f"  consistent with the trusted checkpoint of size {self.trusted_size}")
        if self.witnesses:
            lines.append(f"  cosigned by {', '.join(self.witnesses)} (verified)")
        elif self.cosigners:
            lines.append(f"  cosignatures by {', '.join(self.cosigners)} (not checked)")
        return lines


@dataclass
class _Replay:
    """Recomputes a tree of `size` leaves bundle by bundle, checking every served hash."""

    size: int
    upper: dict[tuple[int, int], list[bytes]]
    trusted: Checkpoint | None
    failures: list[str] = field(default_factory=list)
    builder: TreeBuilder = field(default_factory=TreeBuilder)
    upper_checked: int = 0

    def bundle(self, ref: TileRef, bundle: bytes, tile: bytes) -> list[bytes]:
        """Check one entry bundle against its level-0 tile and extend the tree with it."""
        first = ref.index * TILE_WIDTH
        try:
            entries = decode_entry_bundle(bundle, ref.width)
            hashes = decode_hash_tile(tile, ref.width)
        except LedgerError as exc:
            raise VerificationFailed(
                [*self.failures, f"{ref.path} or its tile (entries {first}..): {exc}"]
            ) from None
        computed = leaf_hashes(entries)
        for position, (entry, ours, served) in enumerate(
            zip(entries, computed, hashes, strict=True)
        ):
            index = first + position
            if ours != served:
                self.failures.append(
                    f"entry {index}: its leaf hash in tile/0 ({_b64(served)}) is not the hash "
                    f"of the entry served in {ref.path} ({_b64(ours)})"
                )
            try:
                decode_entry(entry)
            except EntryFormatError as exc:
                self.failures.append(f"entry {index} is malformed: {exc}")
        self._append(computed)
        return entries

    def _append(self, hashes: list[bytes]) -> None:
        """Extend the tree; on reaching the trusted size, compare the root there."""
        start, cut = self.builder.size, len(hashes)
        crosses = self.trusted is not None and start < self.trusted.size <= start + cut
        if crosses:
            assert self.trusted is not None
            cut = self.trusted.size - start
        self._check_upper(self.builder.append(hashes[:cut]))
        if crosses:
            self._check_trusted()
        self._check_upper(self.builder.append(hashes[cut:]))

    def _check_trusted(self) -> None:
        assert self.trusted is not None
        root = self.builder.root()
        if root != self.trusted.root_hash:
            self.failures.append(
                f"the log does not extend the trusted checkpoint: its first "
                f"{self.trusted.size} entries have root {_b64(root)}, the trusted checkpoint "
                f"says {_b64(self.trusted.root_hash)} (history was rewritten or forked)"
            )

    def _check_upper(self, runs: list[NodeRun]) -> None:
        """Compare every completed node stored in a tile above level 0 with the served one."""
        for run in runs:
            if run.level == 0 or run.level % TILE_HEIGHT:
                continue
            tile_level = run.level // TILE_HEIGHT
            for offset, digest in enumerate(run.hashes):
                tile_index, position = divmod(run.start + offset, TILE_WIDTH)
                served = self.upper.get((tile_level, tile_index), [])
                if position >= len(served):
                    continue  # not served at this size: the node lies beyond its tiles
                self.upper_checked += 1
                if served[position] != digest:
                    path = f"tile/{tile_level}/{format_tile_index(tile_index)}"
                    self.failures.append(
                        f"{path} hash #{position} is not the hash of the entries below it"
                        f" ({_b64(served[position])} served, "
                        f"{_b64(digest)} recomputed)"
                    )


def _upper_tiles(log: LogSource, size: int) -> dict[tuple[int, int], list[bytes]]:
    refs = [ref for ref in tiles_for_size(size) if ref.level > 0]
    upper: dict[tuple[int, int], list[bytes]] = {}
    for ref, data in zip(refs, log.fetch(refs), strict=True):
        try:
            upper[(ref.level, ref.index)] = decode_hash_tile(data, ref.width)
        except LedgerError as exc:
            raise VerificationFailed([f"{ref.path}: {exc}"]) from None
    return upper


def _replay(
    log: LogSource,
    size: int,
    trusted: Checkpoint | None,
    on_entries: EntriesHook | None,
    on_progress: ProgressHook | None,
) -> _Replay:
    upper = _upper_tiles(log, size)
    replay = _Replay(size, upper, trusted)
    if trusted is not None and trusted.size == 0 and trusted.root_hash != EMPTY_ROOT:
        replay.failures.append("the trusted checkpoint of size 0 does not have the empty root")
    bundles = entry_bundles_for_size(size)
    level0 = [ref for ref in tiles_for_size(size) if ref.level == 0]
    interleaved = [ref for pair in zip(bundles, level0, strict=True) for ref in pair]
    fetched = log.fetch(interleaved)
    for ref, bundle, tile in zip(bundles, fetched, fetched, strict=True):
        entries = replay.bundle(ref, bundle, tile)
        if on_entries is not None:
            on_entries(ref.index * TILE_WIDTH, entries)
        if on_progress is not None:
            on_progress(replay.builder.size, size)
    expected = sum(len(hashes) for hashes in upper.values())
    if replay.upper_checked != expected:
        replay.failures.append(
            f"the tiles above level 0 hold {expected} hashes, but only "
            f"{replay.upper_checked} are nodes of a tree of size {size}"
        )
    return replay


def verify_log(
    source: str | LogSource,
    vkey: str,
    trusted_checkpoint: str | None = None,
    *,
    witnesses: Sequence[str] = (),
    quorum: int | None = None,
    on_entries: EntriesHook | None = None,
    on_progress: ProgressHook | None = None,
) -> LogSummary:
    """Verify a whole log, read through its tile API (a base URL) or any LogSource.

    `trusted_checkpoint` is a signed checkpoint of the same log verified earlier: the log
    must extend it. `on_entries(first_index, entries)` sees every entry, in order, once it
    is checked against its tile (the audit tallies with it); `on_progress(done, size)`
    follows along. At least `quorum` of the `witnesses` (all when None) must have cosigned
    the checkpoint.
    """
    verifier = _log_key(vkey)
    cosigners = _witness_keys(witnesses)
    if cosigners or quorum is not None:
        check_quorum(len(cosigners), quorum)
    if isinstance(source, str):
        with HttpLog(source) as log:
            return verify_log(
                log,
                vkey,
                trusted_checkpoint,
                witnesses=witnesses,
                quorum=quorum,
                on_entries=on_entries,
                on_progress=on_progress,
            )
    note = source.checkpoint()
    checkpoint = _open(note, verifier, "the log's checkpoint")
    trusted = _trusted(trusted_checkpoint, verifier, checkpoint)
    replay = _replay(source, checkpoint.size, trusted, on_entries, on_progress)
    witness_failures, witnessed = _witnessed(note, cosigners, quorum)
    failures = replay.failures + witness_failures
    root = replay.builder.root()
    if root != checkpoint.root_hash:
        failures.append(
            f"the root recomputed from the {checkpoint.size} entries ({_b64(root)}) is not "
            f"the checkpoint's root ({_b64(checkpoint.root_hash)})"
        )
    if failures:
        raise VerificationFailed(failures)
    return LogSummary(
        origin=checkpoint.origin,
        size=checkpoint.size,
        root_hash=root,
        checkpoint=note,
        trusted_size=None if trusted is None else trusted.size,
        cosigners=_cosigners(note, verifier),
        witnesses=witnessed,
    )


def _trusted(note: str | None, verifier: Ed25519Verifier, latest: Checkpoint) -> Checkpoint | None:
    if note is None:
        return None
    trusted = _open(note, verifier, "the trusted checkpoint")
    if trusted.size > latest.size:
        raise VerificationFailed(
            [
                f"the log's checkpoint has size {latest.size}, smaller than the trusted "
                f"checkpoint's {trusted.size}: the log rolled back"
            ]
        )
    return trusted
