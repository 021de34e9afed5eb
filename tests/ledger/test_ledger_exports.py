"""Pin the public surface of ``plaudit.ledger``: changing it must be a deliberate edit here."""

from __future__ import annotations

import importlib
import inspect

import pytest

import plaudit.ledger
from plaudit.ledger import LedgerError

PUBLIC = {
    # merkle / proofs
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Node",
    "NodeReader",
    "NodeRun",
    "TreeBuilder",
    "leaf_hash",
    "leaf_hashes",
    "node_hash",
    "root_at",
    "root_of",
    "inclusion_proof",
    "consistency_proof",
    "verify_inclusion",
    "verify_consistency",
    # tiles
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "TileRef",
    "decode_entry_bundle",
    "decode_hash_tile",
    "encode_entry_bundle",
    "encode_hash_tile",
    "entry_bundles_for_size",
    "format_tile_index",
    "hash_tile_from_nodes",
    "node_tile",
    "parse_tile_index",
    "parse_tile_path",
    "tile_node_reader",
    "tile_width",
    "tiles_for_size",
    # keys / notes
    "Ed25519Signer",
    "Ed25519Verifier",
    "NoteSigner",
    "NoteVerifier",
    "generate_key",
    "key_id",
    "parse_signer_key",
    "parse_verifier_key",
    "Note",
    "Signature",
    "VerifiedNote",
    "open_note",
    "parse_note",
    "sign_note",
    # checkpoints / cosignatures
    "Checkpoint",
    "open_checkpoint",
    "parse_checkpoint",
    "sign_checkpoint",
    "CosignatureSigner",
    "CosignatureVerifier",
    "cosign_checkpoint",
    "parse_cosignature_verifier_key",
    "verify_cosignature",
    # errors
    "LedgerError",
    "CheckpointError",
    "HashSizeError",
    "KeyFormatError",
    "NoteError",
    "OutOfRangeError",
    "ProofError",
    "TileFormatError",
    "TilePathError",
}

MODULES = [
    "checkpoint",
    "cosignature",
    "errors",
    "keys",
    "merkle",
    "note",
    "proofs",
    "tiles",
]


def test_public_surface_is_pinned() -> None:
    assert set(plaudit.ledger.__all__) == PUBLIC
    for name in PUBLIC:
        assert hasattr(plaudit.ledger, name), name


@pytest.mark.parametrize("module_name", MODULES)
def test_every_module_declares_all(module_name: str) -> None:
    module = importlib.import_module(f"plaudit.ledger.{module_name}")
    assert module.__doc__
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.{name}"


def test_errors_share_one_base_and_say_what_to_do() -> None:
    errors = [getattr(plaudit.ledger, name) for name in PUBLIC if name.endswith("Error")]
    for error in errors:
        assert issubclass(error, LedgerError)
        assert inspect.getdoc(error)
