"""Reading `account_id,video_id[,ts]` files: what is accepted, and one precise error for each
kind of bad file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaudit.errors import InvalidInput
from plaudit.recommend import read_categories_csv, read_feedback_csv


def _write(tmp_path: Path, text: str, name: str = "likes.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_headerless_pairs(tmp_path: Path) -> None:
    feedback = read_feedback_csv(_write(tmp_path, "1,10\n1,11\n\n2,10\n"))
    assert feedback.accounts.tolist() == [1, 1, 2]
    assert feedback.videos.tolist() == [10, 11, 10]
    assert feedback.ts is None


def test_header_in_any_order_with_seconds_and_iso_times(tmp_path: Path) -> None:
    text = "video_id,ts,account_id\n10,100.5,1\n11,2026-11-01T00:00:00Z,2\n"
    feedback = read_feedback_csv(_write(tmp_path, text))
    assert feedback.accounts.tolist() == [1, 2]
    assert feedback.ts is not None
    assert feedback.ts.tolist() == [100.5, 1793491200.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("\n\n", "the file is empty"),
        ("account_id,video_id\n", "header but no data lines"),
        ("account_id,ts\n1,2\n", "lacks video_id"),
        ("user,item\n1,2\n", "lacks account_id and video_id"),
        ("1\n", "line 1 has 1 column"),
        ("1,2\n3\n", "line 2 has 1 columns, 2 expected"),
        ("1,2\n3, \n", "line 2: video_id is empty"),
        ("user_id,item_id\nu1,v1\n", "lacks account_id and video_id"),
        ("1,2,5\n3,4,soon\n", "line 2: ts 'soon' is neither seconds"),
        ("1,2,5\n3,4,nan\n", "line 2: ts 'nan' is neither seconds"),
        ("1,2,5\n3,4\n", "line 2 has 2 columns, 3 expected"),
    ],
)
def test_bad_files_get_one_precise_error(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InvalidInput, match=message) as error:
        read_feedback_csv(path)
    assert str(path) in error.value.detail
    assert "\n" not in error.value.detail


def test_missing_file_and_directory_and_binary(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        read_feedback_csv(tmp_path / "absent.csv")
    with pytest.raises(InvalidInput, match="is a directory"):
        read_feedback_csv(tmp_path)
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(InvalidInput, match="not a UTF-8 text file"):
        read_feedback_csv(binary)


@given(st.lists(st.tuples(st.integers(0, 10**12), st.integers(0, 10**12)), min_size=1))
def test_any_integer_pairs_round_trip(pairs: list[tuple[int, int]]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.csv"
        path.write_text("".join(f"{a},{v}\n" for a, v in pairs))
        feedback = read_feedback_csv(path)
    assert list(zip(feedback.accounts.tolist(), feedback.videos.tolist(), strict=True)) == pairs


def test_text_ids_are_accepted_and_mean_the_same_video_in_both_files(tmp_path: Path) -> None:
    """Exported datasets spell ids as text (`u1`, UUIDs); the scan reads them, so does eval."""
    text = "account_id,video_id\nu1,v-a\nu1,42\nu2,v-a\n-3,v-b\n"
    feedback = read_feedback_csv(_write(tmp_path, text))
    accounts, videos = feedback.accounts.tolist(), feedback.videos.tolist()
    assert accounts[0] == accounts[1] != accounts[2]
    assert videos[0] == videos[2] != videos[3]
    assert videos[1] == 42
    assert min([*accounts, videos[0], videos[3]]) < 0
    assert headerless_equal(tmp_path, "u1,v-a\nu2,v-b\n", "account_id,video_id\nu1,v-a\nu2,v-b\n")
    categories = read_categories_csv(_write(tmp_path, "v-a,food\n42,pets\nv-b,pets\n", "c.csv"))
    assert categories.of(feedback.videos).tolist() == [0, 1, 0, 1]


def headerless_equal(tmp_path: Path, headerless: str, headed: str) -> bool:
    first = read_feedback_csv(_write(tmp_path, headerless, "a.csv"))
    second = read_feedback_csv(_write(tmp_path, headed, "b.csv"))
    return first.accounts.tolist() == second.accounts.tolist() and (
        first.videos.tolist() == second.videos.tolist()
    )


def test_categories_file_numbers_labels_in_sorted_order(tmp_path: Path) -> None:
    path = _write(tmp_path, "video_id,category\n7,pets\n3,food\n9,pets\n", "cats.csv")
    categories = read_categories_csv(path)
    assert categories.of(np.array([3, 7, 9, 4])).tolist() == [0, 1, 1, -1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no categories"),
        ("5\n", "line 1: expected video_id,category"),
        (" ,food\n", "line 1: video_id is empty"),
        ("5,food\n5,pets\n", "line 2: video 5 already has category 'food'"),
    ],
)
def test_bad_categories_files(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        read_categories_csv(_write(tmp_path, text, "cats.csv"))
