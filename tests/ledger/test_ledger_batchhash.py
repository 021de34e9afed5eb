"""The compiled batch SHA-256 (`plaudit.ledger._batchhash`) against hashlib.

The tree's leaf and node hashes go through it when it is built (an optional C extension,
pyproject.toml); `merkle.py` falls back to hashlib otherwise. Both paths must give exactly
the SHA-256 of RFC 9162's leaf and node inputs.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaudit.ledger import merkle, tiles
from plaudit.ledger.errors import TileFormatError
from plaudit.ledger.merkle import BATCH_HASHING, leaf_hashes, root_of
from plaudit.ledger.tiles import (
    TILE_WIDTH,
    encode_entry_bundle,
    encode_hash_tile,
    extend_groups,
    extend_groups_reference,
)

batchhash = pytest.importorskip(
    "plaudit.ledger._batchhash",
    reason="the C extension is not built (no compiler or libssl-dev): hashlib is used",
)

blobs = st.binary(max_size=300)


def test_the_extension_is_built_where_required() -> None:
    """CI builds it (gcc, libssl-dev, python3-dev in .ci/run): a silent fallback there would
    leave the compiled path untested."""
    if os.environ.get("PLAUDIT_REQUIRE_BATCHHASH") == "1":
        assert BATCH_HASHING


@settings(max_examples=300, deadline=None)
@given(prefix=blobs, items=st.lists(blobs, max_size=40))
def test_prefixed_is_sha256_of_prefix_and_item(prefix: bytes, items: list[bytes]) -> None:
    expected = [hashlib.sha256(prefix + item).digest() for item in items]
    assert batchhash.prefixed(prefix, items) == expected
    assert batchhash.prefixed(prefix, tuple(items)) == expected


@settings(max_examples=300, deadline=None)
@given(prefix=blobs, items=st.lists(blobs, max_size=41))
def test_pairs_hashes_each_pair_and_leaves_an_odd_one_out(
    prefix: bytes, items: list[bytes]
) -> None:
    expected = [
        hashlib.sha256(prefix + items[i] + items[i + 1]).digest()
        for i in range(0, len(items) - 1, 2)
    ]
    assert batchhash.pairs(prefix, items) == expected


@settings(max_examples=200, deadline=None)
@given(entries=st.lists(blobs, max_size=70))
def test_tree_hashes_are_the_same_on_both_paths(entries: list[bytes]) -> None:
    """leaf_hashes and the node pairing, compiled and hashlib, and so the roots."""
    leaves = leaf_hashes(entries)
    assert leaves == merkle._leaf_hashes_hashlib(entries)
    assert leaf_hashes(iter(entries)) == leaves  # any iterable, as before
    assert merkle._hash_pairs(leaves) == merkle._hash_pairs_hashlib(leaves)
    assert root_of(leaves) == _root_by_hashlib(leaves)


def _root_by_hashlib(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH by its recursive definition, hashlib only."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    left, right = _root_by_hashlib(leaves[:split]), _root_by_hashlib(leaves[split:])
    return hashlib.sha256(b"\x01" + left + right).digest()


@st.composite
def tables(draw: st.DrawFn) -> tuple[int, list[bytes | list[bytes]]]:
    """A row count and 1..5 columns, each shared bytes or one bytes per row."""
    count = draw(st.integers(0, 12))
    shared_or_per_row = st.one_of(blobs, st.lists(blobs, min_size=count, max_size=count))
    return count, draw(st.lists(shared_or_per_row, min_size=1, max_size=5))


def _row(columns: list[bytes | list[bytes]], row: int) -> list[bytes]:
    return [column if isinstance(column, bytes) else column[row] for column in columns]


@settings(max_examples=300, deadline=None)
@given(table=tables())
def test_sha256_rows_and_join_rows_are_each_rows_columns_joined(
    table: tuple[int, list[bytes | list[bytes]]],
) -> None:
    count, columns = table
    joined = [b"".join(_row(columns, row)) for row in range(count)]
    assert batchhash.join_rows(count, *columns) == joined
    assert batchhash.sha256_rows(count, *columns) == [hashlib.sha256(j).digest() for j in joined]


@settings(max_examples=300, deadline=None)
@given(table=tables(), long_keys=st.booleans())
def test_hmac_rows_is_hmac_sha256_keyed_by_the_first_column(
    table: tuple[int, list[bytes | list[bytes]]], long_keys: bool
) -> None:
    """Keys of any length: up to a block, and longer ones (hashed first, RFC 2104)."""
    count, columns = table
    if long_keys:
        columns[0] = [b"k" * (65 + row) for row in range(count)]
    keys, message = columns[0], columns[1:]
    expected = [
        hmac.digest(_row([keys], row)[0], b"".join(_row(message, row)), "sha256")
        for row in range(count)
    ]
    assert batchhash.hmac_rows(count, keys, *message) == expected


def test_a_column_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="column 1 has 2 items, expected 3"):
        batchhash.sha256_rows(3, b"shared", [b"a", b"b"])
    with pytest.raises(ValueError, match="count must be 0 or more"):
        batchhash.join_rows(-1, b"x")


def test_items_that_are_not_bytes_are_refused_precisely() -> None:
    with pytest.raises(TypeError, match="item 1 is str, not bytes"):
        batchhash.prefixed(b"\x00", [b"a", "b"])
    with pytest.raises(TypeError, match="sequence of bytes"):
        batchhash.pairs(b"\x01", 5)
    # the tree's own functions still take any buffer, through hashlib
    view = memoryview(b"entry")
    assert leaf_hashes([view]) == [hashlib.sha256(b"\x00entry").digest()]


def test_large_batches_match() -> None:
    """A round's worth of entries (the GIL is released while they are hashed)."""
    entries = [os.urandom(1 + i % 200) for i in range(50_000)]
    assert batchhash.prefixed(b"\x00", entries) == merkle._leaf_hashes_hashlib(entries)


def test_without_the_extension_the_tree_hashes_with_hashlib(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An install without a compiler: the same leaves, nodes and roots through hashlib."""
    entries = [os.urandom(1 + i % 120) for i in range(1_000)]
    leaves = leaf_hashes(entries)
    root = root_of(leaves)
    monkeypatch.setattr(merkle, "_prefixed", None)
    monkeypatch.setattr(merkle, "_pairs", None)
    assert leaf_hashes(entries) == leaves
    assert root_of(leaves) == root == _root_by_hashlib(leaves)


def _python_us(text: str) -> int | None:
    """What the integrator computes without the extension (None: fromisoformat refuses)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (parsed.replace(tzinfo=None) - datetime(1970, 1, 1)) // timedelta(microseconds=1)


stored_times = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31))
digit_runs = st.text(alphabet="0123456789", min_size=2, max_size=2)


@settings(max_examples=500, deadline=None)
@given(at=stored_times, with_micro=st.booleans())
def test_epoch_us_of_stored_texts_is_fromisoformats(at: datetime, with_micro: bool) -> None:
    """Both shapes the store writes (26 characters, or 19 from `isoformat` at .000000)."""
    text = at.isoformat(" ", "microseconds" if with_micro else "auto")
    assert batchhash.epoch_us([text]) == [_python_us(text)]


@settings(max_examples=1000, deadline=None)
@given(
    year=st.text(alphabet="0123456789", min_size=4, max_size=4),
    parts=st.lists(digit_runs, min_size=5, max_size=5),
    micro=st.none() | st.text(alphabet="0123456789", min_size=6, max_size=6),
)
def test_epoch_us_refuses_what_fromisoformat_refuses(
    year: str, parts: list[str], micro: str | None
) -> None:
    """Digits of the right shape but any value (month 13, 29 February of 2023, hour 24):
    converted exactly when Python parses them, else left as they are for Python to refuse."""
    month, day, hour, minute, second = parts
    text = f"{year}-{month}-{day} {hour}:{minute}:{second}" + ("" if micro is None else f".{micro}")
    expected = _python_us(text)
    assert batchhash.epoch_us([text]) == [text if expected is None else expected]


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.none() | st.text(max_size=30) | st.integers() | st.binary(max_size=8)))
def test_epoch_us_leaves_other_values_as_they_are(values: list[object]) -> None:
    """Anything but a stored time's text (None, a PostgreSQL datetime, other text) is
    returned as it is, or converted only where fromisoformat agrees."""
    for value, got in zip(values, batchhash.epoch_us(values), strict=True):
        if got is not value:
            assert isinstance(value, str)
            assert got == _python_us(value)


# -- groups: a round's tiles and entry bundles (tiles.extend_groups) ----------------------


@st.composite
def _group_cases(draw: st.DrawFn) -> tuple[list[bytes], list[bytes], bool]:
    """(items already in the rightmost group, items appended, framed): bundles of entries
    of any length a bundle frames, or tiles of 32-byte hashes; enough items to cross
    several groups of 256."""
    framed = draw(st.booleans())
    item = st.binary(max_size=130) if framed else st.binary(min_size=32, max_size=32)
    held = draw(st.lists(item, max_size=TILE_WIDTH - 1))
    added = draw(st.lists(item, max_size=700))
    return held, added, framed


def _encode(items: list[bytes], framed: bool) -> bytes:
    return encode_entry_bundle(items) if framed else encode_hash_tile(items)


@settings(max_examples=200, deadline=None)
@given(case=_group_cases())
def test_groups_equal_the_reference_and_the_tile_and_bundle_encoders(
    case: tuple[list[bytes], list[bytes], bool],
) -> None:
    """The compiled `groups` gives exactly the Python reference's bytes, and both are the
    tlog-tiles encoding of each group of 256 of the held and appended items together."""
    held, added, framed = case
    head = _encode(held, framed) if held else b""
    compiled = batchhash.groups(head, len(held), added, framed)
    assert compiled == extend_groups_reference(head, len(held), added, framed=framed)
    assert compiled == extend_groups(head, len(held), added, framed=framed)
    everything = held + added
    expected = [
        _encode(everything[first : first + TILE_WIDTH], framed)
        for first in range(0, len(everything), TILE_WIDTH)
    ]
    assert compiled == (expected if added else [])


def test_groups_refuse_what_no_tile_or_bundle_can_hold() -> None:
    """An entry longer than a uint16 frame, a head already full: a precise error each."""
    with pytest.raises(TileFormatError, match="65536 bytes"):
        extend_groups(b"", 0, [b"a", bytes(65_536)], framed=True)
    assert extend_groups(b"", 0, [bytes(65_536)], framed=False) == [bytes(65_536)]
    for head_count in (-1, TILE_WIDTH):
        with pytest.raises(TileFormatError, match=r"head_count|0\.\.255"):
            extend_groups(b"", head_count, [b"a"], framed=True)
        with pytest.raises(TileFormatError, match=r"0\.\.255"):
            extend_groups_reference(b"", head_count, [b"a"], framed=True)
    with pytest.raises(TypeError, match="item 1 is str"):
        batchhash.groups(b"", 0, [b"a", "b"], True)


def test_without_the_extension_groups_come_from_the_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An install without a compiler: the same bundles through the Python reference."""
    entries = [os.urandom(1 + i % 120) for i in range(600)]
    head = encode_entry_bundle(entries[:10])
    made = extend_groups(head, 10, entries[10:], framed=True)
    monkeypatch.setattr(tiles, "_groups", None)
    assert extend_groups(head, 10, entries[10:], framed=True) == made
    assert [len(group) for group in made] == [
        len(encode_entry_bundle(entries[i : i + TILE_WIDTH])) for i in range(0, 600, TILE_WIDTH)
    ]
