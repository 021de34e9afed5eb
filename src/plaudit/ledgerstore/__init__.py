"""The like ledger on the platform's store: the store-backed side of `plaudit.ledger`.

`plaudit.ledger` is the pure core (formats, Merkle trees, tiles, notes, proofs and their
verification; no store). This package runs it over the database:

* `integration`: the integrator, events -> entries -> hash tiles, bundles, signed checkpoint;
* `service`: the read side (checkpoints, tiles, entries, proofs, receipts, cosignatures);
* `audit`: recomputing every video's counts from the log and comparing them with the store
  or a server.

The split keeps the core free of storage, so `config` can use the core's key parsing
without an import cycle through `store`.
"""

from plaudit.ledgerstore.integration import Integrator
from plaudit.ledgerstore.service import LedgerService

__all__ = ["Integrator", "LedgerService"]
