"""Tag computation: tags agree with the store, consent is honoured, the index round-trips."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pyroaring import BitMap
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from plaudit.catalog.categories import CATEGORIES
from plaudit.persona import TAGS, TagIndex, compute_index
from plaudit.persona.compute import _Builder, _interests
from plaudit.persona.taxonomy import FAMILIES, family_tags, most_tags_per_account
from plaudit.store import tables
from tests.persona.conftest import AS_OF, Community


def _ids(community: Community, stmt: object) -> BitMap:
    with community.platform.db.read() as conn:
        return BitMap(int(i) for i in conn.execute(stmt).scalars())  # type: ignore[call-overload]


def test_only_consenting_accounts_are_indexed(community: Community) -> None:
    p = tables.profiles
    consenting = _ids(community, select(p.c.account_id).where(p.c.consent_targeting))
    refusing = _ids(community, select(p.c.account_id).where(~p.c.consent_targeting))
    index = community.index
    assert len(refusing) > 0
    assert index.universe == consenting
    for tag in TAGS:
        assert index.tag(tag.id).isdisjoint(refusing), tag.id
        assert index.tag(tag.id) <= index.universe
    for bitmap in index.ages.values():
        assert bitmap.isdisjoint(refusing)


def test_demographic_tags_match_profiles(community: Community) -> None:
    p = tables.profiles
    consent = p.c.consent_targeting
    for gender in ("female", "male"):
        stmt = select(p.c.account_id).where(consent, p.c.gender == gender)
        assert community.index.tag(f"gender.{gender}") == _ids(community, stmt)
    stmt = select(p.c.account_id).where(consent, p.c.spending_band == "5000-10000")
    assert community.index.tag("spend.5000_10000") == _ids(community, stmt)
    stmt = select(p.c.account_id).where(consent, p.c.birth_year == AS_OF.year - 30)
    assert community.index.ages[30] == _ids(community, stmt)
    stmt = select(p.c.account_id).where(consent, p.c.city_tier == "new1")
    assert community.index.tag("city_tier.new1") == _ids(community, stmt)
    stmt = select(p.c.account_id).where(consent, p.c.province == "GD")
    assert community.index.tag("province.gd") == _ids(community, stmt)


def test_behaviour_tags_follow_the_interactions(community: Community) -> None:
    index = community.index
    likers = _ids(community, select(tables.likes.c.account_id).distinct())
    commenters = _ids(community, select(tables.comments.c.account_id).distinct())
    interested = BitMap.union(*(index.tag(t.id) for t in TAGS if t.family == "interest"))
    assert len(interested) > 0
    assert interested <= (likers | commenters)
    assert index.tag("engage.commenter") == commenters & index.universe
    for family in ("activity", "tenure"):  # exactly one tag each per account
        parts = [index.tag(t.id) for t in TAGS if t.family == family]
        assert sum(len(b) for b in parts) == len(BitMap.union(*parts)) == len(index.universe)
    creators = _ids(
        community, select(tables.accounts.c.id).where(tables.accounts.c.kind == "creator")
    )
    assert index.tag("role.creator") == creators & index.universe
    assert len(index.tag("device.android")) > 0
    assert len(index.tag("campaign.responder")) == 0  # no campaigns yet
    strong = index.tag("interest.food.strong")
    assert strong <= index.tag("interest.food")


def test_the_index_round_trips_through_files(community: Community) -> None:
    loaded = TagIndex.load(community.settings.data_path)
    assert loaded.universe == community.index.universe
    assert all(loaded.tag(t.id) == community.index.tag(t.id) for t in TAGS)
    assert loaded.ages == community.index.ages
    assert loaded.meta["version"] == 1
    # every file is a portable Roaring bitmap
    path = community.settings.data_path / "persona" / "tags" / "gender.female.roaring"
    assert BitMap.deserialize(path.read_bytes()) == community.index.tag("gender.female")


def test_withdrawing_consent_leaves_every_segment_at_the_next_refresh(
    community: Community, tmp_path: Path
) -> None:
    index = community.index
    account = min(index.tag("gender.female") & index.tag("engage.commenter"))
    db = community.platform.db
    p = tables.profiles

    def consent(value: bool) -> Callable[[Connection], None]:
        def run(conn: Connection) -> None:
            conn.execute(update(p).where(p.c.account_id == account).values(consent_targeting=value))

        return run

    db.write(consent(False))
    try:
        after = compute_index(db, AS_OF)
        after.save(tmp_path)
        reloaded = TagIndex.load(tmp_path)
        assert account not in reloaded.universe
        assert all(account not in reloaded.tag(t.id) for t in TAGS)
        assert len(reloaded.universe) == len(index.universe) - 1
    finally:
        db.write(consent(True))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(CATEGORIES) - 1), st.integers(1, 40)),
        min_size=1,
        max_size=len(CATEGORIES),
    )
)
def test_no_account_carries_more_interests_than_the_privacy_bound(
    likes_per_category: list[tuple[int, int]],
) -> None:
    """The insight noise is scaled to `most_tags_per_account`: an account with any mix of
    liked categories must never carry more interest tags than that bound."""
    now = AS_OF.timestamp()
    rows = [(0.0, float(cat), now) for cat, n in likes_per_category for _ in range(n)]
    events = {"likes": np.array(rows), "comments": np.zeros((0, 3))}
    build = _Builder(0)
    _interests(build, events, now)
    carried = sum(int(mask[0]) for mask in build.columns.values())
    assert carried <= most_tags_per_account("interest")


def test_every_account_stays_within_each_familys_bound(community: Community) -> None:
    """On a computed index, no account exceeds any family's bound (privacy sensitivity)."""
    top = max(community.index.universe)
    for family in FAMILIES:
        per_account = np.zeros(top + 1, dtype=np.int64)
        for tag in family_tags(family.id):
            per_account[np.fromiter(community.index.tag(tag.id), dtype=np.int64)] += 1
        assert per_account.max() <= most_tags_per_account(family.id), family.id
