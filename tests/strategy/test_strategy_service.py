"""The strategy service on a generated community: insights, stored plans, the inbox in plan
order, and approvals that run through the interactions service and nothing else."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import func, select

from plaudit.errors import Forbidden, InvalidInput, PayloadTooLarge
from plaudit.platform import Platform
from plaudit.store import tables
from tests.strategy.conftest import Community, K


def _counts(community: Community) -> tuple[int, int, int, int]:
    with community.platform.db.read() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (tables.comments, tables.likes, tables.events, tables.assistant_actions)
        )


def test_insights_describe_the_fans_against_the_platform(community: Community) -> None:
    found = community.platform.strategy.insights(community.top_creator)
    composition = found["composition"]
    assert composition["available"]
    assert set(composition["families"]) >= {"gender", "age", "interest", "city_tier"}
    for rows in composition["families"].values():
        for row in rows:
            assert row.get("suppressed") or (row["count"] >= K and "tgi" in row)
            if row.get("suppressed"):
                assert row["count"] == f"<{K}"
    headline = found["headline"]
    assert headline["ratio"] == pytest.approx(headline["share"] / headline["platform_share"], 0.02)
    assert headline["en"] in found["summary"]["en"]
    assert headline["zh"] in found["summary"]["zh"]
    assert all(row["tgi"] >= 120 for row in found["interests"])
    assert found["growth"][-1]["followers"] == found["followers"]
    assert found["converting_videos"]


def test_the_plan_is_stored_and_served_as_stored(community: Community) -> None:
    strategy = community.platform.strategy
    computed_at = strategy.refresh(community.top_creator)
    text = strategy.plan_json(community.top_creator)
    plan = json.loads(text)
    assert plan["computed_at"] == computed_at.isoformat()
    priorities = [fan["priority"] for fan in plan["fans"]]
    assert priorities == sorted(priorities, reverse=True)
    assert [fan["rank"] for fan in plan["fans"]] == list(range(1, len(plan["fans"]) + 1))
    f = tables.follows
    with community.platform.db.read() as conn:
        followers = set(
            conn.execute(
                select(f.c.follower_id).where(
                    f.c.creator_id == community.top_creator, f.c.removed_at.is_(None)
                )
            ).scalars()
        )
        handles = dict(conn.execute(select(tables.accounts.c.id, tables.accounts.c.handle)).all())
    for fan in plan["fans"]:
        assert fan["fan_id"] in followers
        assert fan["handle"] == handles[fan["fan_id"]]
        assert fan["reason"]["en"]
        assert fan["reason"]["zh"]
    assert plan["posting_hours"]["available"]
    assert plan["audiences"]["segments"]
    assert plan["audiences"]["lookalike"]["size"] > 0


def test_the_inbox_follows_the_plan_and_suggests_replies(community: Community) -> None:
    inbox = community.platform.strategy.inbox(community.top_creator)
    replies = [item for item in inbox["items"] if item["kind"] == "reply"]
    assert replies
    ranks = [item["fan"]["rank"] or 10**9 for item in replies]
    assert ranks == sorted(ranks)
    for item in replies:
        assert item["id"] == f"reply-{item['comment']['id']}"
        assert item["suggestion"]["body"].startswith("@" + item["fan"]["handle"])
        assert {item["suggestion"]["language"], item["alternatives"][0]["language"]} == {"zh", "en"}


def test_nothing_acts_without_approval(community: Community) -> None:
    before = _counts(community)
    strategy = community.platform.strategy
    strategy.refresh(community.top_creator)
    strategy.insights(community.top_creator)
    strategy.plan(community.top_creator)
    strategy.inbox(community.top_creator)
    strategy.refresh_all()
    assert _counts(community) == before


def test_approved_actions_run_as_assistant_interactions_and_are_recorded(
    community: Community,
) -> None:
    creator, strategy = community.top_creator, community.platform.strategy
    items = strategy.inbox(creator)["items"]
    reply = next(item for item in items if item["kind"] == "reply")
    thanks = next(item for item in items if item["kind"] == "thank")
    before = _counts(community)
    edited = "@" + reply["fan"]["handle"] + " 谢谢！"
    results = asyncio.run(
        strategy.approve(creator, creator, [reply["id"], thanks["id"]], {reply["id"]: edited})
    )
    assert [r["outcome"] for r in results] == ["executed", "executed"]
    comments, likes, events, actions = _counts(community)
    assert (comments, likes, events, actions) == (before[0] + 2, before[1], before[2] + 2,
                                                  before[3] + 2)  # fmt: skip
    c = tables.comments
    with community.platform.db.read() as conn:
        made = conn.execute(
            select(c).where(c.c.id.in_([r["comment_id"] for r in results])).order_by(c.c.id)
        ).all()
        logged = conn.execute(
            select(tables.events.c.kind).where(
                tables.events.c.ref_id.in_([r.id for r in made]), tables.events.c.kind == "comment"
            )
        ).all()
    assert [row.source for row in made] == ["assistant", "assistant"]
    assert [row.account_id for row in made] == [creator, creator]
    assert made[0].body == edited
    assert made[0].video_id == reply["video"]["id"]
    assert made[1].body == thanks["suggestion"]["body"]
    assert len(logged) == 2  # in the event sequence the ledger integrates
    record = {a["kind"]: a for a in strategy.actions(creator)}
    assert record["reply"]["approved_by"] == creator
    assert record["reply"]["outcome"] == "executed"
    assert record["reply"]["executed_at"] is not None
    assert record["reply"]["comment_id"] == results[0]["comment_id"]
    remaining = {item["id"] for item in strategy.inbox(creator)["items"]}
    assert reply["id"] not in remaining
    assert thanks["id"] not in remaining
    again = asyncio.run(strategy.approve(creator, creator, [reply["id"]]))
    assert again[0]["outcome"] == "skipped"
    assert _counts(community)[0] == before[0] + 2


def test_only_the_creator_approves_and_bad_requests_run_nothing(community: Community) -> None:
    creator, strategy = community.top_creator, community.platform.strategy
    item = strategy.inbox(creator)["items"][0]["id"]
    before = _counts(community)
    with pytest.raises(Forbidden):
        asyncio.run(strategy.approve(creator, creator + 1, [item]))
    with pytest.raises(InvalidInput, match="reply-<comment id>"):
        asyncio.run(strategy.approve(creator, creator, [item, "delete-everything"]))
    with pytest.raises(InvalidInput, match="body"):
        asyncio.run(strategy.approve(creator, creator, [item], {item: "   "}))
    with pytest.raises(InvalidInput, match="not approved"):
        asyncio.run(strategy.approve(creator, creator, [item], {"reply-1": "hi"}))
    with pytest.raises(PayloadTooLarge):
        asyncio.run(strategy.approve(creator, creator, [f"reply-{i}" for i in range(1, 102)]))
    assert _counts(community) == before


def test_readers_are_the_creator_and_operators(community: Community) -> None:
    strategy, accounts = community.platform.strategy, community.platform.accounts
    operator = accounts.create("strategy-ops", "operator")[0].id
    fan = accounts.create("strategy-fan", "fan")[0].id
    strategy.check_reader(community.top_creator, community.top_creator)
    strategy.check_reader(community.top_creator, operator)
    with pytest.raises(Forbidden, match="themself or an operator"):
        strategy.check_reader(community.top_creator, fan)
    with pytest.raises(InvalidInput, match="for creator accounts"):
        strategy.check_reader(fan, operator)


def test_concurrent_approvals_of_one_item_run_it_once(community: Community) -> None:
    creator, strategy = community.top_creator, community.platform.strategy
    item = next(i for i in strategy.inbox(creator)["items"] if i["kind"] == "reply")["id"]
    before = _counts(community)[0]

    async def twice() -> list[list[dict[str, object]]]:
        return list(
            await asyncio.gather(
                strategy.approve(creator, creator, [item]),
                strategy.approve(creator, creator, [item]),
            )
        )

    outcomes = sorted(str(results[0]["outcome"]) for results in asyncio.run(twice()))
    assert outcomes == ["executed", "skipped"]
    assert _counts(community)[0] == before + 1


def test_without_a_persona_index_the_rest_still_works(platform: Platform) -> None:
    creator = platform.accounts.create("lonely_creator", "creator")[0].id
    insights, plan = platform.strategy.compute(creator)
    assert insights["composition"]["available"] is False
    assert "plaudit persona refresh" in insights["composition"]["note"]["en"]
    assert insights["headline"]["suppressed"]
    assert len(insights["growth"]) == 12
    assert plan["fans"] == []
    assert plan["audiences"] == {"segments": [], "lookalike": None}
