"""Injection: several attacks at once, hijacks, `plaudit authenticity inject` and its truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from click.testing import CliRunner

from plaudit.authenticity import Attack, Likes, read_interactions, scan
from plaudit.authenticity.attacks import inject_all
from plaudit.authenticity.batch import all_flagged
from plaudit.cli.main import cli


def test_several_attacks_keep_their_own_truth(clean: Likes) -> None:
    attacks = [
        Attack("hijack", 30, 20, 0.5),
        Attack("farm", 40, 20, 0.5),
        Attack("ring", 8, 0, 0.5),
    ]
    likes, truths = inject_all(clean, attacks, seed=4)
    assert len(truths) == 3
    hijack, farm, ring = truths
    assert farm.accounts.min() > clean.account.max()  # new accounts
    assert np.isin(hijack.accounts, clean.account).all()  # existing accounts, taken over
    assert creators(clean)[ring.accounts].all()
    for attack, truth in zip(attacks, truths, strict=True):
        rows = np.concatenate([truth.payload, truth.camouflage])
        assert rows.min() >= len(clean)
        assert rows.max() < len(likes)
        assert np.isin(likes.account[truth.payload], truth.accounts).all(), attack.kind
    # no attack's rows overlap another's
    every = np.concatenate([np.concatenate([t.payload, t.camouflage]) for t in truths])
    assert len(np.unique(every)) == len(every) == len(likes) - len(clean)


def creators(likes: Likes) -> np.ndarray:
    assert likes.creator_of_video is not None
    is_creator = np.zeros(int(likes.account.max()) + 1, dtype=bool)
    made = likes.creator_of_video[likes.creator_of_video >= 0]
    is_creator[made] = True
    return is_creator


def test_a_hijack_never_relikes_and_comes_from_attacker_devices(clean: Likes) -> None:
    likes, (truth,) = inject_all(clean, [Attack("hijack", 40, 30, 0.6)], seed=8)
    pairs = likes.account * (int(likes.video.max()) + 1) + likes.video
    assert len(np.unique(pairs[truth.payload])) == len(truth.payload)
    assert not np.isin(pairs[truth.payload], pairs[: len(clean)]).any()
    assert (likes.device[truth.payload] > clean.device.max()).all()
    result = scan(likes.table())
    flagged, _ = all_flagged(result.verdicts)
    found = np.isin(truth.accounts, likes.table().account_ids[flagged]).mean()
    assert found >= 0.9


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["authenticity", *args])
    return result.exit_code, result.output


KUAIREC = Path(__file__).parents[2] / "data" / "kuairec" / "shifted_logs.csv"


def test_inject_into_kuairec_pairs_then_scan(tmp_path: Path) -> None:
    pairs = KUAIREC
    before = len(pairs.read_bytes().splitlines())
    out = tmp_path / "attacked.csv"
    code, output = run(
        "inject", "--input", str(pairs), "--output", str(out),
        "--attacks", "farm:60x30:d=0.4:camo=random,slow_drip:100x100:d=0.3", "--seed", "3",
    )  # fmt: skip
    assert code == 0, output
    truth_path = tmp_path / "attacked.truth.json"
    assert str(truth_path) in output
    truth = json.loads(truth_path.read_text())
    assert truth["likes_before"] == before
    assert [a["kind"] for a in truth["attacks"]] == ["farm", "slow_drip"]
    farm = truth["attacks"][0]
    assert farm["parameters"]["accounts"] == 60
    assert farm["parameters"]["camouflage"] == "random"
    assert len(farm["accounts"]) == 60
    assert farm["likes"]
    assert farm["camouflage"]
    table = read_interactions(out)
    assert len(table) == truth["likes_after"]
    # organic-looking times were assigned: spread over weeks, mostly in the daytime
    hours = (table.ts % 86_400) // 3600
    assert table.ts.max() - table.ts.min() > 30 * 86_400
    assert (hours >= 8).mean() > 0.95
    fake = {a for attack in truth["attacks"] for a in attack["accounts"]}
    written = pacsv.read_csv(out).to_pydict()
    liked = {(a, v) for a, v in zip(written["account_id"], written["video_id"], strict=True)}
    assert {tuple(pair) for pair in farm["likes"]} <= liked
    code, output = run("scan", "--input", str(out), "--output", str(tmp_path / "scan"))
    assert code == 0, output
    flagged = set(pacsv.read_csv(tmp_path / "scan" / "accounts.csv")["account_id"].to_pylist())
    assert len(flagged & fake) >= 0.9 * len(fake)
    assert len(flagged - fake) <= 0.001 * table.n_accounts


def test_inject_keeps_the_columns_of_a_headed_file(tmp_path: Path, clean: Likes) -> None:
    source = tmp_path / "likes.csv"
    assert clean.creator_of_video is not None
    pacsv.write_csv(
        pa.table(
            {
                "account_id": clean.account,
                "video_id": clean.video,
                "ts": clean.ts,
                "device_id": pa.array(clean.device.astype(str)),
                "creator_id": clean.creator_of_video[clean.video],
            }
        ),
        source,
    )
    out, truth = tmp_path / "out.csv", tmp_path / "truth.json"
    code, output = run(
        "inject", "--input", str(source), "--output", str(out), "--truth", str(truth),
        "--attacks", "ring:10:d=0.5,device_farm:40x20:d=0.5",
    )  # fmt: skip
    assert code == 0, output
    table = read_interactions(out)
    assert np.array_equal(table.ts[: len(clean)], clean.ts)
    assert table.device is not None
    assert table.creator is not None
    assert [a["kind"] for a in json.loads(truth.read_text())["attacks"]] == ["ring", "device_farm"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--attacks", "farm:20"], "size '20' must be ACCOUNTSxVIDEOS"),
        (["--attacks", "ring:10"], "no creator map"),
        (["--attacks", "hijack:100000x10"], "the graph has only"),
    ],
)
def test_inject_errors_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("".join(f"{a},{a % 7}\n" for a in range(200)))
    result = CliRunner().invoke(
        cli,
        [
            "authenticity",
            "inject",
            "--input",
            str(pairs),
            "--output",
            str(tmp_path / "o.csv"),
            *args,
        ],
    )
    assert result.exit_code != 0
    text = result.output + (str(getattr(result.exception, "detail", "")) or "")
    assert message in text


def test_inject_refuses_string_ids(tmp_path: Path) -> None:
    source = tmp_path / "likes.csv"
    source.write_text("account_id,video_id,ts\nalice,v1,1700000000\n")
    result = CliRunner().invoke(
        cli,
        ["authenticity", "inject", "--input", str(source), "--output", str(tmp_path / "o.csv"),
         "--attacks", "farm:10x1"],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "must be integer ids" in str(getattr(result.exception, "detail", result.output))
