"""The demo generator running ahead in its own process, on the second core (issue #18).

While the loader's process writes a chunk into SQLite, generating the next one (accounts'
profiles, the day's feed and engagement, origins) can run elsewhere: about a tenth of the
load's CPU moves off the writing core. The child runs `generate` with the same arguments, so
the stream is the same chunk for chunk (`generate` is a function of size, seed and end;
`tests/sim/test_sim_ahead.py` compares the two streams). Chunks cross a bounded queue, so the
child stays at most `AHEAD` chunks ahead and memory stays that of a few chunks.

The child is started with "spawn": the loader's process has a database connection and maybe
threads open, which a forked child must not inherit. An error in the child (a bad seed, say) is
raised again in the loader; when the loader stops early (an error, a refused chunk), the child
is stopped with it.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Generator, Iterator
from datetime import datetime
from multiprocessing.context import SpawnProcess
from multiprocessing.queues import Queue
from typing import Any

from plaudit.errors import StorageError
from plaudit.sim.community import generate
from plaudit.sim.records import Chunk, CommunitySize

__all__ = ["AHEAD", "generate_ahead"]

AHEAD = 4
"""Chunks the child may have made and not yet handed over (each about 2 MB as arrays)."""
_DONE = "done"
_FAILED = "failed"
_POLL_S = 1.0


def _produce(out: Queue[Any], size: CommunitySize, seed: int, end: datetime) -> None:
    """The child: every chunk of the stream, then a marker (or the error's text)."""
    try:
        for chunk in generate(size, seed, end, columns=True):
            out.put(chunk)
        out.put(_DONE)
    except Exception as exc:  # handed to the loader, which raises it as `generate` would
        out.put((_FAILED, exc))


def generate_ahead(size: CommunitySize, seed: int, end: datetime) -> Generator[Chunk, None, None]:
    """`generate(size, seed, end, columns=True)`, made in a child process a few chunks ahead."""
    context = multiprocessing.get_context("spawn")
    chunks: Queue[Any] = context.Queue(maxsize=AHEAD)
    child: SpawnProcess = context.Process(
        target=_produce, args=(chunks, size, seed, end), name="plaudit-demo-generator"
    )
    child.daemon = True  # never outlives the loader
    child.start()
    try:
        yield from _received(chunks, child)
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        chunks.close()


def _received(chunks: Queue[Any], child: SpawnProcess) -> Iterator[Chunk]:
    while True:
        try:
            item = chunks.get(timeout=_POLL_S)
        except queue.Empty:
            if not child.is_alive() and chunks.empty():
                raise StorageError(
                    f"the demo generator's process stopped (exit code {child.exitcode}) "
                    "before the stream ended; run the demo again"
                ) from None
            continue
        if isinstance(item, str) and item == _DONE:
            return
        if isinstance(item, tuple) and item[0] == _FAILED:
            raise item[1]
        yield item
