"""The strategy engine's use cases (流光引擎): insights, plans, the inbox, approved actions.

Plans are computed by `refresh` (daily, `plaudit creator plans refresh`) and stored as JSON,
so reading one is a primary-key lookup. The inbox is read live (new comments appear at once)
and ordered by the stored plan. Actions run only through `approve`, one at a time, each
through the interactions service with source `assistant`, so the ledger records them; the
approval is stored before the action runs and its outcome after (at most once: an approval
whose outcome was never written is not run again).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pyroaring import BitMap
from sqlalchemy.engine import Connection

from plaudit.accounts.service import require_creator
from plaudit.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PlauditError,
)
from plaudit.interactions import InteractionService
from plaudit.interactions.model import validate_body
from plaudit.store import Database, utcnow
from plaudit.store import catalog as catalog_sql
from plaudit.store import strategy as sql
from plaudit.strategy import plan as planning
from plaudit.strategy import window
from plaudit.strategy.activity import Activity, load_activity
from plaudit.strategy.inbox import build_inbox, parse_action_id

if TYPE_CHECKING:
    from plaudit.persona.service import PersonaService
    from plaudit.strategy import insights as figures

__all__ = ["MAX_APPROVALS", "StrategyService"]

MAX_APPROVALS = 100
_READERS = ("operator",)
_NOT_OFFERED = "not in the inbox: already done, too old, or not this creator's"


class StrategyService:
    """Insights, plans, inbox and approvals for creators, over one Database."""

    def __init__(
        self,
        db: Database,
        interactions: InteractionService,
        persona: Callable[[], PersonaService],
        privacy_k: int,
    ) -> None:
        self._db = db
        self._interactions = interactions
        self._persona = persona
        self.k = privacy_k
        self._group_cache: tuple[object, dict[figures.Group, BitMap], int] | None = None

    # ---- access ------------------------------------------------------------------------

    def check_reader(self, creator_id: int, actor_id: int | None) -> None:
        """The creator exists; the actor is that creator or an operator (None: local CLI)."""
        with self._db.read() as conn:
            require_creator(conn, creator_id, "insights and plans are for creator accounts")
            if actor_id is None or actor_id == creator_id:
                return
            actor = catalog_sql.get_account(conn, actor_id)
        if actor is None or actor.kind not in _READERS:
            raise Forbidden(
                f"only creator {creator_id} themself or an operator may see their insights, "
                "plan and inbox"
            )

    # ---- computing and storing -------------------------------------------------------

    def compute(
        self, creator_id: int, now: datetime | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Fresh insights and plan for one creator (not stored)."""
        now = now or utcnow()
        with self._db.read() as conn:
            activity = load_activity(conn, creator_id, now)
            answered = {t for kind, t in sql.settled_targets(conn, creator_id) if kind == "reply"}
        insights, fan_base = self._insights(activity)
        return insights, self._plan(activity, answered, insights, fan_base)

    def refresh(self, creator_id: int, now: datetime | None = None) -> datetime:
        """Compute and store one creator's insights and plan; returns the time computed."""
        now = now or utcnow()
        insights, plan = self.compute(creator_id, now)
        text_insights, text_plan = _dumps(insights), _dumps(plan)
        self._db.write(lambda conn: sql.store_plan(conn, creator_id, now, text_insights, text_plan))
        return now

    def refresh_all(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Refresh every creator's plan (the daily job); returns how many."""
        with self._db.read() as conn:
            creators = sql.creator_ids(conn)
        now = utcnow()
        for done, creator_id in enumerate(creators, start=1):
            self.refresh(creator_id, now)
            if progress:
                progress(done, len(creators))
        return len(creators)

    def _stored(self, creator_id: int, column: str) -> str:
        with self._db.read() as conn:
            row = sql.plan_of(conn, creator_id)
        if row is None:
            self.refresh(creator_id)
            with self._db.read() as conn:
                row = sql.plan_of(conn, creator_id)
            assert row is not None
        return str(getattr(row, column))

    def plan_json(self, creator_id: int) -> str:
        """The stored plan as JSON text (served as is); computed first if there is none."""
        return self._stored(creator_id, "plan")

    def insights_json(self, creator_id: int) -> str:
        return self._stored(creator_id, "insights")

    def plan(self, creator_id: int) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.plan_json(creator_id))
        return result

    def insights(self, creator_id: int) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.insights_json(creator_id))
        return result

    def last_days(self, creator_id: int, days: int = window.DEFAULT_DAYS) -> window.Window:
        """The dashboard's window: likes, authentic rate, followers gained and lost, likes
        per day and top videos over the last `days` days, computed now (not stored)."""
        if not 1 <= days <= 366:
            raise InvalidInput(f"days must be from 1 to 366, got {days}", field="days")
        now = utcnow()
        since = now - timedelta(days=days)
        with self._db.read() as conn:
            require_creator(conn, creator_id, "the dashboard is for creator accounts")
            likes = sql.likes_with_status(conn, creator_id, since)
            follows = sql.follows_of(conn, creator_id)
            titles = {int(v.id): str(v.title) for v in sql.videos_of(conn, creator_id)}
        return window.last_days(likes, follows, titles, now, days)

    # ---- insights and plan from one activity snapshot ---------------------------------

    def _insights(self, activity: Activity) -> tuple[dict[str, Any], dict[str, Any]]:
        from plaudit.strategy import insights as figures  # NumPy: loaded at first use, not at start

        fan_base, headline = self._composition(activity.creator_id)
        insights: dict[str, Any] = {
            "creator_id": activity.creator_id,
            "computed_at": activity.now.isoformat(),
            "followers": len(activity.followers()),
            "privacy_k": self.k,
            "headline": headline,
            "composition": fan_base,
            "growth": figures.growth(activity),
            "active_hours": figures.fan_hours(activity, self.k),
            "interests": figures.over_indexing(fan_base),
            "converting_videos": figures.conversions(activity),
        }
        insights["summary"] = figures.summary(insights)
        return insights, fan_base

    def _composition(self, creator_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """The persona fan base (TGI per tag family) and the headline sentence."""
        from plaudit.strategy import insights as figures  # NumPy: loaded at first use, not at start

        try:
            persona = self._persona()
            fan_base = persona.fan_base(creator_id)
            members, universe = self._groups(persona)
            headline = figures.headline(members, universe, persona.fans(creator_id), self.k)
        except NotFound as exc:  # no tag index yet: everything else still works
            note = {"en": exc.detail, "zh": "尚无用户画像索引，请先运行 plaudit persona refresh"}
            return {"available": False, "families": {}, "note": note}, {
                "suppressed": True, **note,
            }  # fmt: skip
        return {"available": True, **fan_base}, headline

    def _groups(self, persona: PersonaService) -> tuple[dict[figures.Group, BitMap], int]:
        """The headline's platform groups, selected once per loaded index (a refresh of the
        persona index loads a new one)."""
        from plaudit.strategy import insights as figures  # NumPy: loaded at first use, not at start

        index = persona.index()
        if self._group_cache is None or self._group_cache[0] is not index:
            audience = persona.audience()
            members = {key: audience.select(expr) for key, expr in figures.groups()}
            self._group_cache = (index, members, len(index.universe))
        return self._group_cache[1], self._group_cache[2]

    def _plan(
        self,
        activity: Activity,
        answered: set[int],
        insights: dict[str, Any],
        fan_base: dict[str, Any],
    ) -> dict[str, Any]:
        fans = planning.rank_fans(activity, answered)
        with self._db.read() as conn:
            names = sql.account_names(conn, [f["fan_id"] for f in fans])
        for fan in fans:
            fan["handle"], fan["display_name"] = names.get(fan["fan_id"], ("", ""))
        return {
            "creator_id": activity.creator_id,
            "computed_at": activity.now.isoformat(),
            "fans": fans,
            "posting_hours": planning.best_hours(activity, self.k),
            "content": planning.categories(activity, insights["interests"]),
            "audiences": self._audiences(activity.creator_id, fan_base),
            "privacy": "fan handles are shown to the creator they follow only; every count "
            f"describing people is suppressed below {self.k}",
        }

    def _audiences(self, creator_id: int, fan_base: dict[str, Any]) -> dict[str, Any]:
        """Segments the fans over-index on, with their platform size, and a lookalike."""
        if not fan_base.get("available") or fan_base.get("suppressed"):
            return {"segments": [], "lookalike": None}
        persona = self._persona()
        segments = [
            {"expression": expression, "tgi": tgi, **_count(persona.count(expression))}
            for expression, tgi in planning.expressions(fan_base)
        ]
        seed = int(fan_base["count"]) if isinstance(fan_base.get("count"), int) else 0
        universe = len(persona.index().universe)
        size = min(10 * seed, (universe - seed) // 2)  # the bound shown is noisy: stay inside
        try:
            lookalike = persona.lookalike(size, creator_id=creator_id)
        except InvalidInput as exc:
            lookalike = {"available": False, "reason": exc.detail}
        return {"segments": segments, "lookalike": lookalike}

    # ---- inbox and approvals -----------------------------------------------------------

    def inbox(self, creator_id: int, now: datetime | None = None) -> dict[str, Any]:
        """Open comments in plan order with suggestions, then thank-you notes."""
        now = now or utcnow()
        plan = self.plan(creator_id)
        with self._db.read() as conn:
            comments = list(sql.comments_on(conn, creator_id, now - planning.ANSWER_WINDOW))
            settled = sql.settled_targets(conn, creator_id)
            follows = sql.follows_of(conn, creator_id)
            ids = [int(c.account_id) for c in comments] + [f["fan_id"] for f in plan["fans"]]
            names = sql.account_names(conn, ids)
        started = {int(f.follower_id): f.created_at for f in follows if f.removed_at is None}
        items = build_inbox(plan, comments, settled, names, started, now)
        return {"creator_id": creator_id, "plan_computed_at": plan["computed_at"], "items": items}

    async def approve(
        self,
        creator_id: int,
        approver_id: int,
        ids: Sequence[str],
        bodies: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """`approve_sync` from the event loop, on a worker thread (it waits for commits)."""
        return await asyncio.to_thread(self.approve_sync, creator_id, approver_id, ids, bodies)

    def approve_sync(
        self,
        creator_id: int,
        approver_id: int,
        ids: Sequence[str],
        bodies: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Run the approved inbox actions, in order; each result says what happened."""
        if approver_id != creator_id:
            raise Forbidden(f"only creator {creator_id} may approve their assistant's actions")
        bodies = dict(bodies or {})
        wanted = _validate(ids, bodies)
        offered = {item["id"]: item for item in self.inbox(creator_id)["items"]}
        results = []
        for action_id in wanted:
            item = offered.get(action_id)
            if item is None:
                results.append({"id": action_id, "outcome": "skipped", "detail": _NOT_OFFERED})
                continue
            body = bodies.get(action_id, item["suggestion"]["body"])
            results.append(self._run(creator_id, approver_id, item, body))
        return results

    def _run(
        self, creator_id: int, approver_id: int, item: dict[str, Any], body: str
    ) -> dict[str, Any]:
        kind, target = parse_action_id(item["id"])
        values = {
            "creator_id": creator_id, "kind": kind, "target_id": target,
            "fan_id": item["fan"]["id"], "video_id": item["video"]["id"], "body": body,
            "approved_by": approver_id, "approved_at": utcnow(), "outcome": "approved",
        }  # fmt: skip
        action_id = self._db.write(lambda conn: _record_approval(conn, values))
        if action_id is None:
            return {"id": item["id"], "outcome": "skipped", "detail": _NOT_OFFERED}
        outcome, detail, comment_id = "executed", None, None
        try:
            comment = self._interactions.comment_sync(
                creator_id, values["video_id"], body, source="assistant"
            )
            comment_id = comment.id
        except PlauditError as exc:
            outcome, detail = "failed", exc.detail
        at = utcnow()
        self._db.write(
            lambda conn: sql.finish_action(conn, action_id, outcome, at, detail, comment_id)
        )
        return {"id": item["id"], "action": action_id, "outcome": outcome, "detail": detail,
                "comment_id": comment_id, "body": body, "executed_at": at.isoformat()}  # fmt: skip

    def actions(self, creator_id: int, limit: int = 100) -> list[dict[str, Any]]:
        """The record of approved actions, newest first."""
        with self._db.read() as conn:
            rows = sql.actions_of(conn, creator_id, limit)
        return [_action(row) for row in rows]


def _validate(ids: Sequence[str], bodies: dict[str, str]) -> list[str]:
    """Ids in order without repeats; every id and edited body checked before anything runs."""
    if not ids:
        raise InvalidInput("approve at least one action id from the inbox", field="ids")
    if len(ids) > MAX_APPROVALS:
        raise PayloadTooLarge(f"approve at most {MAX_APPROVALS} actions per request")
    wanted = list(dict.fromkeys(ids))
    for action_id in wanted:
        parse_action_id(action_id)
    for action_id, body in bodies.items():
        if action_id not in wanted:
            raise InvalidInput(f"a body is given for {action_id!r}, which is not approved",
                               field="bodies")  # fmt: skip
        bodies[action_id] = validate_body(body)
    return wanted


def _record_approval(conn: Connection, values: dict[str, Any]) -> int | None:
    """Store the approval; None when the action already ran or is running (a concurrent
    approval of the same item), so it runs at most once. A failed one is tried again."""
    existing = sql.action_of(conn, values["creator_id"], values["kind"], values["target_id"])
    if existing is None:
        return sql.insert_action(conn, values)
    if existing.outcome != "failed":
        return None
    sql.retry_action(conn, existing.id, {**values, "executed_at": None, "detail": None})
    return int(existing.id)


def _action(row: Any) -> dict[str, Any]:
    return {
        "id": int(row.id), "kind": row.kind, "target_id": int(row.target_id),
        "fan_id": int(row.fan_id), "video_id": int(row.video_id), "body": row.body,
        "approved_by": int(row.approved_by), "approved_at": row.approved_at.isoformat(),
        "executed_at": row.executed_at.isoformat() if row.executed_at else None,
        "outcome": row.outcome, "detail": row.detail, "comment_id": row.comment_id,
    }  # fmt: skip


def _count(answer: dict[str, Any]) -> dict[str, Any]:
    return {"count": answer["count"], "suppressed": bool(answer.get("suppressed"))}


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
