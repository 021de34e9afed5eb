"""The tlog-witness witness: the spec's request rules, its state, and split views caught."""

from __future__ import annotations

import base64
import itertools
import os
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from plaudit.errors import InvalidInput
from plaudit.ledger import (
    Checkpoint,
    CosignatureSigner,
    Ed25519Signer,
    TreeBuilder,
    consistency_proof,
    leaf_hashes,
    parse_note,
    sign_checkpoint,
    verify_cosignature,
)
from plaudit.ledger.verify import VerificationFailed, verify_log
from plaudit.witness.core import Witness, parse_submission
from plaudit.witness.errors import (
    BadSubmission,
    ForkDetected,
    InconsistentCheckpoint,
    NotSignedByLog,
    SizeMismatch,
    UnknownLog,
)
from plaudit.witness.keystore import KEY_FILE, STATE_FILE, load_or_create_witness_key
from plaudit.witness.server import SIZE_CONTENT_TYPE, create_witness_app
from tests.ledger.test_ledger_verify import MemoryLog, like

LOG = Ed25519Signer("test.example/ledger", bytes(range(32)))
IMPOSTOR = Ed25519Signer("test.example/ledger", bytes(32))

# c2sp.org/tlog-witness, "add-checkpoint": the example request body.
SPEC_BODY = (
    "old 20852014\n"
    "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
    "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
    "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n"
    "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n"
    "\n"
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q"
    "1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V62"
    "67UEjw6QUXTS5Rovnzv++qbSzm9Q=\n"
)


class Tree:
    """A log's tree in memory: its checkpoint at any size and consistency proofs."""

    def __init__(self, entries: list[bytes], signer: Ed25519Signer = LOG) -> None:
        self.entries = entries
        self.signer = signer
        self.nodes: dict[tuple[int, int], bytes] = {}
        for run in TreeBuilder().append(leaf_hashes(entries)):
            for offset, digest in enumerate(run.hashes):
                self.nodes[(run.level, run.start + offset)] = digest

    def read(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]

    def note(self, size: int) -> str:
        builder = TreeBuilder()
        builder.append(leaf_hashes(self.entries[:size]))
        return sign_checkpoint(Checkpoint(self.signer.name, size, builder.root()), [self.signer])

    def body(self, old: int, size: int, note: str | None = None) -> bytes:
        proof = consistency_proof(old, size, self.read) if old else []
        lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
        return ("".join(line + "\n" for line in lines) + "\n" + (note or self.note(size))).encode()


def entries(count: int, video_offset: int = 0) -> list[bytes]:
    return [like(i, video=1 + (i + video_offset) % 5)[0] for i in range(count)]


HONEST = Tree(entries(40))
# A fork: the same first 7 entries, then different ones, signed by the same log key.
FORK = Tree(HONEST.entries[:7] + entries(33, video_offset=2)[7:])


def make_witness(tmp_path: Path, name: str = "witness.example/w1") -> Witness:
    directory = tmp_path / name.replace("/", "_")
    signer = load_or_create_witness_key(directory, name)
    return Witness(signer, [LOG.verifier()], directory / STATE_FILE)


def test_the_spec_example_request_parses() -> None:
    submission = parse_submission(SPEC_BODY.encode())
    assert submission.old_size == 20852014
    assert len(submission.proof) == 4
    assert submission.proof[0] == base64.b64decode("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=")
    assert submission.checkpoint.startswith("example.com/behind-the-sofa\n20852163\n")
    assert len(parse_note(submission.checkpoint).signatures) == 2


def test_the_spec_example_log_is_unknown_to_our_witness(tmp_path: Path) -> None:
    with pytest.raises(UnknownLog, match="behind-the-sofa"):
        make_witness(tmp_path).add_checkpoint(SPEC_BODY.encode())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"old 01\n\nx\n", "leading zeros"),
        (b"new 1\n\nx\n", "'old <size>'"),
        (b"old 1\nnot-base64\n\nx\n", "32-byte hash"),
        (
            b"old 1\n" + b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" * 64 + b"\nx\n",
            "more than 63",
        ),
        (b"old 1\n", "blank line"),
        (b"\xff\n\n", "UTF-8"),
    ],
)
def test_malformed_requests_are_400(body: bytes, message: str) -> None:
    with pytest.raises(BadSubmission, match=message):
        parse_submission(body)
    assert BadSubmission.status == 400


def test_an_honest_log_is_cosigned_as_it_grows(tmp_path: Path) -> None:
    witness = make_witness(tmp_path)
    vkey = witness.signer.verifier()
    for old, size in [(0, 5), (5, 5), (5, 9), (9, 40)]:
        line = witness.add_checkpoint(HONEST.body(old, size))
        cosigned = HONEST.note(size) + line
        assert verify_cosignature(cosigned, vkey) > 1_600_000_000
        latest = witness.latest(LOG.name)
        assert latest is not None
        assert latest.size == size


def test_key_and_state_are_private_and_survive_a_restart(tmp_path: Path) -> None:
    witness = make_witness(tmp_path)
    witness.add_checkpoint(HONEST.body(0, 9))
    directory = tmp_path / "witness.example_w1"
    for name in (KEY_FILE, STATE_FILE):
        assert stat.S_IMODE(os.stat(directory / name).st_mode) == 0o600
    again = make_witness(tmp_path)
    assert again.signer.public_key == witness.signer.public_key
    with pytest.raises(SizeMismatch) as excinfo:
        again.add_checkpoint(HONEST.body(0, 12))
    assert excinfo.value.size == 9


def test_a_rollback_is_refused(tmp_path: Path) -> None:
    witness = make_witness(tmp_path)
    witness.add_checkpoint(HONEST.body(0, 9))
    with pytest.raises(BadSubmission, match="larger than the checkpoint"):
        witness.add_checkpoint(HONEST.body(0, 5).replace(b"old 0", b"old 9"))
    with pytest.raises(SizeMismatch, match="at size 9"):
        witness.add_checkpoint(HONEST.body(3, 5))


def test_a_fork_is_refused_at_the_same_size_and_beyond(tmp_path: Path) -> None:
    witness = make_witness(tmp_path)
    witness.add_checkpoint(HONEST.body(0, 12))
    with pytest.raises(ForkDetected):
        witness.add_checkpoint(FORK.body(0, 12).replace(b"old 0", b"old 12"))
    with pytest.raises(InconsistentCheckpoint, match="not proven to extend"):
        witness.add_checkpoint(FORK.body(12, 20))
    # the honest log still gets cosigned: the state did not move
    witness.add_checkpoint(HONEST.body(12, 20))


def test_a_checkpoint_not_signed_by_the_log_is_403(tmp_path: Path) -> None:
    witness = make_witness(tmp_path)
    forged = Tree(HONEST.entries, IMPOSTOR)
    with pytest.raises(NotSignedByLog):
        witness.add_checkpoint(forged.body(0, 9))


def test_the_http_interface_uses_the_spec_status_codes(tmp_path: Path) -> None:
    witness = make_witness(tmp_path)
    client = TestClient(create_witness_app(witness))
    ok = client.post("/add-checkpoint", content=HONEST.body(0, 9))
    assert ok.status_code == 200
    assert ok.text.startswith("— witness.example/w1 ")
    assert ok.text.endswith("\n")
    stale = client.post("/add-checkpoint", content=HONEST.body(0, 12))
    assert stale.status_code == 409
    assert stale.headers["content-type"] == SIZE_CONTENT_TYPE
    assert stale.text == "9\n"
    cases = [
        (FORK.body(0, 9).replace(b"old 0", b"old 9"), 409, "fork-detected"),
        (FORK.body(9, 20), 422, "inconsistent-checkpoint"),
        (Tree(HONEST.entries, IMPOSTOR).body(0, 9), 403, "not-signed-by-log"),
        (SPEC_BODY.encode(), 404, "unknown-log"),
        (b"old x\n\n", 400, "bad-submission"),
    ]
    for body, status, slug in cases:
        answer = client.post("/add-checkpoint", content=body)
        assert answer.status_code == status, answer.text
        assert answer.json()["type"].endswith("/" + slug)


def _cosigned(tree: Tree, size: int, witnesses: list[Witness]) -> str:
    """The checkpoint with the lines of every witness that agrees to cosign it."""
    note = tree.note(size)
    for witness in witnesses:
        latest = witness.latest(LOG.name)
        try:
            note += witness.add_checkpoint(tree.body(latest.size if latest else 0, size))
        except (SizeMismatch, ForkDetected, InconsistentCheckpoint):
            continue
    return note


def _client_accepts(tree: Tree, note: str, keys: list[str], quorum: int | None) -> bool:
    log = MemoryLog(tree.entries[: int(note.split("\n")[1])])
    log.note = note
    try:
        verify_log(log, LOG.verifier().key_string, witnesses=keys, quorum=quorum)
    except VerificationFailed:
        return False
    return True


def test_a_split_view_cannot_reach_a_majority_quorum(tmp_path: Path) -> None:
    """The log shows fork A to one client and fork B to another (same key, same size).

    Whichever witnesses the log gets to see each fork first, honest witnesses cosign at most
    one of the two, so with a quorum of 2 of 3 at most one fork is accepted by clients.
    """
    sizes = 20
    for order in itertools.product("AB", repeat=3):
        witnesses = [make_witness(tmp_path / "".join(order), f"w.example/{i}") for i in range(3)]
        for witness in witnesses:
            witness.add_checkpoint(HONEST.body(0, 7))  # the shared history
        first = {"A": HONEST, "B": FORK}
        for witness, pick in zip(witnesses, order, strict=True):
            _cosigned(first[pick], sizes, [witness])  # the log shows this witness one fork
        keys = [w.signer.verifier().key_string for w in witnesses]
        notes = {name: _cosigned(tree, sizes, witnesses) for name, tree in first.items()}
        accepted = [
            name for name, tree in first.items() if _client_accepts(tree, notes[name], keys, 2)
        ]
        assert len(accepted) <= 1, order
        majority = max("AB", key=order.count)
        assert accepted == [majority]
        # a client that asks for no witness accepts both forks: the attack works on it
        assert all(_client_accepts(t, notes[n], [], None) for n, t in first.items())


def test_a_checkpoint_without_the_required_cosignatures_is_refused(tmp_path: Path) -> None:
    witnesses = [make_witness(tmp_path, f"w.example/{i}") for i in range(3)]
    keys = [w.signer.verifier().key_string for w in witnesses]
    bare = HONEST.note(9)
    assert not _client_accepts(HONEST, bare, keys, 1)
    one = _cosigned(HONEST, 9, witnesses[:1])
    assert _client_accepts(HONEST, one, keys, 1)
    assert not _client_accepts(HONEST, one, keys, 2)
    log = MemoryLog(HONEST.entries[:9])
    log.note = one
    with pytest.raises(VerificationFailed, match="only 1 of the 3 witnesses cosigned"):
        verify_log(log, LOG.verifier().key_string, witnesses=keys, quorum=2)


def test_one_witness_given_twice_cannot_make_a_quorum_of_two(tmp_path: Path) -> None:
    """A fork cosigned by one witness must not pass a quorum of 2 by repeating its key."""
    [witness] = [make_witness(tmp_path, "w.example/0")]
    key = witness.signer.verifier().key_string
    one = _cosigned(HONEST, 9, [witness])
    log = MemoryLog(HONEST.entries[:9])
    log.note = one
    with pytest.raises(InvalidInput, match="given twice"):
        verify_log(log, LOG.verifier().key_string, witnesses=[key, key], quorum=2)


def test_a_witness_key_keeps_its_name(tmp_path: Path) -> None:
    load_or_create_witness_key(tmp_path, "w.example/a")
    with pytest.raises(Exception, match="keeps its name"):
        load_or_create_witness_key(tmp_path, "w.example/b")
    assert isinstance(load_or_create_witness_key(tmp_path, "w.example/a"), CosignatureSigner)


def test_a_receipt_can_require_a_quorum_of_witnesses(tmp_path: Path) -> None:
    from plaudit.ledger.verify import verify_receipt
    from tests.ledger.test_ledger_verify import RECEIPT, SMALL, VKEY

    witnesses = [make_witness(tmp_path, f"w.example/{i}") for i in range(3)]
    keys = [w.signer.verifier().key_string for w in witnesses]
    tree = Tree(SMALL.entries)
    cosigned = _cosigned(tree, len(SMALL.entries), witnesses[:2])
    receipt = RECEIPT.split("\n\n")[0] + "\n\n" + cosigned
    assert verify_receipt(receipt, VKEY, keys, quorum=2).witnesses == ("w.example/0", "w.example/1")
    with pytest.raises(VerificationFailed, match="only 2 of the 3 witnesses cosigned"):
        verify_receipt(receipt, VKEY, keys, quorum=3)
    with pytest.raises(VerificationFailed, match=r"w\.example/2.* did not cosign"):
        verify_receipt(receipt, VKEY, keys)  # without --quorum: every witness given
