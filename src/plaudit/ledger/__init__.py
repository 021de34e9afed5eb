"""The like ledger's cryptographic core: a transparency log that speaks the C2SP formats.

Pure library code, no storage and no I/O:

* :mod:`~plaudit.ledger.merkle`: RFC 9162 hashing, roots, the incremental tree builder;
* :mod:`~plaudit.ledger.proofs`: inclusion/consistency proofs, generated and verified;
* :mod:`~plaudit.ledger.tiles`: c2sp.org/tlog-tiles paths, tiles and entry bundles;
* :mod:`~plaudit.ledger.keys` and :mod:`~plaudit.ledger.note`: c2sp.org/signed-note;
* :mod:`~plaudit.ledger.checkpoint`: c2sp.org/tlog-checkpoint;
* :mod:`~plaudit.ledger.cosignature`: c2sp.org/tlog-cosignature (Ed25519 cosignature/v1);
* :mod:`~plaudit.ledger.errors`: the error hierarchy, rooted at :class:`LedgerError`.

These are the names this package exports; its other modules are imported by path:
`entries` and `receipts` (formats), `keystore` (the signing key file), `sources` and `verify`
(clients of a log). Nothing here touches the platform's store: that side, the integrator
and the read service, is `plaudit.ledgerstore`.
"""

from __future__ import annotations

from plaudit.ledger.checkpoint import (
    Checkpoint,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from plaudit.ledger.cosignature import (
    CosignatureSigner,
    CosignatureVerifier,
    cosign_checkpoint,
    parse_cosignature_verifier_key,
    verify_cosignature,
)
from plaudit.ledger.errors import (
    CheckpointError,
    HashSizeError,
    KeyFormatError,
    LedgerError,
    NoteError,
    OutOfRangeError,
    ProofError,
    TileFormatError,
    TilePathError,
)
from plaudit.ledger.keys import (
    Ed25519Signer,
    Ed25519Verifier,
    NoteSigner,
    NoteVerifier,
    generate_key,
    key_id,
    parse_signer_key,
    parse_verifier_key,
)
from plaudit.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    Node,
    NodeReader,
    NodeRun,
    TreeBuilder,
    leaf_hash,
    leaf_hashes,
    node_hash,
    root_at,
    root_of,
)
from plaudit.ledger.note import Note, Signature, VerifiedNote, open_note, parse_note, sign_note
from plaudit.ledger.proofs import (
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from plaudit.ledger.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    TileRef,
    decode_entry_bundle,
    decode_hash_tile,
    encode_entry_bundle,
    encode_hash_tile,
    entry_bundles_for_size,
    format_tile_index,
    hash_tile_from_nodes,
    node_tile,
    parse_tile_index,
    parse_tile_path,
    tile_node_reader,
    tile_width,
    tiles_for_size,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "Checkpoint",
    "CheckpointError",
    "CosignatureSigner",
    "CosignatureVerifier",
    "Ed25519Signer",
    "Ed25519Verifier",
    "HashSizeError",
    "KeyFormatError",
    "LedgerError",
    "Node",
    "NodeReader",
    "NodeRun",
    "Note",
    "NoteError",
    "NoteSigner",
    "NoteVerifier",
    "OutOfRangeError",
    "ProofError",
    "Signature",
    "TileFormatError",
    "TilePathError",
    "TileRef",
    "TreeBuilder",
    "VerifiedNote",
    "consistency_proof",
    "cosign_checkpoint",
    "decode_entry_bundle",
    "decode_hash_tile",
    "encode_entry_bundle",
    "encode_hash_tile",
    "entry_bundles_for_size",
    "format_tile_index",
    "generate_key",
    "hash_tile_from_nodes",
    "inclusion_proof",
    "key_id",
    "leaf_hash",
    "leaf_hashes",
    "node_hash",
    "node_tile",
    "open_checkpoint",
    "open_note",
    "parse_checkpoint",
    "parse_cosignature_verifier_key",
    "parse_note",
    "parse_signer_key",
    "parse_tile_index",
    "parse_tile_path",
    "parse_verifier_key",
    "root_at",
    "root_of",
    "sign_checkpoint",
    "sign_note",
    "tile_node_reader",
    "tile_width",
    "tiles_for_size",
    "verify_consistency",
    "verify_cosignature",
    "verify_inclusion",
]
