"""`plaudit authenticity scan` on small files, good and bad."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from plaudit.authenticity import Attack, Likes, inject, read_interactions
from plaudit.cli.main import cli
from plaudit.errors import InvalidInput


def write_csv(path: Path, likes: Likes, iso: bool = False) -> None:
    ts = likes.ts.astype("datetime64[s]").astype(str) if iso else likes.ts
    pa_table = pa.table(
        {
            "account_id": likes.account,
            "video_id": likes.video,
            "ts": ts,
            "device_id": pa.array(likes.device, mask=likes.device < 0),
        }
    )
    pa.csv.write_csv(pa_table, path)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["authenticity", *args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def attacked(clean: Likes) -> Likes:
    likes, _ = inject(clean, Attack("farm", 100, 60, 0.3, "random"), seed=2)
    return likes


def test_scan_a_csv_writes_the_three_files(tmp_path: Path, attacked: Likes) -> None:
    source = tmp_path / "likes.csv"
    write_csv(source, attacked, iso=True)
    code, output = run("scan", "--input", str(source), "--output", str(tmp_path / "out"))
    assert code == 0, output
    with (tmp_path / "out" / "accounts.csv").open() as handle:
        accounts = list(csv.DictReader(handle))
    assert {row["detector"] for row in accounts} >= {"lockstep"}
    assert len({row["account_id"] for row in accounts}) >= 90
    assert list(accounts[0]) == ["account_id", "score", "detector", "verdict_id"]
    with (tmp_path / "out" / "likes.csv").open() as handle:
        assert next(csv.reader(handle)) == ["account_id", "video_id", "score", "detector"]
    verdicts = json.loads((tmp_path / "out" / "verdicts.json").read_text())
    first = verdicts["verdicts"][0]
    for key in ("detector", "accounts", "videos", "window", "density", "expected", "observed"):
        assert key in first
    assert "ring: skipped" in " ".join(verdicts["notes"])


def test_scan_a_parquet_file(tmp_path: Path, attacked: Likes) -> None:
    source = tmp_path / "likes.parquet"
    pq.write_table(
        pa.table({"account_id": attacked.account, "video_id": attacked.video, "ts": attacked.ts}),
        source,
    )
    code, output = run("scan", "--input", str(source), "--output", str(tmp_path / "out"))
    assert code == 0, output
    assert "verdicts" in output


def test_iso_and_unix_times_read_the_same(tmp_path: Path, clean: Likes) -> None:
    write_csv(tmp_path / "iso.csv", clean, iso=True)
    write_csv(tmp_path / "unix.csv", clean)
    iso, unix = read_interactions(tmp_path / "iso.csv"), read_interactions(tmp_path / "unix.csv")
    assert np.array_equal(iso.ts, unix.ts)
    assert iso.device is not None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("account_id,video_id,ts\n", "no interactions"),
        ("account_id,ts\n1,5\n", "missing column(s) video_id"),
        ("account_id,video_id,ts\n1,2,1700000000\n1,3,yesterday\n", "data row 2 (line 3"),
        ("account_id,video_id,ts\n1,2,2025-01-01T00:00:00Z\n,3,2025-01-01\n", "account_id"),
    ],
)
def test_bad_input_is_reported(tmp_path: Path, content: str, message: str) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(content)
    with pytest.raises(InvalidInput, match=re.escape(message)):
        read_interactions(source)


def test_the_cli_reports_bad_input_in_one_line(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("account_id,video_id\n1,2\n")
    result = CliRunner().invoke(
        cli, ["authenticity", "scan", "--input", str(source), "--output", str(tmp_path / "o")]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, InvalidInput) or "missing column" in result.output


def test_the_shipped_sample_file_shows_its_farm(tmp_path: Path) -> None:
    """The README tour's `scan --input data/sample/interactions.csv` finds the farm injected
    into it (accounts numbered after the simulated community's 1,500) and no one else."""
    sample = Path(__file__).resolve().parents[2] / "data" / "sample" / "interactions.csv"
    truth = json.loads(sample.with_suffix(".truth.json").read_text())
    code, output = run("scan", "--input", str(sample), "--output", str(tmp_path))
    assert code == 0, output
    assert f"{truth['likes_after']:,} likes" in output
    with (tmp_path / "accounts.csv").open() as handle:
        flagged = {int(row["account_id"]) for row in csv.DictReader(handle)}
    assert flagged <= set(range(1501, 1541))
    # most of the 40-account farm: the degree-aware nulls trade some recall on a farm this
    # small for flagging no real account (docs/authenticity.md, "Null models")
    assert len(flagged) >= 30
