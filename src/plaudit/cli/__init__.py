"""The `plaudit` command line: a thin layer over the library."""

# Nothing to import: the entry point is `plaudit.cli.main:main` (pyproject `[project.scripts]`).
__all__: list[str] = []
