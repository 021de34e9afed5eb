"""`platform.recommender` on a generated community: personalised lists for active accounts,
popularity for cold and non-consenting ones (and saying so), nothing already liked."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from plaudit.errors import AccountNotFound, InvalidInput
from plaudit.interactions import BulkItem, ingest_op
from plaudit.platform import Platform
from plaudit.recommend.source import read_account_state, read_likes
from plaudit.store import tables, utcnow

from .conftest import Community


def _heaviest_liker(community: Community, consent: bool) -> int:
    likes, profiles = tables.likes, tables.profiles
    stmt = (
        select(likes.c.account_id)
        .join(profiles, profiles.c.account_id == likes.c.account_id)
        .where(likes.c.removed_at.is_(None), profiles.c.consent_personalisation.is_(consent))
        .group_by(likes.c.account_id)
        .order_by(func.count().desc(), likes.c.account_id)
        .limit(1)
    )
    with community.platform.db.read() as conn:
        return int(conn.execute(stmt).scalar_one())


def test_an_active_account_gets_personalised_videos_it_has_not_liked(
    community: Community,
) -> None:
    account = _heaviest_liker(community, consent=True)
    result = community.platform.recommender.videos_for(account, 15)
    assert (result.personalised, result.basis, result.reason) == (True, "engine", None)
    assert result.model_id
    assert len(result.items) == 15
    liked = set(read_account_state(community.platform.db, account).liked.tolist())
    assert not liked & {item.video_id for item in result.items}
    scores = [item.score for item in result.items]
    assert scores == sorted(scores, reverse=True)
    assert all(item.creator_id != account for item in result.items)


def test_personalised_lists_differ_from_popularity(community: Community) -> None:
    service = community.platform.recommender
    newcomer, _ = community.platform.accounts.create("newcomer-differ")
    popular = [item.video_id for item in service.recommend_videos(newcomer.id, 20)]
    account = _heaviest_liker(community, consent=True)
    mine = [item.video_id for item in service.recommend_videos(account, 20)]
    assert len(set(mine) - set(popular)) >= 5


def test_withdrawn_consent_gets_popularity_and_is_told(community: Community) -> None:
    account = _heaviest_liker(community, consent=False)
    ranker = community.platform.recommender.ranker()
    assert ranker is not None
    assert ranker.model.user_of(account) is None  # not trained on either
    result = community.platform.recommender.videos_for(account, 10)
    assert (result.personalised, result.basis, result.reason) == (
        False, "popularity", "no_consent",
    )  # fmt: skip
    counts = [item.score for item in result.items]
    assert counts == sorted(counts, reverse=True)
    creators = community.platform.recommender.creators_for(account, 5)
    assert (creators.personalised, creators.reason) == (False, "no_consent")


def test_a_new_account_gets_popularity_as_cold_start(community: Community) -> None:
    account, _token = community.platform.accounts.create("newcomer-recs")
    result = community.platform.recommender.videos_for(account.id, 5)
    assert (result.personalised, result.basis, result.reason) == (False, "popularity", "cold_start")
    assert len(result.items) == 5


def test_creators_exclude_followed_ones_and_the_account_itself(community: Community) -> None:
    account = _heaviest_liker(community, consent=True)
    state = read_account_state(community.platform.db, account)
    result = community.platform.recommender.creators_for(account, 10)
    assert result.personalised
    picked = [item.creator_id for item in result.items]
    assert picked
    assert not set(picked) & set(state.followed.tolist())
    assert account not in picked
    assert len(set(picked)) == len(picked)


def test_without_a_model_live_popularity_answers(platform: Platform) -> None:
    creator, _ = platform.accounts.create("maker", "creator")
    fan, _ = platform.accounts.create("fan")
    video = platform.videos.publish(creator.id, "clip", "food")
    result = platform.recommender.videos_for(fan.id, 5)
    assert (result.personalised, result.basis, result.reason) == (False, "popularity", "no_model")
    assert [item.video_id for item in result.items] == [video.id]
    creators = platform.recommender.creators_for(fan.id, 5)
    assert creators.reason == "no_model"


def test_limits_and_unknown_accounts_are_rejected(community: Community) -> None:
    service = community.platform.recommender
    with pytest.raises(InvalidInput, match="limit must be from 1 to 100"):
        service.videos_for(1, 0)
    with pytest.raises(AccountNotFound, match="account 999999 does not exist"):
        service.videos_for(999_999, 5)


def test_revoked_likes_do_not_train_the_model(platform: Platform) -> None:
    creator, _ = platform.accounts.create("maker2", "creator")
    honest, _ = platform.accounts.create("honest")
    faker, _ = platform.accounts.create("faker")
    video = platform.videos.publish(creator.id, "clip", "food").id
    now = utcnow()
    results = platform.db.write(
        ingest_op([BulkItem("like", honest.id, video, now), BulkItem("like", faker.id, video, now)])
    )
    fake_like = results[1].id
    t = tables
    with platform.db.write_engine.begin() as conn:
        verdict = conn.execute(
            t.verdicts.insert().values(
                detector="test", score=1.0, evidence="{}", status="in_force", created_at=now
            )
        ).inserted_primary_key
        assert verdict is not None
        conn.execute(
            t.revocations.insert().values(
                like_id=fake_like, account_id=faker.id, video_id=video, verdict_id=verdict[0],
                revoked_at=now,
            )
        )  # fmt: skip
    feedback = read_likes(platform.db)
    assert feedback.accounts.tolist() == [honest.id]
