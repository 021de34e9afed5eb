"""What every command shares: settings options, error reporting, JSON output."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from plaudit.config import Settings, load_settings
from plaudit.errors import ConfigError, InvalidInput, PlauditError
from plaudit.lake.engines import ENGINES

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from plaudit.platform import Platform

__all__ = [
    "engine_option",
    "fail",
    "fail_verification",
    "log_progress",
    "open_platform",
    "platform_settings",
    "print_json",
    "settings_from",
    "settings_options",
    "stage_progress",
    "verification_reported",
]

F = TypeVar("F", bound=Callable[..., Any])


def settings_options(command: F) -> F:
    """Add --data-dir, --database-url and --config to a command."""
    options = [
        click.option(
            "--config",
            "config_file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="TOML file of settings (also $PLAUDIT_CONFIG).",
        ),
        click.option("--database-url", help="SQLAlchemy URL; default SQLite in the data dir."),
        click.option("--data-dir", help="Data directory (default ./plaudit-data)."),
    ]
    for option in options:
        command = option(command)
    return command


def engine_option(default: str | None = "local", detail: str = "") -> Callable[[F], F]:
    """`--engine local|spark` of the batch jobs that read the lake (with `--lake`); `detail`
    says what each engine runs for this job. A `None` default lets the command tell an
    explicit `--engine` without `--lake` (a mistake) from the default."""
    what = detail or "local (DuckDB) or spark (PySpark"
    return click.option(
        "--engine",
        type=click.Choice(ENGINES),
        default=default,
        show_default=default is not None,
        help=f"With --lake: {what}; under spark-submit, its master).",
    )


def settings_from(config_file: Path | None = None, **flags: Any) -> Settings:
    try:
        return load_settings(flags=flags, config_file=config_file)
    except ConfigError as exc:
        raise click.UsageError(exc.detail) from None


def platform_settings(config_file: Path | None = None, **flags: Any) -> Settings:
    """Settings of a platform that exists: a command that reads one refuses a data directory
    or database that holds none, instead of silently creating an empty platform there."""
    from plaudit.store import holds_platform

    settings = settings_from(config_file, **flags)
    if not holds_platform(settings.db_url):
        where = (
            f"--data-dir {settings.data_path}"
            if not settings.database_url
            else f"--database-url {settings.db_url.split('://')[0]}://..."
        )
        raise InvalidInput(
            f"{where} holds no Plaudit platform; check the path (the default is "
            "./plaudit-data), or create one there with `plaudit demo` (a demo community) or "
            "`plaudit db upgrade` (an empty platform)",
            field="data_dir",
        )
    return settings


@contextmanager
def open_platform(
    config_file: Path | None,
    data_dir: str | None,
    database_url: str | None,
    *,
    writer_thread: bool = False,
    create: bool = False,
) -> Iterator[Platform]:
    """The platform on the store the settings options name, closed however the command ends.

    `writer_thread` starts the group-commit writer, for commands that write many rows;
    `create` lets a command start a new platform where there is none (others refuse one).
    """
    from plaudit.platform import Platform  # here: commands that need no store stay light

    flags = {"data_dir": data_dir, "database_url": database_url}
    settings = (settings_from if create else platform_settings)(config_file, **flags)
    platform = Platform(settings).open(writer_thread=writer_thread)
    try:
        yield platform
    finally:
        platform.close()


@contextmanager
def stage_progress(first: str, total: int | None) -> Iterator[Callable[[str], None]]:
    """A spinner with the elapsed time on stderr, for work done in `total` named stages; off a
    terminal (a log, CI, a pipe), plain lines instead (`_PlainSteps`), so a long command
    still says what it is doing.

    Calling the yielded function finishes a stage and names the next one.
    """
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield _PlainSteps(first, total)
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(first, total=total)

        def advance(description: str) -> None:
            progress.update(task, advance=1, description=description)

        yield advance


class _PlainSteps:
    """Progress as plain lines on stderr, at most one per `every` seconds (a stage may take
    milliseconds or minutes; a log should get neither thousands of lines nor none)."""

    def __init__(self, first: str, total: int | None, every: float = 5.0) -> None:
        self._started = time.monotonic()
        self._last = self._started
        self._total = total
        self._done = 0
        self._every = every
        click.echo(f"progress: {first}", err=True)

    def __call__(self, description: str) -> None:
        self._done += 1
        now = time.monotonic()
        if now - self._last < self._every:
            return
        self._last = now
        of = f"/{self._total}" if self._total else ""
        click.echo(
            f"progress: {description} ({self._done}{of}, {now - self._started:.0f} s)", err=True
        )


class _LogProgressBar:
    """`on_progress(done, total)` of a log replay, drawn on stderr only for logs of at least
    `show_from` entries and only on a terminal: a small log is done before a bar helps."""

    def __init__(self, label: str, show_from: int) -> None:
        from rich.console import Console

        self._label = label
        self._show_from = show_from
        self._console = Console(stderr=True)
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            if total < self._show_from or not self._console.is_terminal:
                return
            from rich.progress import Progress

            self._bar = Progress(console=self._console, transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self._label, total=total)
        assert self._task is not None
        self._bar.update(self._task, completed=done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


@contextmanager
def log_progress(label: str, show_from: int) -> Iterator[Callable[[int, int], None]]:
    """A progress hook for replaying a log (see `_LogProgressBar`), removed when done."""
    bar = _LogProgressBar(label, show_from)
    try:
        yield bar
    finally:
        bar.close()


def fail_verification(failures: Sequence[str], prefix: str = "") -> NoReturn:
    """One `FAIL:` line per failed check on stderr, then exit 1."""
    for failure in failures:
        click.echo(f"FAIL: {prefix}{failure}", err=True)
    sys.exit(1)


@contextmanager
def verification_reported(failure_prefix: str = "") -> Iterator[None]:
    """Verification failures and unreadable logs as lines and exit 1, never a traceback."""
    from plaudit.ledger.sources import LogUnavailable
    from plaudit.ledger.verify import VerificationFailed

    try:
        yield
    except VerificationFailed as exc:
        fail_verification(exc.failures, failure_prefix)
    except LogUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


def fail(error: PlauditError) -> None:
    """Report a Plaudit error as one line; exit 2 for bad input, 1 for everything else."""
    click.echo(f"error: {error.detail}", err=True)
    sys.exit(2 if isinstance(error, InvalidInput | ConfigError) else 1)


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, default=str))
