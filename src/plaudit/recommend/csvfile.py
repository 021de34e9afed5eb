"""Read feedback from a CSV file of `account_id,video_id[,ts]` (`plaudit strategy eval`).

A header line is optional; when present it must name the columns (`account_id`, `video_id`
and optionally `ts`, in any order). `ts` is seconds since the epoch or an ISO 8601 time.
Ids are any text, as most exported datasets spell them (and as the authenticity scan reads
them): a non-negative integer keeps its value, any other id gets a fixed negative number
derived from its text (`_id_number`), so the same id means the same item in the feedback
file and in the categories file, and a text id never collides with an integer one.
Any bad line stops the read with an error naming the line and what to fix: a silently
skipped line would change the evaluation without anyone knowing.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import numpy as np

from plaudit.errors import InvalidInput
from plaudit.recommend.feedback import Feedback, ItemCategories

__all__ = ["read_categories_csv", "read_feedback_csv"]

_COLUMNS = ("account_id", "video_id", "ts")
# A first line of only such words (`user_id,item_id`) is a header that names the wrong
# columns, not a pair of text ids: reading it as a like would change the evaluation silently.
_HEADER_WORD = re.compile(r"[a-z][a-z_ ]*")
T = TypeVar("T")


def read_feedback_csv(path: Path) -> Feedback:
    """The pairs of the file; InvalidInput naming the file and line when it is malformed."""
    return _with_file(path, _read)


def read_categories_csv(path: Path) -> ItemCategories:
    """Each video's category from a CSV of `video_id,category` (optional header; any label,
    numbered in sorted order); one category per video."""
    return _with_file(path, _read_categories)


def _with_file(path: Path, read: Callable[[Path, Iterator[list[str]]], T]) -> T:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return read(path, csv.reader(handle))
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path}: is a directory, not a CSV file") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not a UTF-8 text file") from None
    except csv.Error as exc:
        raise InvalidInput(f"{path}: not readable as CSV: {exc}") from None


def _read(path: Path, reader: Iterator[list[str]]) -> Feedback:
    lines = ((number, row) for number, row in enumerate(reader, 1) if any(f.strip() for f in row))
    first = next(lines, None)
    if first is None:
        raise InvalidInput(f"{path}: the file is empty; expected lines of account_id,video_id[,ts]")
    positions, has_ts, data = _layout(path, *first)
    accounts: list[int] = []
    videos: list[int] = []
    times: list[float] = []
    for number, row in (*data, *lines):
        account, video, ts = _parse_row(path, number, row, positions, has_ts)
        accounts.append(account)
        videos.append(video)
        times.append(ts)
    if not accounts:
        raise InvalidInput(f"{path}: the file has a header but no data lines")
    return Feedback(
        np.array(accounts, dtype=np.int64),
        np.array(videos, dtype=np.int64),
        np.array(times, dtype=np.float64) if has_ts else None,
    )


def _layout(
    path: Path, number: int, row: list[str]
) -> tuple[tuple[int, int, int], bool, tuple[tuple[int, list[str]], ...]]:
    """Column positions and whether ts exists, from the header or the first data line."""
    names = [field.strip().lower() for field in row]
    if any(name in _COLUMNS for name in names) or _header_words(names):
        missing = [c for c in _COLUMNS[:2] if c not in names]
        if missing:
            raise InvalidInput(
                f"{path}: line {number}: the header {','.join(names)} lacks "
                f"{' and '.join(missing)}; expected account_id,video_id[,ts]"
            )
        has_ts = "ts" in names
        ts_at = names.index("ts") if has_ts else -1
        return (names.index("account_id"), names.index("video_id"), ts_at), has_ts, ()
    if len(row) < 2:
        raise InvalidInput(
            f"{path}: line {number} has {len(row)} column; expected account_id,video_id[,ts]"
        )
    has_ts = len(row) >= 3 and row[2].strip() != ""
    return (0, 1, 2 if has_ts else -1), has_ts, ((number, row),)


def _header_words(names: list[str]) -> bool:
    """Whether a first line without our column names still reads as a header (words such as
    `user,item` or `user_id,item_id` rather than ids such as `u1,v42`)."""
    return all(_HEADER_WORD.fullmatch(name) for name in names[:2])


def _parse_row(
    path: Path, number: int, row: list[str], positions: tuple[int, int, int], has_ts: bool
) -> tuple[int, int, float]:
    needed = max(positions) + 1
    if len(row) < needed:
        raise InvalidInput(
            f"{path}: line {number} has {len(row)} columns, {needed} expected "
            f"(account_id,video_id{',ts' if has_ts else ''})"
        )
    account = _id(path, number, "account_id", row[positions[0]])
    video = _id(path, number, "video_id", row[positions[1]])
    ts = _time(path, number, row[positions[2]]) if has_ts else 0.0
    return account, video, ts


def _id(path: Path, number: int, column: str, text: str) -> int:
    value = text.strip()
    if not value:
        raise InvalidInput(f"{path}: line {number}: {column} is empty; give every line an id")
    return _id_number(value)


def _id_number(text: str) -> int:
    """The number standing for an id: a non-negative integer id keeps its value (up to
    2^63 - 1); any other text maps to a fixed negative number, the first 63 bits of its
    BLAKE2b hash (distinct ids collide with odds of about n^2 / 2^64)."""
    if text.isascii() and text.isdigit() and int(text) < 2**63:
        return int(text)
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return -(int.from_bytes(digest, "big") >> 1) - 1


def _time(path: Path, number: int, text: str) -> float:
    value = text.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if math.isfinite(seconds):
            return seconds
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{path}: line {number}: ts {text!r} is neither seconds since the epoch nor an "
            "ISO 8601 time"
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _read_categories(path: Path, reader: Iterator[list[str]]) -> ItemCategories:
    labels: dict[int, str] = {}
    for number, row in enumerate(reader, 1):
        if not any(field.strip() for field in row):
            continue
        if number == 1 and [f.strip().lower() for f in row[:2]] == ["video_id", "category"]:
            continue
        if len(row) < 2 or not row[1].strip():
            raise InvalidInput(f"{path}: line {number}: expected video_id,category")
        video = _id(path, number, "video_id", row[0])
        label = row[1].strip()
        if labels.setdefault(video, label) != label:
            raise InvalidInput(
                f"{path}: line {number}: video {video} already has category "
                f"{labels[video]!r}; give one category per video"
            )
    if not labels:
        raise InvalidInput(f"{path}: no categories; expected lines of video_id,category")
    names = sorted(set(labels.values()))
    number_of = {name: n for n, name in enumerate(names)}
    return ItemCategories(
        np.fromiter(labels.keys(), dtype=np.int64, count=len(labels)),
        np.array([number_of[label] for label in labels.values()], dtype=np.int16),
    )
