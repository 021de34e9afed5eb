"""C2SP tlog-tiles: paths, tile sets, tile and bundle encodings, and proofs served from tiles."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaudit.ledger import (
    TILE_WIDTH,
    OutOfRangeError,
    TileFormatError,
    TilePathError,
    TileRef,
    TreeBuilder,
    consistency_proof,
    decode_entry_bundle,
    decode_hash_tile,
    encode_entry_bundle,
    encode_hash_tile,
    entry_bundles_for_size,
    format_tile_index,
    hash_tile_from_nodes,
    inclusion_proof,
    leaf_hash,
    node_tile,
    parse_tile_index,
    parse_tile_path,
    root_at,
    tile_node_reader,
    tile_width,
    tiles_for_size,
)

UINT64 = st.integers(min_value=0, max_value=(1 << 64) - 1)

# --- paths -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "encoded"),
    [
        (0, "000"),
        (7, "007"),
        (999, "999"),
        (1000, "x001/000"),
        (1234067, "x001/x234/067"),  # the tlog-tiles example
        ((1 << 64) - 1, "x018/x446/x744/x073/x709/x551/615"),
    ],
)
def test_tile_index_encoding(index: int, encoded: str) -> None:
    assert format_tile_index(index) == encoded
    assert parse_tile_index(encoded) == index


@pytest.mark.parametrize(
    ("ref", "path"),
    [
        (TileRef(0, 1234067), "tile/0/x001/x234/067"),
        (TileRef(0, 1234067, 8), "tile/0/x001/x234/067.p/8"),
        (TileRef(63, 0, 255), "tile/63/000.p/255"),
        (TileRef(0, 5, entries=True), "tile/entries/005"),
        (TileRef(0, 1000, 17, entries=True), "tile/entries/x001/000.p/17"),
    ],
)
def test_known_paths(ref: TileRef, path: str) -> None:
    assert ref.path == path
    assert parse_tile_path(path) == ref
    assert parse_tile_path("/" + path) == ref


@given(
    st.integers(min_value=0, max_value=63),
    UINT64,
    st.integers(min_value=1, max_value=TILE_WIDTH),
    st.booleans(),
)
def test_tile_paths_round_trip(level: int, index: int, width: int, entries: bool) -> None:
    ref = TileRef(0 if entries else level, index, width, entries)
    assert parse_tile_path(ref.path) == ref
    assert parse_tile_index(format_tile_index(index)) == index


@pytest.mark.parametrize(
    "path",
    [
        "",
        "tile",
        "tile/0",
        "tiles/0/000",
        "tile/00/000",  # leading zero in level
        "tile/64/000",  # level above 63
        "tile/-1/000",
        "tile/0/1",  # not three digits
        "tile/0/0000",
        "tile/0/x000/001",  # non-canonical leading group
        "tile/0/x001",  # last group with x
        "tile/0/001/002",  # inner group without x
        "tile/0/x01/002",
        "tile/0/000.p/0",  # partial width out of range
        "tile/0/000.p/256",
        "tile/0/000.p/08",
        "tile/0/000.p",
        "tile/0/000.p/1/2",
        "tile/0/000/",
        "tile/entries/x001",
        "tile/0/x018/x446/x744/x073/x709/x551/616",  # 2**64
        "tile/0/\u0661\u0662\u0663",  # non-ASCII digits
    ],
)
def test_invalid_paths_are_rejected(path: str) -> None:
    with pytest.raises(TilePathError):
        parse_tile_path(path)


def test_invalid_refs_are_rejected() -> None:
    for level, index, width in [(64, 0, 256), (0, -1, 256), (0, 0, 0), (0, 0, 257)]:
        with pytest.raises(TilePathError):
            TileRef(level, index, width)
    with pytest.raises(TilePathError):
        TileRef(1, 0, entries=True)


# --- which tiles a tree has --------------------------------------------------------------


def test_spec_example_of_size_70000() -> None:
    tiles = tiles_for_size(70_000)
    level0 = [tile for tile in tiles if tile.level == 0]
    assert sum(not tile.is_partial for tile in level0) == 273
    assert [tile for tile in tiles if tile.is_partial] == [
        TileRef(0, 273, 112),
        TileRef(1, 1, 17),
        TileRef(2, 0, 1),
    ]
    assert TileRef(1, 0) in tiles
    assert len(tiles) == 273 + 1 + 1 + 1 + 1


def test_spec_example_of_size_256() -> None:
    assert tiles_for_size(256) == [TileRef(0, 0), TileRef(1, 0, 1)]
    assert tiles_for_size(0) == []
    assert entry_bundles_for_size(257) == [TileRef(0, 0, entries=True), TileRef(0, 1, 1, True)]


@given(st.integers(min_value=0, max_value=200_000))
def test_tile_width_agrees_with_tile_set(size: int) -> None:
    tiles = tiles_for_size(size)
    for tile in tiles:
        assert tile_width(tile.level, tile.index, size) == tile.width
    for level in range(4):
        last = max((tile.index for tile in tiles if tile.level == level), default=-1)
        assert tile_width(level, last + 1, size) == 0


def test_tile_contents_are_level_8l_nodes() -> None:
    store, tiles = _tiled_log()
    tile = decode_hash_tile(tiles[TileRef(1, 1, 17)], 17)
    assert tile[16] == store[8, 256 + 16]
    assert tile[0] == store[8, 256]
    first_full = decode_hash_tile(tiles[TileRef(1, 0)], TILE_WIDTH)
    assert first_full[0] == root_at(256, _reader(store))  # node (8, 0): the first 256 leaves
    with pytest.raises(TilePathError):
        hash_tile_from_nodes(TileRef(0, 0, entries=True), _reader(store))


def test_node_tile_positions() -> None:
    assert node_tile(0, 1234) == (0, 4, 210)
    assert node_tile(16, 300) == (2, 1, 44)
    with pytest.raises(TilePathError):
        node_tile(3, 0)


# --- encodings ---------------------------------------------------------------------------


@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=TILE_WIDTH))
def test_hash_tiles_round_trip(hashes: list[bytes]) -> None:
    assert decode_hash_tile(encode_hash_tile(hashes), len(hashes)) == hashes


def test_hash_tile_errors() -> None:
    with pytest.raises(TileFormatError):
        decode_hash_tile(b"\x00" * 33, 1)
    with pytest.raises(TileFormatError):
        encode_hash_tile([])
    with pytest.raises(TileFormatError):
        encode_hash_tile([b"short"])


@given(st.lists(st.binary(max_size=300), min_size=1, max_size=TILE_WIDTH))
def test_entry_bundles_round_trip(entries: list[bytes]) -> None:
    bundle = encode_entry_bundle(entries)
    assert decode_entry_bundle(bundle, len(entries)) == entries
    assert len(bundle) == sum(2 + len(entry) for entry in entries)


@given(
    st.lists(
        st.binary(max_size=40) | st.integers(1000, 1100).map(lambda n: b"e" * n),
        min_size=1,
        max_size=TILE_WIDTH,
    )
)
def test_entry_bundles_frame_each_entry_with_its_big_endian_length(entries: list[bytes]) -> None:
    """Entries either side of the prefixes the encoder makes once (under 1024 bytes)."""
    expected = b"".join(len(entry).to_bytes(2, "big") + entry for entry in entries)
    assert encode_entry_bundle(entries) == expected


def test_entry_bundle_framing() -> None:
    bundle = encode_entry_bundle([b"a", b"", b"bc"])
    assert bundle == b"\x00\x01a\x00\x00\x00\x02bc"
    assert len(encode_entry_bundle([b"x" * 0xFFFF])) == 0x10001


@pytest.mark.parametrize(
    ("data", "width", "message"),
    [
        (b"\x00", None, "length prefix"),
        (b"\x00\x05abc", None, "past the end"),
        (b"", None, "1..256"),
        (b"\x00\x00" * 257, None, "1..256"),
        (b"\x00\x01a", 2, "should hold 2"),
    ],
)
def test_entry_bundle_errors(data: bytes, width: int | None, message: str) -> None:
    with pytest.raises(TileFormatError, match=message):
        decode_entry_bundle(data, width)


def test_entry_too_large_for_a_bundle() -> None:
    with pytest.raises(TileFormatError):
        encode_entry_bundle([b"x" * 0x10000])


# --- proofs from tiles only --------------------------------------------------------------

TILED_SIZE = 70_000


@functools.cache
def _tiled_log() -> tuple[dict[tuple[int, int], bytes], dict[TileRef, bytes]]:
    """A log of 70,000 leaves: its node store and the tiles a log would serve for it."""
    store: dict[tuple[int, int], bytes] = {}
    for run in TreeBuilder().append([leaf_hash(b"%d" % n) for n in range(TILED_SIZE)]):
        for node in run.nodes():
            store[node.level, node.index] = node.hash
    read = _reader(store)
    tiles = {ref: hash_tile_from_nodes(ref, read) for ref in tiles_for_size(TILED_SIZE)}
    return store, tiles


def _reader(store: dict[tuple[int, int], bytes]) -> Callable[[int, int], bytes]:
    return lambda level, index: store[level, index]


def _fetcher(full_fallback: bool = False) -> tuple[list[TileRef], Callable[[TileRef], bytes]]:
    _, tiles = _tiled_log()
    fetched: list[TileRef] = []

    def fetch(ref: TileRef) -> bytes:
        fetched.append(ref)
        if ref.is_partial and full_fallback:
            return tiles[TileRef(ref.level, ref.index)]
        if ref in tiles:
            return tiles[ref]
        # A smaller tree's partial tile is a prefix of the served one.
        served = next(t for t in tiles if (t.level, t.index) == (ref.level, ref.index))
        return tiles[served][: ref.width * 32]

    return fetched, fetch


@settings(deadline=None, max_examples=60)
@given(st.data())
def test_proofs_from_tiles_equal_proofs_from_store(data: st.DataObject) -> None:
    store, _ = _tiled_log()
    size = data.draw(st.integers(min_value=1, max_value=TILED_SIZE))
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    old = data.draw(st.integers(min_value=0, max_value=size))
    fetched, fetch = _fetcher()
    from_tiles = tile_node_reader(fetch, size)
    direct = _reader(store)

    assert root_at(size, from_tiles) == root_at(size, direct)
    assert inclusion_proof(index, size, from_tiles) == inclusion_proof(index, size, direct)
    assert consistency_proof(old, size, from_tiles) == consistency_proof(old, size, direct)
    assert len(fetched) == len(set(fetched)), "each tile is fetched once per reader"
    for ref in fetched:
        assert ref.width == tile_width(ref.level, ref.index, size)


def test_full_tile_accepted_in_place_of_partial() -> None:
    size = 256 * 3 + 5  # a partial level-0 tile of width 5 exists at this size
    _, fetch = _fetcher(full_fallback=True)
    store, _ = _tiled_log()
    reader = tile_node_reader(fetch, size)
    assert reader(0, 256 * 3 + 4) == store[0, 256 * 3 + 4]


def test_tile_reader_refuses_incomplete_nodes() -> None:
    _, fetch = _fetcher()
    reader = tile_node_reader(fetch, 10)
    with pytest.raises(OutOfRangeError):
        reader(2, 2)
