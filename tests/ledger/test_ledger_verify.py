"""verify_receipt and verify_log against logs built in memory, honest and tampered."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from plaudit.ledger import (
    Checkpoint,
    CosignatureSigner,
    Ed25519Signer,
    KeyFormatError,
    TreeBuilder,
    cosign_checkpoint,
    encode_entry_bundle,
    entry_bundles_for_size,
    hash_tile_from_nodes,
    inclusion_proof,
    leaf_hashes,
    parse_note,
    sign_checkpoint,
    tiles_for_size,
)
from plaudit.ledger.entries import (
    Entry,
    Kind,
    account_commitment,
    account_opening,
    device_commitment,
    device_opening,
    encode_entry,
)
from plaudit.ledger.receipts import Openings, format_receipt
from plaudit.ledger.sources import HttpLog, LogUnavailable
from plaudit.ledger.tiles import TileRef
from plaudit.ledger.verify import VerificationFailed, verify_log, verify_receipt
from plaudit.ledgerstore.audit import Tally, VideoCounts

LOG = Ed25519Signer("test.example/ledger", bytes(range(32)))
VKEY = LOG.verifier().key_string
OTHER = Ed25519Signer("test.example/ledger", bytes(32))  # same origin, another key
WITNESS = CosignatureSigner("witness.example/w1", b"w" * 32, clock=lambda: 1_700_000_000)
SECRET = b"k" * 32
ACCOUNT = 31


def like(index: int, video: int, source: str = "app") -> tuple[bytes, Openings]:
    """A like entry at `index` with its openings, as the integrator would make it."""
    opening = account_opening(SECRET, Kind.LIKE, video)
    device = device_opening(SECRET, index)
    entry = Entry(
        Kind.LIKE,
        1_700_000_000_000_000 + index,
        video,
        source,
        account_commitment(ACCOUNT, Kind.LIKE, video, opening),
        device_commitment(device, "phone", "agent/1", "198.51.100.0/24"),
    )
    return encode_entry(entry), Openings(
        ACCOUNT, opening, device, "phone", "agent/1", "198.51.100.0/24"
    )


@dataclass
class MemoryLog:
    """A tlog-tiles log in memory: what a server would serve at each path."""

    entries: list[bytes]
    signer: Ed25519Signer = LOG
    nodes: dict[tuple[int, int], bytes] = field(default_factory=dict)
    served: dict[str, bytes] = field(default_factory=dict)
    note: str = ""

    def __post_init__(self) -> None:
        builder = TreeBuilder()
        for run in builder.append(leaf_hashes(self.entries)):
            for offset, digest in enumerate(run.hashes):
                self.nodes[(run.level, run.start + offset)] = digest
        size = len(self.entries)
        for ref in tiles_for_size(size):
            self.served[ref.path] = hash_tile_from_nodes(ref, self.read_node)
        for ref in entry_bundles_for_size(size):
            first = ref.index * 256
            self.served[ref.path] = encode_entry_bundle(self.entries[first : first + ref.width])
        checkpoint = Checkpoint(self.signer.name, size, builder.root())
        self.note = sign_checkpoint(checkpoint, [self.signer])

    def read_node(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]

    def checkpoint(self) -> str:
        return self.note

    def fetch(self, refs: Iterable[TileRef]) -> Iterator[bytes]:
        for ref in refs:
            if ref.path not in self.served:
                raise LogUnavailable(f"{ref.path} is not served")
            yield self.served[ref.path]

    def receipt(self, index: int, openings: Openings) -> str:
        size = len(self.entries)
        proof = inclusion_proof(index, size, self.read_node)
        return format_receipt(index, proof, self.note, self.entries[index], openings)


def make_log(size: int) -> tuple[MemoryLog, list[Openings]]:
    made = [
        like(i, video=1 + i % 7, source="campaign:3" if i % 5 == 0 else "app") for i in range(size)
    ]
    return MemoryLog([e for e, _ in made]), [o for _, o in made]


SMALL, SMALL_OPENINGS = make_log(13)


def failures_of(excinfo: pytest.ExceptionInfo[VerificationFailed]) -> str:
    return "\n".join(excinfo.value.failures)


# --- receipts -------------------------------------------------------------------------------


def test_an_honest_receipt_verifies_and_says_what_it_proves() -> None:
    summary = verify_receipt(SMALL.receipt(5, SMALL_OPENINGS[5]), VKEY)
    assert (summary.index, summary.size, summary.video_id) == (5, 13, 1 + 5 % 7)
    assert summary.source == "campaign:3"
    assert summary.account_id == ACCOUNT
    assert summary.device_id == "phone"
    assert summary.ip_prefix == "198.51.100.0/24"
    assert summary.time.timestamp() == pytest.approx(1_700_000_000.000005)
    assert "like of video 6 by account 31" in "\n".join(summary.lines())


def _tamper_extra(text: str, change: dict[str, object]) -> str:
    lines = text.split("\n")
    extra = json.loads(base64.b64decode(lines[1][6:]))
    extra["openings"].update(change)
    lines[1] = "extra " + base64.b64encode(json.dumps(extra).encode()).decode()
    return "\n".join(lines)


def _flip_entry_byte(text: str, position: int) -> str:
    lines = text.split("\n")
    extra = json.loads(base64.b64decode(lines[1][6:]))
    entry = bytearray(base64.b64decode(extra["entry"]))
    entry[position] ^= 0x01
    extra["entry"] = base64.b64encode(bytes(entry)).decode()
    lines[1] = "extra " + base64.b64encode(json.dumps(extra).encode()).decode()
    return "\n".join(lines)


def _flip_proof_hash(text: str) -> str:
    lines = text.split("\n")
    digest = bytearray(base64.b64decode(lines[3]))
    digest[0] ^= 0x80
    lines[3] = base64.b64encode(bytes(digest)).decode()
    return "\n".join(lines)


RECEIPT = SMALL.receipt(5, SMALL_OPENINGS[5])


@pytest.mark.parametrize(
    ("tampered", "expected"),
    [
        (_flip_entry_byte(RECEIPT, 12), "is not proven to be entry 5"),
        (_flip_entry_byte(RECEIPT, 40), "account opening does not open"),
        (_flip_entry_byte(RECEIPT, 70), "device opening (device id, user agent, IP prefix)"),
        (
            _tamper_extra(RECEIPT, {"account": base64.b64encode(b"x" * 32).decode()}),
            "account opening does not open",
        ),
        (_tamper_extra(RECEIPT, {"account_id": ACCOUNT + 1}), "(account 32 on video 6)"),
        (_tamper_extra(RECEIPT, {"device": None}), "receipt carries no device opening"),
        (_flip_proof_hash(RECEIPT), "does not lead to the root of size 13"),
        (RECEIPT.replace("index 5", "index 6"), "is not proven to be entry 6"),
    ],
)
def test_tampered_receipts_fail_with_what_failed(tampered: str, expected: str) -> None:
    with pytest.raises(VerificationFailed) as excinfo:
        verify_receipt(tampered, VKEY)
    assert expected in failures_of(excinfo)


def test_a_changed_device_detail_fails() -> None:
    tampered = _tamper_extra(
        RECEIPT,
        {
            "device": {
                "opening": base64.b64encode(SMALL_OPENINGS[5].device or b"").decode(),
                "device_id": "another-phone",
                "user_agent": "agent/1",
                "ip_prefix": "198.51.100.0/24",
            }
        },
    )
    with pytest.raises(VerificationFailed, match="does not open the entry's device commitment"):
        verify_receipt(tampered, VKEY)


def test_a_receipt_does_not_certify_itself() -> None:
    """Another log's key (same origin) re-signing the same tree: rejected by our key."""
    forged_note = sign_checkpoint(Checkpoint(LOG.name, 13, _root(SMALL)), [OTHER])
    forged = RECEIPT.split("\n\n")[0] + "\n\n" + forged_note
    with pytest.raises(VerificationFailed) as excinfo:
        verify_receipt(forged, VKEY)
    assert f"not signed by the log key {LOG.name}+{LOG.key_id.hex()}" in failures_of(excinfo)
    # ... and under the other key the receipt verifies: trust is only the key you pass.
    assert verify_receipt(forged, OTHER.verifier().key_string).index == 5


def _root(log: MemoryLog) -> bytes:
    return base64.b64decode(log.note.split("\n")[2])


def test_a_receipt_checked_under_another_logs_key_fails() -> None:
    with pytest.raises(VerificationFailed, match="not signed by the log key"):
        verify_receipt(RECEIPT, OTHER.verifier().key_string)


def test_a_malformed_receipt_or_key() -> None:
    with pytest.raises(VerificationFailed, match="the receipt is malformed"):
        verify_receipt("hello\n", VKEY)
    with pytest.raises(KeyFormatError):
        verify_receipt(RECEIPT, "not a key")


def test_a_receipt_for_something_else_than_a_like_fails() -> None:
    entry = Entry(Kind.SHARE, 1, 2, "app", bytes(32), channel="wechat")
    log = MemoryLog([encode_entry(entry)])
    with pytest.raises(VerificationFailed, match="is a share, not a like"):
        verify_receipt(log.receipt(0, SMALL_OPENINGS[0]), VKEY)


def test_witness_cosignatures_are_checked_when_asked_for() -> None:
    checkpoint = Checkpoint(LOG.name, 13, _root(SMALL))
    cosigned = SMALL.note + cosign_checkpoint(checkpoint, WITNESS).line
    receipt = RECEIPT.split("\n\n")[0] + "\n\n" + cosigned
    witness = WITNESS.verifier().key_string
    assert verify_receipt(receipt, VKEY, [witness]).witnesses == ("witness.example/w1",)
    with pytest.raises(VerificationFailed, match=r"witness witness\.example/w1.* did not cosign"):
        verify_receipt(RECEIPT, VKEY, [witness])


# --- whole logs -----------------------------------------------------------------------------

BIG, _ = make_log(600)  # two full level-0 tiles and a partial one; a level-1 tile of width 2


def test_an_honest_log_verifies() -> None:
    seen: list[int] = []
    progress: list[tuple[int, int]] = []
    summary = verify_log(
        BIG,
        VKEY,
        on_entries=lambda first, entries: seen.extend(range(first, first + len(entries))),
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert (summary.size, summary.origin) == (600, LOG.name)
    assert seen == list(range(600))
    assert progress[-1] == (600, 600)
    assert summary.checkpoint == BIG.note


@pytest.mark.parametrize("old", [1, 255, 256, 257, 512, 599, 600])
def test_a_log_extends_its_earlier_checkpoints(old: int) -> None:
    earlier = MemoryLog(BIG.entries[:old])
    assert verify_log(BIG, VKEY, earlier.note).trusted_size == old


def test_a_forked_history_is_detected() -> None:
    entries = list(BIG.entries[:300])
    entries[100] = like(100, video=99)[0]
    fork = MemoryLog(entries)
    with pytest.raises(
        VerificationFailed, match="does not extend the trusted checkpoint: its first 300"
    ):
        verify_log(BIG, VKEY, fork.note)


def test_a_trusted_checkpoint_of_another_log_is_refused() -> None:
    other = MemoryLog(BIG.entries[:10], signer=OTHER)
    with pytest.raises(VerificationFailed, match="trusted checkpoint is not signed by the log key"):
        verify_log(BIG, VKEY, other.note)


def test_a_rolled_back_log_is_detected() -> None:
    with pytest.raises(VerificationFailed, match="the log rolled back"):
        verify_log(SMALL, VKEY, BIG.note)


def test_a_checkpoint_under_another_key_is_refused() -> None:
    with pytest.raises(VerificationFailed, match="log's checkpoint is not signed by the log key"):
        verify_log(MemoryLog(BIG.entries, signer=OTHER), VKEY)


def _served_with(log: MemoryLog, path: str, data: bytes) -> MemoryLog:
    tampered = MemoryLog(log.entries)
    tampered.served = {**log.served, path: data}
    return tampered


def test_a_changed_entry_is_located() -> None:
    bundle = bytearray(BIG.served["tile/entries/001"])
    bundle[2 + 20] ^= 0x01  # inside entry 256 (after its 2-byte length)
    tampered = _served_with(BIG, "tile/entries/001", bytes(bundle))
    with pytest.raises(VerificationFailed) as excinfo:
        verify_log(tampered, VKEY)
    text = failures_of(excinfo)
    assert "entry 256: its leaf hash in tile/0" in text
    assert "the root recomputed from the 600 entries" in text


def test_a_changed_upper_tile_is_located() -> None:
    tile = bytearray(BIG.served["tile/1/000.p/2"])
    tile[40] ^= 0x01
    tampered = _served_with(BIG, "tile/1/000.p/2", bytes(tile))
    with pytest.raises(VerificationFailed, match=r"tile/1/000 hash #1 is not the hash"):
        verify_log(tampered, VKEY)


def test_a_truncated_bundle_is_reported() -> None:
    tampered = _served_with(BIG, "tile/entries/002.p/88", BIG.served["tile/entries/002.p/88"][:-1])
    with pytest.raises(VerificationFailed, match=r"tile/entries/002.p/88 or its tile"):
        verify_log(tampered, VKEY)


def test_a_missing_tile_is_unavailable_not_verified() -> None:
    log = MemoryLog(BIG.entries)
    del log.served["tile/0/001"]
    with pytest.raises(LogUnavailable, match="tile/0/001"):
        verify_log(log, VKEY)


def test_cosigners_are_named_and_checked_when_asked() -> None:
    log = MemoryLog(SMALL.entries)
    checkpoint = Checkpoint(LOG.name, 13, _root(SMALL))
    log.note += cosign_checkpoint(checkpoint, WITNESS).line
    summary = verify_log(log, VKEY)
    assert summary.cosigners == ("witness.example/w1",)
    assert verify_log(log, VKEY, witnesses=[WITNESS.verifier().key_string]).witnesses
    assert len(parse_note(log.note).signatures) == 2


# --- the audit's tally ----------------------------------------------------------------------


def _entry(kind: Kind, video: int, account: bytes, source: str = "app") -> bytes:
    body = bytes(32) if kind == Kind.COMMENT else None
    channel = "qq" if kind == Kind.SHARE else None
    return encode_entry(Entry(kind, 1, video, source, account, None, body, channel))


def test_the_tally_pairs_unlikes_with_likes_by_commitment() -> None:
    a, b = b"a" * 32, b"b" * 32
    tally = Tally()
    tally.add(
        0,
        [
            _entry(Kind.LIKE, 1, a, "campaign:4"),
            _entry(Kind.LIKE, 1, b),
            _entry(Kind.UNLIKE, 1, b),
            _entry(Kind.LIKE, 1, b, "campaign:4"),
            _entry(Kind.UNLIKE, 1, a),
            _entry(Kind.LIKE, 1, a),
            _entry(Kind.COMMENT, 1, a),
            _entry(Kind.SHARE, 2, b),
            _entry(Kind.FOLLOW, 9, a),
            _entry(Kind.UNFOLLOW, 9, a),
        ],
    )
    assert tally.videos() == {
        1: VideoCounts(likes=2, incentivised=1, comments=1),
        2: VideoCounts(shares=1),
    }
    assert tally.anomalies == []


def test_the_tally_reports_what_cannot_happen() -> None:
    a = b"a" * 32
    tally = Tally()
    tally.add(
        40,
        [
            _entry(Kind.LIKE, 1, a),
            _entry(Kind.LIKE, 1, a),
            _entry(Kind.UNLIKE, 2, a),
            _entry(Kind.UNFOLLOW, 3, a),
        ],
    )
    assert tally.videos() == {1: VideoCounts(likes=1)}
    assert [line.split(":")[0] for line in tally.anomalies] == ["entry 41", "entry 42", "entry 43"]
    assert "a second like of video 1" in tally.anomalies[0]
    assert "while its like (entry 40) is active" in tally.anomalies[0]
    assert "an unlike of video 2" in tally.anomalies[1]
    assert "an unfollow of creator 3" in tally.anomalies[2]


# --- over HTTP ------------------------------------------------------------------------------


def _transport(checkpoint: str, log: MemoryLog) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/ledger/")
        if path == "checkpoint":
            return httpx.Response(200, text=checkpoint)
        if path in log.served:
            return httpx.Response(200, content=log.served[path])
        return httpx.Response(404, text="not found")

    return httpx.MockTransport(handle)


def test_over_http_a_replaced_partial_tile_is_read_from_its_full_tile() -> None:
    """tlog-tiles lets a log drop a partial tile once the full one exists; the client then
    reads the full tile's prefix. Checkpoint at 600, tiles of a log grown to 768."""
    grown, _ = make_log(768)
    both = MemoryLog(BIG.entries)
    both.served = {**BIG.served, **grown.served}
    del both.served["tile/0/002.p/88"], both.served["tile/entries/002.p/88"]
    with HttpLog("http://log.test", transport=_transport(BIG.note, both)) as log:
        assert verify_log(log, VKEY).size == 600


def test_over_http_errors_are_unavailable_not_failures() -> None:
    transport = _transport(BIG.note, MemoryLog(BIG.entries[:300]))
    with (
        HttpLog("http://log.test", transport=transport) as log,
        pytest.raises(
            LogUnavailable,
            match=r"log\.test/ledger/tile/1/000\.p/2 is not served \(404\), nor its full tile",
        ),
    ):
        verify_log(log, VKEY)
