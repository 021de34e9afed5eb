"""The operators' views of authenticity (authenticity/oversight.py) on both engines: a scan's
figures, its verdicts, a verdict's accounts x videos block, every revocation, and the rules'
limits beside what they held."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from plaudit.authenticity.oversight import BLOCK_MAX, block_of, rule_limits
from plaudit.authenticity.rules import RuleSettings
from plaudit.config import Settings
from plaudit.errors import InvalidInput, VerdictNotFound
from plaudit.interactions import BulkItem, ingest_op
from plaudit.platform import Platform
from plaudit.sim import CommunitySize
from plaudit.sim.load import load_community

COMMUNITY = CommunitySize("o", accounts=400, creators=10, videos=40, interactions=5000, days=20)
BOTS, TARGETS = 25, 15


@pytest.fixture
def scanned(backend_settings: Settings) -> Iterator[tuple[Platform, list[int]]]:
    """A community with a lockstep farm, scanned; then a new account that likes too fast."""
    platform = Platform(backend_settings).open()
    end = datetime.now(UTC)
    load_community(platform.db, COMMUNITY, seed=5, end=end, show_progress=False)
    bots = [platform.accounts.create(f"bot{i}")[0].id for i in range(BOTS)]
    start = end - timedelta(days=1)
    items = [
        BulkItem("like", bot, video, start + timedelta(seconds=5 * i + j))
        for i, bot in enumerate(bots)
        for j, video in enumerate(range(1, TARGETS + 1))
    ]
    platform.db.write(ingest_op(items, None))
    platform.authenticity.scan()
    yield platform, bots
    platform.close()


def test_scans_list_their_figures_and_verdicts_their_summaries(
    scanned: tuple[Platform, list[int]],
) -> None:
    platform, _bots = scanned
    oversight = platform.authenticity.oversight
    (scan,) = oversight.scans()
    assert scan.finished_at is not None
    assert scan.verdicts >= 1
    assert scan.likes_revoked >= BOTS * TARGETS
    verdicts = oversight.verdicts(scan.id)
    assert len(verdicts) == scan.verdicts
    assert [v.score for v in verdicts] == sorted((v.score for v in verdicts), reverse=True)
    assert any(v.summary["accounts_count"] >= BOTS for v in verdicts)
    assert oversight.verdicts(None) == []  # none made by hand


def test_the_verdicts_blocks_hold_every_farm_like_once(
    scanned: tuple[Platform, list[int]],
) -> None:
    platform, bots = scanned
    oversight = platform.authenticity.oversight
    (scan,) = oversight.scans()
    seen: list[tuple[int, int]] = []
    for verdict in oversight.verdicts(scan.id):
        block = oversight.block(verdict.id)
        assert block.likes_total == len(block.cells)  # nothing cut: under BLOCK_MAX
        assert block.accounts_total == verdict.summary["accounts_count"]
        seen += [(block.accounts[row], block.videos[column]) for row, column in block.cells]
    farm = [(b, v) for b in bots for v in range(1, TARGETS + 1)]
    assert len(seen) == len(set(seen))  # a like is revoked by one verdict
    assert set(farm) <= set(seen)
    with pytest.raises(VerdictNotFound):
        oversight.block(10_000)


def test_revocations_newest_first_with_their_verdicts(scanned: tuple[Platform, list[int]]) -> None:
    platform, _bots = scanned
    oversight = platform.authenticity.oversight
    (scan,) = oversight.scans()
    first = oversight.revocations(None, 100)
    assert [r.id for r, _d, _s in first] == sorted((r.id for r, _d, _s in first), reverse=True)
    everything = list(first)
    while len(everything) < scan.likes_revoked:
        everything += oversight.revocations(everything[-1][0].id, 100)
    assert len(everything) == scan.likes_revoked
    assert {d for _r, d, _s in everything} <= {v.detector for v in oversight.verdicts(scan.id)}


def test_rule_activity_counts_the_holds_per_rule(scanned: tuple[Platform, list[int]]) -> None:
    platform, _bots = scanned
    eager = platform.accounts.create("eager", "fan")[0].id
    held = [platform.interactions.like_sync(eager, v).held for v in range(1, 26)]
    settings = platform.rules.settings
    oversight = platform.authenticity.oversight
    activity = {a.limit.rule: a for a in oversight.rule_activity(settings, 24)}
    assert list(activity) == [r.rule for r in rule_limits(settings)]
    velocity = activity["account_velocity"].counts
    total_held = sum(a.counts["held"] for a in activity.values())
    assert total_held == sum(held) > 0
    assert velocity["held"] >= 1
    assert velocity["open_now"] == velocity["held"]  # no scan has decided them yet
    assert velocity["released"] == velocity["revoked"] == 0
    platform.authenticity.scan()
    after = {a.limit.rule: a for a in oversight.rule_activity(settings, 1)}
    decided = after["account_velocity"].counts
    assert decided["open_now"] == 0
    assert decided["released"] + decided["revoked"] == velocity["held"]
    with pytest.raises(InvalidInput, match="hours"):
        oversight.rule_activity(settings, 0)


def test_rule_limits_are_the_servers_settings() -> None:
    limits = {r.rule: r for r in rule_limits(RuleSettings(account_hold=7, account_limit=9))}
    assert (limits["account_velocity"].hold, limits["account_velocity"].refuse) == (7, 9)
    assert limits["ip_velocity"].refuse is None
    assert limits["new_account"].refuse is None


def test_a_large_block_draws_its_busiest_accounts_and_videos_with_whole_counts() -> None:
    pairs = [(a, v) for a in range(100) for v in range(80) if (a + v) % 3 or a < 10]
    block = block_of(pairs)
    assert len(block.accounts) == len(block.videos) == BLOCK_MAX
    assert (block.accounts_total, block.videos_total, block.likes_total) == (100, 80, len(pairs))
    assert set(range(10)) <= set(block.accounts)  # the ten accounts that liked everything
    assert block.accounts == sorted(block.accounts)
    assert 0 < block.density <= 1
