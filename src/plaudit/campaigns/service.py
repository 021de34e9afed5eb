"""The campaigns service (互动任务): organisations, campaigns, opt-in, progress, settlement,
coupons, donations, disclosure and reports. Each use case is one transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Connection

from plaudit.campaigns import access
from plaudit.campaigns.coupons import code_hash, new_code
from plaudit.campaigns.model import (
    Campaign,
    CampaignSpec,
    Completion,
    Member,
    Organisation,
    Reward,
    validate_role,
    validate_spec,
)
from plaudit.campaigns.policy import load_campaign, require_active
from plaudit.campaigns.reports import Report, build_report, report_csv
from plaudit.campaigns.rows import campaign_from_row, completion_from_row, reward_from_row
from plaudit.campaigns.segments import Segments
from plaudit.campaigns.settle import release_op
from plaudit.campaigns.streak import StreakState, current_streak, local_day
from plaudit.errors import (
    AccountNotFound,
    Conflict,
    CouponAlreadyRedeemed,
    CouponAlreadyShown,
    CouponNotFound,
    Forbidden,
    InvalidInput,
    NotEligible,
    NotOptedIn,
    PersonaIndexMissing,
    VideoNotFound,
)
from plaudit.store import Database, utcnow
from plaudit.store import campaigns as sql
from plaudit.store import catalog as catalog_sql

__all__ = ["CampaignService", "Progress", "Redemption", "SettleSummary"]

SETTLE_THREADS = 32


@dataclass(frozen=True)
class Progress:
    """A fan's view of one campaign: the streak today, completions and their rewards."""

    campaign_id: int
    opted_in_at: datetime
    streak: int
    streak_ended: bool
    completions: list[Completion]
    rewards: list[Reward]


@dataclass(frozen=True)
class Redemption:
    reward_id: int
    campaign_id: int
    amount_fen: int
    redeemed_at: datetime


@dataclass(frozen=True)
class SettleSummary:
    """What one settlement pass did: counts per resulting status (pending = still waiting)."""

    counts: dict[str, int]


def _org(row: Any) -> Organisation:
    return Organisation(row.id, row.name, row.created_at)


class CampaignService:
    """Use cases of brands, fans and operators over one Database."""

    def __init__(
        self, db: Database, segments: Callable[[], Segments], reward_hold: str, privacy_k: int
    ) -> None:
        self._db = db
        self._segments = segments
        self._reward_hold = reward_hold
        self._privacy_k = privacy_k

    # --- organisations ---

    def create_organisation(self, account_id: int, name: str) -> Organisation:
        """A brand account creates an organisation and becomes its owner."""
        name = name.strip()
        if not 1 <= len(name) <= 128:
            raise InvalidInput("name must have 1 to 128 characters", field="name")

        def op(conn: Connection) -> Organisation:
            _require_brand(conn, account_id)
            at = utcnow()
            org_id = sql.insert_organisation(conn, name, at)
            sql.upsert_member(conn, org_id, account_id, "owner", at)
            return Organisation(org_id, name, at)

        return self._db.write(op)

    def organisation(self, account_id: int, organisation_id: int) -> Organisation:
        with self._db.read() as conn:
            access.require_role(conn, organisation_id, account_id, access.READ)
            return _org(sql.get_organisation(conn, organisation_id))

    def set_member(self, actor: int, organisation_id: int, account_id: int, role: str) -> Member:
        """Owners add brand accounts or change their role."""
        validate_role(role)

        def op(conn: Connection) -> Member:
            access.require_role(conn, organisation_id, actor, access.MANAGE)
            _require_brand(conn, account_id)
            if account_id == actor and role != "owner":
                _keep_an_owner(conn, organisation_id)
            at = utcnow()
            sql.upsert_member(conn, organisation_id, account_id, role, at)
            return Member(organisation_id, account_id, role, at)

        return self._db.write(op)

    def remove_member(self, actor: int, organisation_id: int, account_id: int) -> None:
        def op(conn: Connection) -> None:
            access.require_role(conn, organisation_id, actor, access.MANAGE)
            if account_id == actor:
                _keep_an_owner(conn, organisation_id)
            if not sql.remove_member(conn, organisation_id, account_id):
                raise AccountNotFound(
                    f"account {account_id} is not a member of organisation {organisation_id}"
                )

        self._db.write(op)

    def members(self, actor: int, organisation_id: int) -> list[Member]:
        with self._db.read() as conn:
            access.require_role(conn, organisation_id, actor, access.READ)
            rows = sql.members_of(conn, organisation_id)
        return [Member(r.organisation_id, r.account_id, r.role, r.added_at) for r in rows]

    # --- campaigns (brands) ---

    def create_campaign(self, actor: int, organisation_id: int, spec: CampaignSpec) -> Campaign:
        from plaudit.persona.language import parse  # NumPy-heavy package: import on use

        validate_spec(spec)
        _require_future_end(spec, utcnow())
        parse(spec.segment)  # a precise InvalidInput at the first error of the expression

        def op(conn: Connection) -> Campaign:
            access.require_role(conn, organisation_id, actor, access.RUN)
            for video_id in spec.video_ids:
                if catalog_sql.get_video(conn, video_id) is None:
                    raise VideoNotFound(f"video {video_id} does not exist", video_id=video_id)
            values = _campaign_values(spec, organisation_id, actor, utcnow())
            campaign_id = sql.insert_campaign(conn, values, spec.video_ids)
            return load_campaign(conn, campaign_id)

        return self._db.write(op)

    def campaigns_of(self, actor: int, organisation_id: int) -> list[Campaign]:
        with self._db.read() as conn:
            access.require_role(conn, organisation_id, actor, access.READ)
            rows = sql.list_campaigns(conn, organisation_id)
            return [campaign_from_row(r, sql.campaign_videos_of(conn, r.id)) for r in rows]

    def campaign(self, actor: int, campaign_id: int) -> Campaign:
        with self._db.read() as conn:
            return access.campaign_for(conn, campaign_id, actor, access.READ)

    def end_campaign(self, actor: int, campaign_id: int) -> Campaign:
        """End a campaign early: no more opt-ins or campaign likes; pending ones still settle."""

        def op(conn: Connection) -> Campaign:
            access.campaign_for(conn, campaign_id, actor, access.RUN)
            sql.end_campaign(conn, campaign_id, utcnow())
            return load_campaign(conn, campaign_id)

        return self._db.write(op)

    def report(self, actor: int | None, campaign_id: int) -> Report:
        """A campaign's report for a member of its organisation (`actor` None: an operator
        at the command line, who has the database anyway)."""
        with self._db.read() as conn:
            if actor is None:
                campaign = load_campaign(conn, campaign_id)
            else:
                campaign = access.campaign_for(conn, campaign_id, actor, access.READ)
            rows = sql.report_rows(conn, campaign_id)
        return build_report(campaign, rows, self._eligible(campaign.spec.segment))

    def report_csv(self, actor: int | None, campaign_id: int) -> str:
        return report_csv(self.report(actor, campaign_id))

    def all_campaigns(self) -> list[Campaign]:
        """Every campaign, for operators at the command line."""
        with self._db.read() as conn:
            rows = sql.all_campaigns(conn)
            return [campaign_from_row(r, sql.campaign_videos_of(conn, r.id)) for r in rows]

    def _eligible(self, segment: str) -> int | str | None:
        """The segment's size for a brand: exact at k or more, `<k` below, None without index."""
        try:
            size = self._segments().size(segment)
        except PersonaIndexMissing:
            return None
        return size if size >= self._privacy_k else f"<{self._privacy_k}"

    # --- fans ---

    def eligible(self, account_id: int, campaign: Campaign) -> bool:
        """In the segment (per the persona index) and consenting to targeting (per profile)."""
        with self._db.read() as conn:
            if not sql.targeting_consent(conn, account_id):
                return False
        return self._segments().contains(campaign.spec.segment, account_id)

    def tasks_for(self, account_id: int) -> list[tuple[Campaign, bool]]:
        """Running campaigns the account is eligible for, each with whether it opted in."""
        now = utcnow()
        with self._db.read() as conn:
            rows = sql.active_campaigns(conn, now)
            found = [
                (
                    campaign_from_row(r, sql.campaign_videos_of(conn, r.id)),
                    sql.get_participation(conn, r.id, account_id) is not None,
                )
                for r in rows
            ]
        return [(c, joined) for c, joined in found if joined or self.eligible(account_id, c)]

    def opt_in(self, account_id: int, campaign_id: int) -> Progress:
        with self._db.read() as conn:
            campaign = load_campaign(conn, campaign_id)
        now = utcnow()
        if now >= campaign.spec.ends_at or campaign.ended_at is not None:
            require_active(campaign, now)
        if not self.eligible(account_id, campaign):
            raise NotEligible(
                f"this account is not in campaign {campaign_id}'s audience or has not "
                "consented to targeted tasks (profile consent_targeting)",
                campaign_id=campaign_id,
            )

        def op(conn: Connection) -> None:
            if sql.get_participation(conn, campaign_id, account_id) is None:
                sql.insert_participation(conn, campaign_id, account_id, now)

        self._db.write(op)
        return self.progress(account_id, campaign_id)

    def progress(self, account_id: int, campaign_id: int) -> Progress:
        with self._db.read() as conn:
            campaign = load_campaign(conn, campaign_id)
            joined = sql.get_participation(conn, campaign_id, account_id)
            if joined is None:
                raise NotOptedIn(
                    f"this account has not opted in to campaign {campaign_id}; "
                    f"POST /v1/campaigns/{campaign_id}/participants",
                    campaign_id=campaign_id,
                )
            completions = sql.completions_of(conn, campaign_id, account_id)
            rewards = [r for r in sql.rewards_of(conn, account_id) if r.campaign_id == campaign_id]
        streak, ended = _streak_today(campaign, joined)
        return Progress(
            campaign_id,
            joined.opted_in_at,
            streak,
            ended,
            [completion_from_row(c) for c in completions],
            [reward_from_row(r) for r in rewards],
        )

    def rewards_of(self, account_id: int) -> list[Reward]:
        with self._db.read() as conn:
            return [reward_from_row(r) for r in sql.rewards_of(conn, account_id)]

    def reveal_coupon(self, account_id: int, reward_id: int) -> str:
        """Make the coupon's code, keep its hash and return it: shown exactly once."""
        code = new_code()

        def op(conn: Connection) -> None:
            if not sql.claim_coupon(conn, reward_id, account_id, code_hash(code), utcnow()):
                owned = [r for r in sql.rewards_of(conn, account_id) if r.id == reward_id]
                if not owned or owned[0].kind != "coupon":
                    raise CouponNotFound(f"this account has no coupon reward {reward_id}")
                raise CouponAlreadyShown(
                    f"the code of reward {reward_id} was shown at "
                    f"{owned[0].code_shown_at.isoformat()}; only its hash is kept"
                )

        self._db.write(op)
        return code

    # --- shops ---

    def redeem(self, actor: int, code: str) -> Redemption:
        """A shop integration (owner or manager of the issuing organisation) redeems once."""
        digest = code_hash(code)

        def op(conn: Connection) -> Redemption:
            reward = sql.reward_by_hash(conn, digest)
            role = None if reward is None else sql.role_of(conn, reward.organisation_id, actor)
            if reward is None or role is None:
                raise CouponNotFound("no coupon of your organisation has this code")
            if role not in access.RUN:
                raise Forbidden(
                    "redeeming needs the role owner or manager; this account is analyst"
                )
            at = utcnow()
            if not sql.redeem_reward(conn, reward.id, actor, at):
                again = sql.reward_by_hash(conn, digest)  # a concurrent redemption may be newer
                assert again is not None
                when = again.redeemed_at.isoformat()
                raise CouponAlreadyRedeemed(f"this coupon was redeemed at {when}", redeemed_at=when)
            return Redemption(reward.id, reward.campaign_id, int(reward.amount_fen), at)

        return self._db.write(op)

    # --- settlement (operators, after each authenticity scan) ---

    def release(self, completion_id: int, at: datetime | None = None) -> str:
        """Settle one completion in its own transaction; returns its status afterwards."""
        return self._db.write(release_op(completion_id, self._reward_hold, at or utcnow()))

    def pending(self) -> list[int]:
        """The completions waiting to be settled, oldest first."""
        with self._db.read() as conn:
            return sql.pending_completion_ids(conn)

    def settle(self, progress: Callable[[int], None] | None = None) -> SettleSummary:
        """Settle every pending completion; safe to run any number of times, concurrently."""
        counts: Counter[str] = Counter()
        # Releases are independent transactions, safe to run concurrently: a few at a time
        # let the writer thread commit them in groups instead of one fsync each.
        with ThreadPoolExecutor(max_workers=SETTLE_THREADS) as pool:
            for outcome in pool.map(self.release, self.pending()):
                counts[outcome] += 1
                if progress is not None:
                    progress(1)
        return SettleSummary(dict(counts))

    # --- public ---

    def donations(self, campaign_id: int) -> dict[str, Any]:
        """A donate campaign's public totals: charity, fen donated, authentic likes paid."""
        with self._db.read() as conn:
            campaign = load_campaign(conn, campaign_id)
            if campaign.spec.task != "donate":
                raise InvalidInput(
                    f"campaign {campaign_id} is a {campaign.spec.task} campaign, not donate",
                    field="campaign_id",
                )
            total, likes = sql.donation_totals(conn, campaign_id)
        return {
            "campaign_id": campaign_id,
            "name": campaign.spec.name,
            "charity": campaign.spec.charity,
            "fen_per_like": campaign.spec.reward_fen,
            "cap_fen": campaign.spec.budget_fen,
            "donated_fen": total,
            "likes": likes,
        }

    def video_campaigns(self, video_id: int) -> list[dict[str, Any]]:
        """Disclosure: which campaigns a video's incentivised likes came through, and how many."""
        with self._db.read() as conn:
            if catalog_sql.get_video(conn, video_id) is None:
                raise VideoNotFound(f"video {video_id} does not exist", video_id=video_id)
            rows = sql.video_campaign_likes(conn, video_id)
        return [
            {
                "campaign_id": r.id,
                "name": r.name,
                "task": r.task,
                "organisation": r.organisation,
                "likes": int(r.likes),
            }
            for r in rows
        ]


def _require_brand(conn: Connection, account_id: int) -> None:
    kind = sql.account_kind(conn, account_id)
    if kind is None:
        raise AccountNotFound(f"account {account_id} does not exist", account_id=account_id)
    if kind != "brand":
        raise Forbidden(
            f"organisations are made of brand accounts; account {account_id} is a {kind}"
        )


def _keep_an_owner(conn: Connection, organisation_id: int) -> None:
    owners = [m for m in sql.members_of(conn, organisation_id) if m.role == "owner"]
    if len(owners) <= 1:
        raise Conflict(
            f"organisation {organisation_id} needs an owner: make another member owner first"
        )


def _require_future_end(spec: CampaignSpec, now: datetime) -> None:
    """A campaign that has already ended could take no opt-in and no like: refusing it
    catches a mistyped date while it can still be fixed."""
    if spec.ends_at <= now:
        raise InvalidInput(
            f"ends_at {spec.ends_at.isoformat()} is already past (now "
            f"{now.isoformat(timespec='seconds')}); a campaign must end in the future",
            field="ends_at",
        )


def _campaign_values(
    spec: CampaignSpec, organisation_id: int, actor: int, at: datetime
) -> dict[str, Any]:
    return {
        "organisation_id": organisation_id,
        "name": spec.name.strip(),
        "task": spec.task,
        "segment": spec.segment,
        "starts_at": spec.starts_at,
        "ends_at": spec.ends_at,
        "budget_fen": spec.budget_fen,
        "reward_fen": spec.reward_fen,
        "charity": spec.charity if spec.task == "donate" else None,
        "per_account_limit": spec.per_account_limit,
        "streak_days": spec.streak_days if spec.task == "streak" else None,
        "streak_miss": spec.streak_miss if spec.task == "streak" else None,
        "time_zone": spec.time_zone,
        "created_by": actor,
        "created_at": at,
    }


def _streak_today(campaign: Campaign, joined: Any) -> tuple[int, bool]:
    if campaign.spec.task != "streak" or campaign.spec.streak_miss is None:
        return 0, False
    last = date.fromisoformat(joined.last_day) if joined.last_day else None
    today = local_day(utcnow(), campaign.zone)
    return current_streak(StreakState(int(joined.streak), last), today, campaign.spec.streak_miss)
