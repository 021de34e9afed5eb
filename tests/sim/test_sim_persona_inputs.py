"""The persona index the demo builds from its load's arrays equals the one read from the store.

`plaudit demo` computes its first persona index from what the set-based loader hands over
(`plaudit.sim.persona_inputs`) rather than reading 20M interactions back; both are computed
here for one community with unlikes and unfollows reaching back across chunks, on SQLite and
PostgreSQL, and compared bitmap by bitmap.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from plaudit.config import Settings
from plaudit.errors import InvalidInput
from plaudit.persona.compute import compute_from, compute_index
from plaudit.persona.index import TagIndex
from plaudit.persona.refresh import rebuild_from, refresh_index
from plaudit.persona.taxonomy import TAGS
from plaudit.platform import Platform
from plaudit.sim.load import load_community
from plaudit.sim.persona_inputs import PersonaInputs
from tests.sim.test_sim_setload import COMMUNITY, END

NOW = END + timedelta(hours=6)  # the load's last day: 30- and 90-day windows cut through it


def _assert_same(made: TagIndex, read: TagIndex) -> None:
    assert made.universe == read.universe
    assert made.ages == read.ages
    for tag in TAGS:
        assert made.tag(tag.id) == read.tag(tag.id), tag.id
    assert made.meta["heavy_liker_cut"] == read.meta["heavy_liker_cut"]


def test_the_index_from_the_load_equals_the_index_from_the_store(
    backend_settings: Settings,
) -> None:
    platform = Platform(backend_settings).open()
    try:
        inputs = PersonaInputs()
        load_community(platform.db, COMMUNITY, 9, end=END, show_progress=False, persona=inputs)
        read = compute_index(platform.db, NOW)
        made = compute_from(inputs, NOW)
    finally:
        platform.close()
    _assert_same(made, read)
    # the comparison covers every kind of input: none of these is empty
    for tag_id in (
        "device.ios",
        "device.multi",
        "follows.1_5",
        "creator.followers_10",
        "engage.commenter",
        "engage.sharer",
        "engage.heavy_liker",
        "activity.high",
        "tenure.1y_plus",
    ):
        assert read.tag_size(tag_id) > 0, tag_id
    assert len(read.universe) > COMMUNITY.accounts // 2


def test_the_demo_index_is_saved_with_the_store_watermarks(backend_settings: Settings) -> None:
    """`rebuild_from` saves what `refresh_index --full` would, so the next refresh is an
    incremental one from the same watermarks."""
    platform = Platform(backend_settings).open()
    data_path = backend_settings.data_path
    try:
        inputs = PersonaInputs()
        load_community(platform.db, COMMUNITY, 9, end=END, show_progress=False, persona=inputs)
        made = rebuild_from(platform.db, data_path, inputs, "the demo load", NOW)
        saved = TagIndex.load(data_path)
        after = refresh_index(platform.db, data_path, NOW)  # picks up from the saved one
        read = refresh_index(platform.db, data_path, NOW, full=True)
    finally:
        platform.close()
    assert made.full
    assert saved.meta["source"] == "the demo load"
    _assert_same(saved, read.index)
    for mark in ("events_seq", "accounts_top", "profiles_at", "last_full", "mode"):
        assert saved.meta[mark] == read.index.meta[mark], mark
    assert not after.full  # the demo's index has the watermarks an incremental one needs
    _assert_same(after.index, read.index)


def test_the_inputs_come_from_the_set_based_load_only(backend_settings: Settings) -> None:
    platform = Platform(backend_settings).open()
    try:
        with pytest.raises(InvalidInput, match="set-based load only"):
            load_community(
                platform.db,
                COMMUNITY,
                9,
                end=END,
                show_progress=False,
                set_based=False,
                persona=PersonaInputs(),
            )
    finally:
        platform.close()
