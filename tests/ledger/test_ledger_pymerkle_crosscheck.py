"""Cross-check against the independent `pymerkle` library (7.x).

pymerkle's default mode (``disable_security=False``) prefixes leaves with 0x00 and nodes
with 0x01 and uses SHA-256, i.e. RFC 6962 hashing, and splits trees the RFC way, so its
roots must equal ours for every size. Its inclusion proofs use another format: 1-based
indices, the leaf hash as the first path element, plus a left/right "rule" list; the
remaining path elements are the RFC 9162 audit path. Its consistency proofs are not in
RFC 9162 form (they carry the old tree's subroots separately), so only roots and
inclusion paths are compared.
"""

from __future__ import annotations

import pymerkle
from hypothesis import given, settings
from hypothesis import strategies as st

from plaudit.ledger import TreeBuilder, inclusion_proof, leaf_hash, root_of

MAX_SIZE = 400
ENTRIES = [b"entry %d" % number for number in range(MAX_SIZE)]


def _reference_tree() -> pymerkle.InmemoryTree:
    tree = pymerkle.InmemoryTree(algorithm="sha256")
    for entry in ENTRIES:
        tree.append_entry(entry)
    return tree


REFERENCE = _reference_tree()
LEAVES = [leaf_hash(entry) for entry in ENTRIES]
STORE: dict[tuple[int, int], bytes] = {
    (node.level, node.index): node.hash
    for run in TreeBuilder().append(LEAVES)
    for node in run.nodes()
}


@given(st.integers(min_value=0, max_value=MAX_SIZE))
def test_roots_match_pymerkle(size: int) -> None:
    assert root_of(LEAVES[:size]) == REFERENCE.get_root(size)


@settings(deadline=None)
@given(st.data())
def test_inclusion_paths_match_pymerkle(data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=1, max_value=MAX_SIZE))
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    theirs = REFERENCE.prove_inclusion(index + 1, size).serialize()
    ours = inclusion_proof(index, size, lambda level, i: STORE[level, i])
    assert theirs["path"][0] == LEAVES[index].hex()
    assert theirs["path"][1:] == [digest.hex() for digest in ours]
