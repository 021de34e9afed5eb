"""C2SP tlog-tiles: tile and entry-bundle paths, tile contents, and proofs from tiles.

A log publishes its Merkle tree as *tiles* (c2sp.org/tlog-tiles, "Merkle Tree"): the tile
``N`` at level ``L`` holds 256 consecutive hashes of Merkle level ``8 * L``, i.e. the nodes
``(8 * L, N * 256 + i)`` for ``i`` in ``0..255``. The rightmost tile of each level may be
*partial* (1..255 hashes). Log entries are served as *entry bundles* parallel to level-0
tiles, each entry prefixed with its big-endian uint16 length ("Log entries").

Everything here is a pure function of its arguments: paths, which tiles a tree size has,
and :func:`tile_node_reader`, which turns any tile-fetching function into the
:data:`~plaudit.ledger.merkle.NodeReader` that proof generation needs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from plaudit.ledger.errors import OutOfRangeError, TileFormatError, TilePathError
from plaudit.ledger.merkle import HASH_SIZE, NodeReader, root_of

_Groups = Callable[[bytes, int, Sequence[bytes], bool], list[bytes]]
_groups: _Groups | None
try:  # the optional C extension (merkle.py); the Python reference does the same without it
    from plaudit.ledger._batchhash import groups as _groups
except ImportError:  # pragma: no cover - an install without a C compiler or libssl-dev
    _groups = None

__all__ = [
    "MAX_ENTRY_SIZE",
    "MAX_TILE_LEVEL",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "TileRef",
    "decode_entry_bundle",
    "decode_hash_tile",
    "encode_entry_bundle",
    "encode_hash_tile",
    "entry_bundles_for_size",
    "extend_groups",
    "format_tile_index",
    "hash_tile_from_nodes",
    "node_tile",
    "parse_tile_index",
    "parse_tile_path",
    "tile_node_reader",
    "tile_width",
    "tiles_for_size",
]

TILE_HEIGHT = 8
"""Merkle levels spanned by one tile (tlog-tiles fixes it at 8)."""

TILE_WIDTH = 1 << TILE_HEIGHT
"""Hashes in a full tile, and entries in a full bundle: 256."""

MAX_TILE_LEVEL = 63
"""Highest tile level a path may name (tlog-tiles: "between 0 and 63")."""

MAX_ENTRY_SIZE = 0xFFFF
"""Largest entry an entry bundle can frame (uint16 length prefix)."""

_MAX_INDEX = (1 << 64) - 1
_DECIMAL = re.compile(r"0|[1-9][0-9]*", re.ASCII)
_GROUP = re.compile(r"[0-9]{3}", re.ASCII)


@dataclass(frozen=True, slots=True)
class TileRef:
    """One tile (or, with ``entries=True``, one entry bundle) and its width.

    ``width`` is 256 for a full tile and 1..255 for a partial one. Entry bundles always
    have ``level`` 0, since they run parallel to the level-0 tiles.
    """

    level: int
    index: int
    width: int = TILE_WIDTH
    entries: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.level <= MAX_TILE_LEVEL:
            raise TilePathError(f"tile level {self.level} is not in 0..{MAX_TILE_LEVEL}")
        if self.entries and self.level != 0:
            raise TilePathError("entry bundles have no level other than 0")
        if not 0 <= self.index <= _MAX_INDEX:
            raise TilePathError(f"tile index {self.index} is not a uint64")
        if not 1 <= self.width <= TILE_WIDTH:
            raise TilePathError(f"tile width {self.width} is not in 1..{TILE_WIDTH}")

    @property
    def is_partial(self) -> bool:
        """Whether this is a partial tile, served under a ``.p/<W>`` path."""
        return self.width < TILE_WIDTH

    @property
    def path(self) -> str:
        """Path relative to the log prefix: ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/...``."""
        kind = "entries" if self.entries else str(self.level)
        suffix = f".p/{self.width}" if self.is_partial else ""
        return f"tile/{kind}/{format_tile_index(self.index)}{suffix}"


def format_tile_index(index: int) -> str:
    """Encode a tile index as tlog-tiles ``<N>``: 1234067 becomes ``x001/x234/067``."""
    if not 0 <= index <= _MAX_INDEX:
        raise TilePathError(f"tile index {index} is not a uint64")
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def parse_tile_index(text: str) -> int:
    """Decode a tlog-tiles ``<N>``; only the canonical form (no ``x000`` lead) is accepted.

    Rejecting redundant leading groups keeps one path per tile, so a cache or a file
    store can never hold the same tile twice.
    """
    groups = text.split("/")
    if len(groups) > 1 and groups[0] == "x000":
        raise TilePathError(f"tile index {text!r} has a redundant leading 'x000' group")
    value = 0
    for position, group in enumerate(groups):
        is_last = position == len(groups) - 1
        if is_last and group.startswith("x"):
            raise TilePathError(f"tile index {text!r}: the last group must not start with 'x'")
        if not is_last and not group.startswith("x"):
            raise TilePathError(f"tile index {text!r}: every group but the last needs an 'x'")
        digits = group if is_last else group[1:]
        if not _GROUP.fullmatch(digits):
            raise TilePathError(f"tile index {text!r}: group {group!r} is not three digits")
        value = value * 1000 + int(digits)
    if value > _MAX_INDEX:
        raise TilePathError(f"tile index {text!r} does not fit in a uint64")
    return value


def _parse_decimal(text: str, what: str, path: str) -> int:
    if not _DECIMAL.fullmatch(text):
        raise TilePathError(f"{path!r}: {what} {text!r} is not a decimal without leading zeros")
    return int(text)


def parse_tile_path(path: str) -> TileRef:
    """Parse ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]`` (one leading ``/`` ok).

    The result's :attr:`TileRef.path` gives back the canonical path.
    """
    parts = path.removeprefix("/").split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise TilePathError(f"{path!r} is not 'tile/<L>/<N>' nor 'tile/entries/<N>'")
    entries = parts[1] == "entries"
    level = 0 if entries else _parse_decimal(parts[1], "tile level", path)
    index_parts, width = parts[2:], TILE_WIDTH
    if len(index_parts) >= 2 and index_parts[-2].endswith(".p"):
        width = _parse_decimal(index_parts[-1], "partial width", path)
        if not 1 <= width < TILE_WIDTH:
            raise TilePathError(f"{path!r}: partial width {width} is not in 1..255")
        index_parts = [*index_parts[:-2], index_parts[-2].removesuffix(".p")]
    if level > MAX_TILE_LEVEL:
        raise TilePathError(f"{path!r}: tile level {level} is above {MAX_TILE_LEVEL}")
    try:
        index = parse_tile_index("/".join(index_parts))
    except TilePathError as exc:
        raise TilePathError(f"{path!r}: {exc}") from exc
    return TileRef(level, index, width, entries)


def tile_width(level: int, index: int, size: int) -> int:
    """Width of tile ``(level, index)`` in a tree of ``size`` leaves; 0 if it has none yet.

    Level ``L`` has ``floor(size / 256**L)`` hashes, so its partial tile has that many
    modulo 256 (tlog-tiles, "Partial Tiles").
    """
    hashes = size >> (TILE_HEIGHT * level)
    full = hashes >> TILE_HEIGHT
    if index < full:
        return TILE_WIDTH
    if index == full:
        return hashes % TILE_WIDTH
    return 0


def tiles_for_size(size: int) -> list[TileRef]:
    """Every hash tile, full or partial, that a tree of ``size`` leaves is served as.

    For 70,000 leaves: 273 full and one 112-wide tile at level 0, one full and one
    17-wide at level 1, one 1-wide at level 2 (the tlog-tiles example).
    """
    tiles: list[TileRef] = []
    level = 0
    while hashes := size >> (TILE_HEIGHT * level):
        full, partial = divmod(hashes, TILE_WIDTH)
        tiles.extend(TileRef(level, index) for index in range(full))
        if partial:
            tiles.append(TileRef(level, full, partial))
        level += 1
    return tiles


def entry_bundles_for_size(size: int) -> list[TileRef]:
    """Every entry bundle, full or partial, that a log of ``size`` entries serves."""
    full, partial = divmod(size, TILE_WIDTH)
    bundles = [TileRef(0, index, entries=True) for index in range(full)]
    if partial:
        bundles.append(TileRef(0, full, partial, entries=True))
    return bundles


def node_tile(level: int, index: int) -> tuple[int, int, int]:
    """``(tile level, tile index, position)`` at which Merkle node ``(level, index)`` is stored.

    Only levels that are multiples of 8 are stored; the others are recomputed from the
    tile below (tlog-tiles: "levels between those expressed by the tile hashes are
    reconstructed by hashing the leaves").
    """
    tile_level, height = divmod(level, TILE_HEIGHT)
    if height:
        raise TilePathError(f"Merkle level {level} is not stored in tiles (not a multiple of 8)")
    tile_index, position = divmod(index, TILE_WIDTH)
    return tile_level, tile_index, position


def encode_hash_tile(hashes: Sequence[bytes]) -> bytes:
    """Tile bytes: the hashes concatenated, 1 to 256 of them, 32 bytes each."""
    if not 1 <= len(hashes) <= TILE_WIDTH:
        raise TileFormatError(f"a tile holds 1..{TILE_WIDTH} hashes, got {len(hashes)}")
    if any(len(digest) != HASH_SIZE for digest in hashes):
        raise TileFormatError(f"tile hashes must all be {HASH_SIZE} bytes")
    return b"".join(hashes)


def decode_hash_tile(data: bytes, width: int) -> list[bytes]:
    """Split tile bytes into its ``width`` hashes; the size must match exactly."""
    if len(data) != width * HASH_SIZE:
        raise TileFormatError(
            f"a {width}-wide tile is {width * HASH_SIZE} bytes, got {len(data)} bytes"
        )
    return [data[offset : offset + HASH_SIZE] for offset in range(0, len(data), HASH_SIZE)]


_LENGTH_PREFIXES = [length.to_bytes(2, "big") for length in range(1024)]


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    """Bundle bytes: each entry as big-endian uint16 length then bytes (1..256 entries)."""
    if not 1 <= len(entries) <= TILE_WIDTH:
        raise TileFormatError(f"a bundle holds 1..{TILE_WIDTH} entries, got {len(entries)}")
    parts: list[bytes] = []
    prefixes, add = _LENGTH_PREFIXES, parts.append
    for entry in entries:
        length = len(entry)
        if length < 1024:  # every entry of the v1 format: its prefix is made once
            add(prefixes[length])
        elif length <= MAX_ENTRY_SIZE:
            add(length.to_bytes(2, "big"))
        else:
            raise TileFormatError(
                f"entry #{len(parts) // 2} is {length} bytes; a bundle frames at most "
                f"{MAX_ENTRY_SIZE}"
            )
        add(entry)
    return b"".join(parts)


def extend_groups_reference(
    head: bytes, head_count: int, items: Sequence[bytes], *, framed: bool
) -> list[bytes]:
    """`extend_groups` in Python: each group encoded with `encode_entry_bundle` (framed) or
    joined bare (hash tiles), the first after `head`. The compiled one is held to it."""
    if not 0 <= head_count < TILE_WIDTH:
        raise TileFormatError(f"a partial group holds 0..{TILE_WIDTH - 1} items, not {head_count}")
    out: list[bytes] = []
    begin, take = 0, TILE_WIDTH - head_count
    while begin < len(items):
        chunk = items[begin : begin + take]
        data = encode_entry_bundle(chunk) if framed else b"".join(chunk)
        out.append(head + data if begin == 0 else data)
        begin, take = begin + take, TILE_WIDTH
    return out


def extend_groups(
    head: bytes, head_count: int, items: Sequence[bytes], *, framed: bool
) -> list[bytes]:
    """Bytes of every tile (or, ``framed``, entry bundle) that appending ``items`` changes.

    ``head`` is the rightmost partial tile or bundle as stored, holding ``head_count``
    items (0..255; 0 and ``b""`` when the items start a new one): the first group is
    ``head`` followed by the first ``256 - head_count`` items, then one group per 256 items
    after, the last one possibly partial. A bundle frames each entry with its uint16 length
    (`encode_entry_bundle`); a tile is its hashes bare (`encode_hash_tile`). An integrator
    round makes thousands of them; one compiled call (`_batchhash.groups`) builds them all
    without a list of parts per group, and this falls back to `extend_groups_reference`.
    """
    if _groups is None:
        return extend_groups_reference(head, head_count, items, framed=framed)
    try:
        return _groups(head, head_count, items, framed)
    except ValueError as exc:  # an entry too long to frame, or head_count out of range
        raise TileFormatError(f"cannot extend the group: {exc}") from exc
    except TypeError:  # an item that is a buffer but not bytes (a memoryview): Python's way
        return extend_groups_reference(head, head_count, items, framed=framed)


def decode_entry_bundle(data: bytes, width: int | None = None) -> list[bytes]:
    """Split bundle bytes into entries; with ``width``, the count must match it."""
    entries: list[bytes] = []
    position = 0
    while position < len(data):
        if position + 2 > len(data):
            raise TileFormatError(f"bundle ends inside the length prefix at byte {position}")
        end = position + 2 + int.from_bytes(data[position : position + 2], "big")
        if end > len(data):
            raise TileFormatError(f"entry #{len(entries)} runs past the end of the bundle")
        entries.append(data[position + 2 : end])
        position = end
    if not 1 <= len(entries) <= TILE_WIDTH:
        raise TileFormatError(f"a bundle holds 1..{TILE_WIDTH} entries, got {len(entries)}")
    if width is not None and len(entries) != width:
        raise TileFormatError(f"bundle should hold {width} entries, got {len(entries)}")
    return entries


def hash_tile_from_nodes(ref: TileRef, read_node: NodeReader) -> bytes:
    """Bytes of hash tile ``ref``, read from stored nodes: what a log serves at ``ref.path``.

    Tile ``N`` at level ``L`` is nodes ``(8 * L, 256 * N + i)`` for ``i < width``.
    """
    if ref.entries:
        raise TilePathError("entry bundles hold entries, not Merkle nodes")
    level, first = ref.level * TILE_HEIGHT, ref.index * TILE_WIDTH
    return encode_hash_tile([read_node(level, first + offset) for offset in range(ref.width)])


def tile_node_reader(fetch_tile: Callable[[TileRef], bytes], size: int) -> NodeReader:
    """A node reader for a tree of ``size`` leaves that reads only tiles.

    ``fetch_tile`` returns the bytes of the tile it is given (the partial one where the
    tree size calls for it). A full tile is accepted in place of a partial one, as
    tlog-tiles lets clients fall back to it once the partial tile is gone. Each tile is
    fetched at most once per reader; use one reader per request or per tree size.
    """
    cache: dict[TileRef, list[bytes]] = {}

    def load(ref: TileRef) -> list[bytes]:
        if ref not in cache:
            data = fetch_tile(ref)
            width = TILE_WIDTH if len(data) == TILE_WIDTH * HASH_SIZE else ref.width
            cache[ref] = decode_hash_tile(data, width)[: ref.width]
        return cache[ref]

    def read_node(level: int, index: int) -> bytes:
        if index < 0 or (index + 1) << level > size:
            raise OutOfRangeError(f"node ({level}, {index}) is not complete at size {size}")
        tile_level, height = divmod(level, TILE_HEIGHT)
        tile_index, position = divmod(index << height, TILE_WIDTH)
        ref = TileRef(tile_level, tile_index, tile_width(tile_level, tile_index, size))
        return root_of(load(ref)[position : position + (1 << height)])

    return read_node
