"""`plaudit demo --attacks`: the attacks are stored through the bulk path, with ground truth."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from click.testing import CliRunner
from sqlalchemy import func, select

from plaudit.authenticity.demo_attacks import TRUTH_FILE, load_attacks
from plaudit.authenticity.sources import LikeCollector
from plaudit.authenticity.spec import parse_spec
from plaudit.cli.main import cli
from plaudit.config import Settings
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community
from plaudit.store import tables

TINY = CommunitySize("tiny", accounts=600, creators=30, videos=120, interactions=6000, days=30)
END = datetime(2026, 11, 1, tzinfo=UTC)


def test_attacks_are_stored_with_their_ground_truth(backend_settings: Settings) -> None:
    platform = Platform(backend_settings).open()
    collected = LikeCollector()
    try:
        load_community(platform.db, TINY, seed=5, end=END, show_progress=False, observe=collected)
        attacks = parse_spec("farm:40x20:d=0.5:camo=random,hijack:10x10:d=0.5,ring:5:d=0.5")
        summary, path = load_attacks(
            platform.db, collected, attacks, seed=2, data_path=backend_settings.data_path
        )
        assert path == backend_settings.data_path / TRUTH_FILE
        truth = json.loads(path.read_text())
        farm, hijack, ring = truth["attacks"]
        assert [farm["kind"], hijack["kind"], ring["kind"]] == ["farm", "hijack", "ring"]
        assert farm["parameters"]["density"] == 0.5
        assert len(farm["accounts"]) == 40
        assert all(a > TINY.accounts for a in farm["accounts"])
        assert all(a <= TINY.accounts for a in hijack["accounts"] + ring["accounts"])
        assert "40 new accounts" in summary
        t = tables
        with platform.db.read() as conn:
            fans = conn.execute(
                select(func.count()).where(t.accounts.c.id.in_(farm["accounts"]))
            ).scalar_one()
            stored = set(
                conn.execute(
                    select(t.likes.c.account_id, t.likes.c.video_id).where(
                        t.likes.c.account_id.in_(farm["accounts"] + hijack["accounts"])
                    )
                ).all()
            )
            counted = conn.execute(select(func.sum(t.video_counters.c.likes))).scalar_one()
            active = conn.execute(
                select(func.count()).where(t.likes.c.removed_at.is_(None))
            ).scalar_one()
        assert fans == 40
        for attack in (farm, hijack):
            assert {tuple(pair) for pair in attack["likes"]} <= stored
        assert counted == active  # the bulk path kept the counters
        # the sequences moved past the fake accounts: sign-ups still work
        account, _ = platform.accounts.create("after_the_attack", "fan")
        assert account.id > max(farm["accounts"])
    finally:
        platform.close()


def test_a_bad_spec_is_a_usage_error(tmp_path: object) -> None:
    result = CliRunner().invoke(cli, ["demo", "--attacks", "farm:40x:d=0.5", "--data-dir", "x"])
    assert result.exit_code == 2
    assert "attack 1 ('farm:40x:d=0.5'): size '40x' must be ACCOUNTSxVIDEOS" in result.output


def test_the_collector_reads_the_same_likes_from_arrays_as_from_items() -> None:
    """The demo loader hands the collector `ColumnsChunk`s; the generator's items and its
    arrays give the same likes, devices and prefixes."""
    from plaudit.sim import generate

    collected = []
    for columns in (False, True):
        collector = LikeCollector()
        for chunk in generate(TINY, seed=5, end=END, columns=columns):
            collector(chunk)
        collected.append(collector.likes())
    (items, item_keys), (arrays, array_keys) = collected
    assert len(items.account) > 1000
    for name in ("account", "video", "ts", "device", "ip", "creator_of_video"):
        assert (getattr(items, name) == getattr(arrays, name)).all(), name
    assert items.next_account == arrays.next_account
    assert item_keys == array_keys
