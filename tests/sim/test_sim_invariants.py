"""What the loader and the platform rely on: dense ids, valid values, and interactions
that the platform would accept one by one, in time order, inside the window."""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections import Counter
from datetime import UTC, timedelta

from plaudit.accounts.model import (
    CITY_TIERS,
    GENDERS,
    SPENDING_BANDS,
    validate_handle,
    validate_profile,
)
from plaudit.catalog.categories import CATEGORY_IDS
from plaudit.interactions.bulk_model import KINDS, BulkItem
from plaudit.interactions.model import SHARE_CHANNELS, validate_body
from plaudit.sim.geography import PROVINCES
from tests.sim.streams import Stream


def test_account_ids_are_dense_and_handles_unique(community: Stream) -> None:
    accounts = community.accounts
    assert [a.id for a in accounts] == list(range(1, community.size.accounts + 1))
    assert len({a.handle for a in accounts}) == len(accounts)
    kinds = Counter(a.kind for a in accounts)
    assert kinds == {
        "creator": community.size.creators,
        "fan": community.size.accounts - community.size.creators,
    }
    for a in accounts:
        validate_handle(a.handle)
        assert re.fullmatch(rf"{a.kind}\d{{6,}}", a.handle)


def test_profiles_hold_valid_values(community: Stream) -> None:
    codes = {p.code for p in PROVINCES}
    year = community.end.year
    for a in community.accounts:
        validate_profile(a._asdict(), year)
        assert a.gender in GENDERS
        assert a.city_tier in CITY_TIERS
        assert a.spending_band in SPENDING_BANDS
        assert a.province in codes
        assert a.city
        assert len(a.city) <= 64
        assert 0 < len(a.display_name) <= 128
        assert a.created_at.tzinfo is UTC
        assert a.created_at < community.end - timedelta(days=community.size.days)
        assert not a.consent_targeting or a.consent_personalisation


def test_video_ids_are_dense_and_published_in_the_window(community: Stream) -> None:
    videos, size = community.videos, community.size
    start = community.end - timedelta(days=size.days)
    creators = {a.id for a in community.accounts if a.kind == "creator"}
    assert [v.id for v in videos] == list(range(1, size.videos + 1))
    assert all(start <= v.published_at < community.end for v in videos)
    assert [v.published_at for v in videos] == sorted(v.published_at for v in videos)
    assert {v.creator_id for v in videos} == creators  # every creator publishes
    assert all(v.category in CATEGORY_IDS and 0 < len(v.title) <= 200 for v in videos)
    assert all(5 <= v.duration_s <= 900 for v in videos)


def test_interactions_are_exact_in_number_and_time_ordered(community: Stream) -> None:
    items = community.items
    start = community.end - timedelta(days=community.size.days)
    assert len(items) == community.size.interactions
    assert all(i.at.tzinfo is UTC for i in items)
    assert all(a.at <= b.at for a, b in itertools.pairwise(items))
    assert start <= items[0].at
    assert items[-1].at < community.end
    assert set(Counter(i.kind for i in items)) == set(KINDS)


def test_video_interactions_follow_publication(community: Stream) -> None:
    published = {v.id: v.published_at for v in community.videos}
    creator = {v.id: v.creator_id for v in community.videos}
    for i in community.items:
        if i.kind in ("like", "unlike", "comment", "share"):
            assert i.target_id in published
            assert i.at > published[i.target_id]
            assert i.account_id != creator[i.target_id]


def test_likes_and_follows_replay_cleanly(community: Stream) -> None:
    """Replaying the stream: never a second active like or follow, never an undo of nothing,
    never a redo after an undo, and follows go to creators other than oneself."""
    creators = {a.id for a in community.accounts if a.kind == "creator"}
    active: set[tuple[str, int, int]] = set()
    undone: set[tuple[str, int, int]] = set()
    for i in community.items:
        base = {"like": "like", "unlike": "like", "follow": "follow", "unfollow": "follow"}
        if i.kind not in base:
            continue
        pair = (base[i.kind], i.account_id, i.target_id)
        if i.kind in ("like", "follow"):
            assert pair not in active
            assert pair not in undone
            active.add(pair)
        else:
            active.remove(pair)
            undone.add(pair)
        if base[i.kind] == "follow":
            assert i.target_id in creators
            assert i.target_id != i.account_id


def test_items_carry_valid_details(community: Stream) -> None:
    accounts = community.size.accounts
    for i in community.items:
        assert type(i) is BulkItem
        assert len(i) == len(BulkItem._fields)
        assert 1 <= i.account_id <= accounts
        assert i.source in ("app", "web")
        assert i.device_key is not None
        assert re.fullmatch(r"dev-[0-9a-f]{12}", i.device_key)
        assert i.user_agent
        assert len(i.user_agent) <= 512
        assert i.ip_prefix is not None
        assert ipaddress.ip_network(i.ip_prefix).prefixlen == 24
        assert (i.body is not None) == (i.kind == "comment")
        assert (i.channel is not None) == (i.kind == "share")
        if i.body is not None:
            assert validate_body(i.body) == i.body
        if i.channel is not None:
            assert i.channel in SHARE_CHANNELS


def test_devices_are_stable_per_account(community: Stream) -> None:
    devices: dict[int, set[str]] = {}
    agents: dict[str, set[str]] = {}
    for i in community.items:
        assert i.device_key is not None
        assert i.user_agent is not None
        devices.setdefault(i.account_id, set()).add(i.device_key)
        agents.setdefault(i.device_key, set()).add(i.user_agent)
    assert max(len(keys) for keys in devices.values()) <= 2
    assert all(len(uas) == 1 for uas in agents.values())
    web = [i.user_agent for i in community.items if i.source == "web"]
    assert all(ua.startswith("Mozilla/") for ua in web if ua)
