"""The engines every batch job on the lake runs on (docs/scale.md, "Batch jobs on the lake"):
`local` reads the manifest's files with DuckDB on this machine, `spark` with PySpark, from
`local[*]` to a cluster under spark-submit. One list, so a job cannot accept an engine the
others refuse."""

from __future__ import annotations

from plaudit.errors import InvalidInput

__all__ = ["ENGINES", "unknown_engine"]

ENGINES = ("local", "spark")


def unknown_engine(engine: str) -> InvalidInput:
    """The error for an engine outside ENGINES (raised by the job that was asked)."""
    return InvalidInput(
        f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}", field="engine"
    )
