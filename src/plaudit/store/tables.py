"""The system of record: SQLAlchemy Core tables, the single source for Alembic migrations.

Hot paths (likes, bulk ingest) use Core statements on these tables directly; that keeps the
per-like cost low without a second model layer. Counters live in their own narrow tables so
the rows a like updates are small.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
    true,
)

from plaudit.store.types import UTCDateTime

__all__ = [
    "account_secrets",
    "account_tokens",
    "accounts",
    "appeals",
    "assistant_actions",
    "authenticity_scans",
    "campaign_likes",
    "campaign_videos",
    "campaigns",
    "comments",
    "completions",
    "creator_counters",
    "creator_plans",
    "devices",
    "events",
    "experiment_exposures",
    "experiments",
    "follows",
    "fund_payouts",
    "fund_periods",
    "holds",
    "ledger_bundles",
    "ledger_checkpoints",
    "ledger_cosignatures",
    "ledger_quarantine",
    "ledger_state",
    "ledger_tiles",
    "likes",
    "metadata",
    "oauth_apps",
    "oauth_codes",
    "oauth_tokens",
    "organisation_members",
    "organisations",
    "participations",
    "privacy_principals",
    "privacy_spends",
    "profiles",
    "revocations",
    "rewards",
    "sequencer",
    "shares",
    "verdicts",
    "video_counters",
    "videos",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite aliases INTEGER PRIMARY KEY to rowid

accounts = Table(
    "accounts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("handle", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # fan | creator | brand
    Column("display_name", String(128), nullable=False, server_default=""),
    Column("created_at", UTCDateTime(), nullable=False),
)

account_tokens = Table(
    "account_tokens",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
)

profiles = Table(
    "profiles",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.id"), primary_key=True),
    Column("birth_year", SmallInteger, nullable=True),
    Column("gender", String(16), nullable=True),
    Column("province", String(8), nullable=True),  # ISO 3166-2:CN code without "CN-"
    Column("city", String(64), nullable=True),
    Column("city_tier", String(8), nullable=True),  # new1 | 1 | 2 | 3 | 4 | 5
    Column("spending_band", String(16), nullable=True),
    Column("consent_personalisation", Boolean, nullable=False, server_default=true()),
    Column("consent_targeting", Boolean, nullable=False, server_default=true()),
    Column("updated_at", UTCDateTime(), nullable=False),
)

devices = Table(
    "devices",
    metadata,
    Column("id", ID, primary_key=True),
    Column("device_key", String(128), nullable=False),
    Column("user_agent", String(512), nullable=False),
    Column("first_seen_at", UTCDateTime(), nullable=False),
    UniqueConstraint("device_key", "user_agent", name="uq_devices_key_agent"),
)

videos = Table(
    "videos",
    metadata,
    Column("id", ID, primary_key=True),
    Column("creator_id", ID, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("category", String(32), nullable=False, index=True),
    Column("duration_s", Integer, nullable=False, server_default=text("0")),
    Column("published_at", UTCDateTime(), nullable=False),
)

likes = Table(
    "likes",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id"), nullable=False),
    Column("video_id", ID, ForeignKey("videos.id"), nullable=False),
    Column("source", String(64), nullable=False),
    Column("device_id", ID, ForeignKey("devices.id"), nullable=True),
    Column("ip_prefix", String(64), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("removed_at", UTCDateTime(), nullable=True),
    Column("removed_source", String(64), nullable=True),
    # the public network of ip_prefix as an integer (interactions.model.network_code), NULL
    # when there is none or it is not public: the platform scan groups likes by it
    Column("network", BigInteger, nullable=True),
    Index(
        "uq_likes_active",
        "account_id",
        "video_id",
        unique=True,
        sqlite_where=text("removed_at IS NULL"),
        postgresql_where=text("removed_at IS NULL"),
    ),
    Index("ix_likes_account_recent", "account_id", "id"),
)

comments = Table(
    "comments",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("video_id", ID, ForeignKey("videos.id"), nullable=False, index=True),
    Column("body", Text, nullable=False),
    Column("source", String(64), nullable=False),
    Column("device_id", ID, ForeignKey("devices.id"), nullable=True),
    Column("ip_prefix", String(64), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

follows = Table(
    "follows",
    metadata,
    Column("id", ID, primary_key=True),
    Column("follower_id", ID, ForeignKey("accounts.id"), nullable=False),
    Column("creator_id", ID, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("source", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("removed_at", UTCDateTime(), nullable=True),
    Index(
        "uq_follows_active",
        "follower_id",
        "creator_id",
        unique=True,
        sqlite_where=text("removed_at IS NULL"),
        postgresql_where=text("removed_at IS NULL"),
    ),
)

shares = Table(
    "shares",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("video_id", ID, ForeignKey("videos.id"), nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("source", String(64), nullable=False),
    Column("device_id", ID, ForeignKey("devices.id"), nullable=True),
    Column("ip_prefix", String(64), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

video_counters = Table(
    "video_counters",
    metadata,
    Column("video_id", ID, ForeignKey("videos.id"), primary_key=True),
    Column("likes", BigInteger, nullable=False, server_default=text("0")),
    Column("comments", BigInteger, nullable=False, server_default=text("0")),
    Column("shares", BigInteger, nullable=False, server_default=text("0")),
    # likes among `likes` that a verdict revoked / that a real-time rule holds (migration 0003)
    Column("revoked", BigInteger, nullable=False, server_default=text("0")),
    Column("pending", BigInteger, nullable=False, server_default=text("0")),
)

creator_counters = Table(
    "creator_counters",
    metadata,
    Column("creator_id", ID, ForeignKey("accounts.id"), primary_key=True),
    Column("videos", BigInteger, nullable=False, server_default=text("0")),
    Column("likes", BigInteger, nullable=False, server_default=text("0")),
    Column("followers", BigInteger, nullable=False, server_default=text("0")),
)

# The sequence of every accepted interaction: the outbox for consumers and the ledger's dense
# index (`seq` starts at 0 and has no gaps, because `sequencer` hands out ranges inside the
# interaction's own transaction). `kind` + `ref_id` point at the row that holds the details.
events = Table(
    "events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("ref_id", ID, nullable=False),
    Index("ix_events_ref", "ref_id", "kind"),  # a like's seq, for its receipt
)

sequencer = Table(
    "sequencer",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("next_value", BigInteger, nullable=False),
)

# Per-account secret from which the ledger's commitment openings are derived (ledger/entries.py).
# Deleting it (secret = NULL, shredded_at set) makes the account's entries unlinkable.
account_secrets = Table(
    "account_secrets",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.id"), primary_key=True),
    Column("secret", LargeBinary(32), nullable=True),
    Column("shredded_at", UTCDateTime(), nullable=True),
)

# A data-subject export (a person downloaded their data): when and through which channel
# (api or console), never whose; the transparency report counts them.
data_exports = Table(
    "data_exports",
    metadata,
    Column("id", ID, primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("exported_at", UTCDateTime(), nullable=False, index=True),
)

# The integrated tree: one row, advanced in the same transaction as its tiles and checkpoint.
ledger_state = Table(
    "ledger_state",
    metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary(32), nullable=False),
)

# c2sp.org/tlog-tiles hash tiles: `hashes` is the concatenation of up to 256 node hashes of
# Merkle level 8 * level; the rightmost tile of a level grows until it is full.
ledger_tiles = Table(
    "ledger_tiles",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hashes", LargeBinary, nullable=False),
)

# Entry bundles parallel to level-0 tiles: up to 256 entries, each with its uint16 length.
ledger_bundles = Table(
    "ledger_bundles",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("width", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Witness cosignatures (c2sp.org/tlog-cosignature) on our checkpoints, one line per witness.
ledger_cosignatures = Table(
    "ledger_cosignatures",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("witness", String(255), primary_key=True),
    Column("line", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)


# --- authenticity (migration 0003) ---

# One run of the batch detectors over the platform's interactions. A like whose event seq is
# at most the `through_seq` of a finished scan has been through the detectors (the
# authenticity hold that campaign rewards wait for).
authenticity_scans = Table(
    "authenticity_scans",
    metadata,
    Column("id", ID, primary_key=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("through_seq", BigInteger, nullable=True),
    Column("verdicts", Integer, nullable=False, server_default=text("0")),
    Column("likes_revoked", Integer, nullable=False, server_default=text("0")),
)

# A detector's (or an operator's) judgement with its evidence (JSON: accounts, videos, window,
# density, expected vs observed). `status`: in_force | reinstated (every like given back).
verdicts = Table(
    "verdicts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("scan_id", ID, ForeignKey("authenticity_scans.id"), nullable=True, index=True),
    Column("detector", String(32), nullable=False),
    Column("score", Float, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# A like taken out of the authentic count by a verdict; `reinstated_at` set when an appeal
# gives it back. Each revocation and reinstatement is also an entry in the ledger.
revocations = Table(
    "revocations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("like_id", ID, ForeignKey("likes.id"), nullable=False),
    Column("account_id", ID, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("video_id", ID, ForeignKey("videos.id"), nullable=False, index=True),
    Column("verdict_id", ID, ForeignKey("verdicts.id"), nullable=False, index=True),
    Column("revoked_at", UTCDateTime(), nullable=False),
    Column("reinstated_at", UTCDateTime(), nullable=True),
    Index(
        "uq_revocations_in_force",
        "like_id",
        unique=True,
        sqlite_where=text("reinstated_at IS NULL"),
        postgresql_where=text("reinstated_at IS NULL"),
    ),
)

# A like a real-time rule held at ingest: accepted and visible to its author, counted as
# pending until a scan or an operator releases it (outcome released) or revokes it.
holds = Table(
    "holds",
    metadata,
    Column("like_id", ID, ForeignKey("likes.id"), primary_key=True),
    Column("video_id", ID, ForeignKey("videos.id"), nullable=False, index=True),
    Column("rule", String(64), nullable=False),
    Column("risk", SmallInteger, nullable=False),
    Column("held_at", UTCDateTime(), nullable=False),
    Column("released_at", UTCDateTime(), nullable=True),
    Column("outcome", String(16), nullable=True),
)

# A like a real-time rule refused (429 or 403): which rule, when, on which video. Kept so the
# transparency report can count likes prevented at ingest; no account, device or address
# (the holds table keeps no more), and no foreign key on the video (a refused like may name
# one that does not exist: the rules judge before the like's transaction).
rule_refusals = Table(
    "rule_refusals",
    metadata,
    Column("id", ID, primary_key=True),
    Column("rule", String(64), nullable=False),
    Column("video_id", BigInteger, nullable=False),
    Column("refused_at", UTCDateTime(), nullable=False, index=True),
)

# An account's appeal against a verdict; an operator decides: reinstated | upheld.
appeals = Table(
    "appeals",
    metadata,
    Column("id", ID, primary_key=True),
    Column("verdict_id", ID, ForeignKey("verdicts.id"), nullable=False, index=True),
    Column("account_id", ID, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("decided_by", ID, ForeignKey("accounts.id"), nullable=True),
    Column("decision", Text, nullable=True),
    UniqueConstraint("verdict_id", "account_id", name="uq_appeals_verdict_account"),
)

# Active incentivised likes per video, counted for the public `incentivised` count without
# touching the like's hot path (a partial index: only campaign likes are in it).
Index(
    "ix_likes_incentivised",
    likes.c.video_id,
    sqlite_where=text("removed_at IS NULL AND source LIKE 'campaign:%'"),
    postgresql_where=text("removed_at IS NULL AND source LIKE 'campaign:%'"),
)


# --- strategy: insights, plans, inbox, experiments (migration 0004) ---

# Likes of one creator's videos in a time window (insights, plans, experiment metrics): without
# it each creator's read scans every like. One more index entry per like, on the write path.
Index("ix_likes_video_created", likes.c.video_id, likes.c.created_at)

# A creator's insights and engagement plan as computed by the daily refresh (JSON documents),
# so a request is one primary-key read (docs/strategy.md).
creator_plans = Table(
    "creator_plans",
    metadata,
    Column("creator_id", ID, ForeignKey("accounts.id"), primary_key=True, autoincrement=False),
    Column("computed_at", UTCDateTime(), nullable=False),
    Column("insights", Text, nullable=False),
    Column("plan", Text, nullable=False),
)

# An inbox action a creator approved (`kind` reply: target = comment id; thank: target = fan
# account id) and what came of it. Only approved actions exist here; nothing runs unapproved.
assistant_actions = Table(
    "assistant_actions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("creator_id", ID, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("target_id", ID, nullable=False),
    Column("fan_id", ID, ForeignKey("accounts.id"), nullable=False),
    Column("video_id", ID, ForeignKey("videos.id"), nullable=False),
    Column("body", Text, nullable=False),
    Column("approved_by", ID, ForeignKey("accounts.id"), nullable=False),
    Column("approved_at", UTCDateTime(), nullable=False),
    Column("executed_at", UTCDateTime(), nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("detail", Text, nullable=True),
    Column("comment_id", ID, ForeignKey("comments.id"), nullable=True),
    UniqueConstraint("creator_id", "kind", "target_id", name="uq_assistant_actions_target"),
)

# An A/B experiment: `arms` is JSON [{"name", "weight"}], the first arm is the control.
experiments = Table(
    "experiments",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("owner_id", ID, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("unit", String(16), nullable=False),  # creator | fan
    Column("metric", String(64), nullable=False),
    Column("arms", Text, nullable=False),
    Column("pre_starts_at", UTCDateTime(), nullable=False),
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("ends_at", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# The first time a unit was exposed to its arm; the analysis covers exposed units only.
experiment_exposures = Table(
    "experiment_exposures",
    metadata,
    Column("experiment_id", ID, ForeignKey("experiments.id"), primary_key=True),
    Column("unit_id", ID, ForeignKey("accounts.id"), primary_key=True),
    Column("arm", String(64), nullable=False),
    Column("exposed_at", UTCDateTime(), nullable=False),
)


# --- campaigns, brands, rewards, coupons (migration 0005) ---

# A brand's organisation; brand accounts act for it with a role: owner | manager | analyst.
organisations = Table(
    "organisations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(128), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

organisation_members = Table(
    "organisation_members",
    metadata,
    Column("organisation_id", ID, ForeignKey("organisations.id"), primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id"), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("added_at", UTCDateTime(), nullable=False),
    Index("ix_organisation_members_account", "account_id"),
)

# An opt-in interaction task. Money is integer fen; `spent_fen` only moves by a conditional
# UPDATE in the transaction that releases a reward, and the CHECK is the last line of defence.
# task: coupon | streak | donate; reward_fen: the coupon's value, the streak's reward, or the
# donation per authentic like (budget_fen is then the donation cap).
campaigns = Table(
    "campaigns",
    metadata,
    Column("id", ID, primary_key=True),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False, index=True),
    Column("name", String(128), nullable=False),
    Column("task", String(16), nullable=False),
    Column("segment", Text, nullable=False),
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("ends_at", UTCDateTime(), nullable=False),
    Column("budget_fen", BigInteger, nullable=False),
    Column("spent_fen", BigInteger, nullable=False, server_default=text("0")),
    Column("reward_fen", BigInteger, nullable=False),
    Column("charity", String(128), nullable=True),
    Column("per_account_limit", Integer, nullable=False),
    Column("streak_days", Integer, nullable=True),
    Column("streak_miss", String(8), nullable=True),  # reset | end
    Column("time_zone", String(64), nullable=False),
    Column("created_by", ID, ForeignKey("accounts.id"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    CheckConstraint("spent_fen >= 0 AND spent_fen <= budget_fen", name="spend_within_budget"),
)

campaign_videos = Table(
    "campaign_videos",
    metadata,
    Column("campaign_id", ID, ForeignKey("campaigns.id"), primary_key=True),
    Column("video_id", ID, ForeignKey("videos.id"), primary_key=True),
    Index("ix_campaign_videos_video", "video_id"),
)

# A fan's opt-in to a campaign and the state of a streak (`last_day` in the campaign's zone).
participations = Table(
    "participations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("campaign_id", ID, ForeignKey("campaigns.id"), nullable=False),
    Column("account_id", ID, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("opted_in_at", UTCDateTime(), nullable=False),
    Column("streak", Integer, nullable=False, server_default=text("0")),
    Column("last_day", String(10), nullable=True),
    Column("ended_at", UTCDateTime(), nullable=True),
    UniqueConstraint("campaign_id", "account_id", name="uq_participations_campaign_account"),
)

# An interaction task's outcome: pending until the likes behind it clear the authenticity
# hold, then released (rewarded), voided (a like revoked or removed) or unfunded (no budget).
completions = Table(
    "completions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("campaign_id", ID, ForeignKey("campaigns.id"), nullable=False, index=True),
    Column("account_id", ID, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("ordinal", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("settled_at", UTCDateTime(), nullable=True),
    Column("reason", String(128), nullable=True),
    UniqueConstraint("campaign_id", "account_id", "ordinal", name="uq_completions_ordinal"),
    Index("ix_completions_status", "status", "id"),
)

# The likes made through a campaign (source campaign:<id>), with the local day they count for.
campaign_likes = Table(
    "campaign_likes",
    metadata,
    Column("like_id", ID, ForeignKey("likes.id"), primary_key=True),
    Column("campaign_id", ID, ForeignKey("campaigns.id"), nullable=False, index=True),
    Column("account_id", ID, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("video_id", ID, ForeignKey("videos.id"), nullable=False, index=True),
    Column("seq", BigInteger, nullable=False),
    Column("day", String(10), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("completion_id", ID, ForeignKey("completions.id"), nullable=True, index=True),
)

# A released reward: at most one per completion (the unique constraint). A coupon's code is
# made when the fan first asks for it and only its SHA-256 is kept; a donation has no code.
rewards = Table(
    "rewards",
    metadata,
    Column("id", ID, primary_key=True),
    Column("completion_id", ID, ForeignKey("completions.id"), nullable=False, unique=True),
    Column("campaign_id", ID, ForeignKey("campaigns.id"), nullable=False, index=True),
    Column("account_id", ID, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # coupon | donation
    Column("amount_fen", BigInteger, nullable=False),
    Column("released_at", UTCDateTime(), nullable=False),
    Column("coupon_hash", LargeBinary(32), nullable=True, unique=True),
    Column("code_shown_at", UTCDateTime(), nullable=True),
    Column("redeemed_at", UTCDateTime(), nullable=True),
    Column("redeemed_by", ID, ForeignKey("accounts.id"), nullable=True),
)


# --- creator fund (migration 0006) ---

# A creator-fund period: its pool and the rule it pays by (weights per interaction kind and
# the daily cap of the diminishing returns), stored with the period so a past period's rule
# never changes. Closing sets `closed_at` and `through_seq` (the events seq the computation
# read up to, so `plaudit fund verify` replays exactly the ledger entries below it).
fund_periods = Table(
    "fund_periods",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("ends_at", UTCDateTime(), nullable=False),
    Column("pool_fen", BigInteger, nullable=False),
    Column("weight_like", Integer, nullable=False),
    Column("weight_comment", Integer, nullable=False),
    Column("weight_share", Integer, nullable=False),
    Column("weight_follow", Integer, nullable=False),
    Column("daily_cap", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("closed_at", UTCDateTime(), nullable=True),
    Column("through_seq", BigInteger, nullable=True),
    Column("total_units", BigInteger, nullable=True),
)

# The frozen statement of one creator in a closed period: the figures behind the payout.
fund_payouts = Table(
    "fund_payouts",
    metadata,
    Column("period_id", ID, ForeignKey("fund_periods.id"), primary_key=True),
    Column("creator_id", ID, ForeignKey("accounts.id"), primary_key=True),
    Column("likes", BigInteger, nullable=False),
    Column("comments", BigInteger, nullable=False),
    Column("shares", BigInteger, nullable=False),
    Column("follows", BigInteger, nullable=False),
    Column("fans", BigInteger, nullable=False),
    Column("excluded_revoked", BigInteger, nullable=False),
    Column("excluded_incentivised", BigInteger, nullable=False),
    Column("score_units", BigInteger, nullable=False),
    Column("payout_fen", BigInteger, nullable=False),
    Index("ix_fund_payouts_creator", "creator_id"),
)

# The web console's sign-ins (migration 0009): an argon2id hash per account that has a
# password, and server-side sessions whose cookie carries only a random id (its SHA-256 here).
account_passwords = Table(
    "account_passwords",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.id"), primary_key=True),
    Column("password_hash", String(256), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", LargeBinary(32), primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

# Passkeys (WebAuthn, migration 0011): a credential's id and COSE public key as the browser
# registered them, and the authenticator's signature counter (clone detection). A challenge is
# kept until it is used once or expires: registration names its account, sign-in none.
passkeys = Table(
    "passkeys",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("credential_id", LargeBinary(1023), nullable=False, unique=True),
    Column("public_key", LargeBinary(2048), nullable=False),
    Column("sign_count", BigInteger, nullable=False),
    Column("name", String(64), nullable=False),
    Column("aaguid", String(36), nullable=False),
    Column("backed_up", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_used_at", UTCDateTime(), nullable=True),
)

passkey_challenges = Table(
    "passkey_challenges",
    metadata,
    Column("challenge", LargeBinary(32), primary_key=True),
    Column("purpose", String(16), nullable=False),
    Column("account_id", ID, ForeignKey("accounts.id"), nullable=True),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
)

# A scoped API key (issue 13): shown once, kept as a SHA-256 hash. It acts as the account that
# made it; an organisation's key only while that account is still a member. `scopes` is the
# space-separated list (`likes:read videos:write`); revoked and expired keys stay for the log.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=True, index=True),
    Column("name", String(64), nullable=False),
    Column("prefix", String(24), nullable=False),
    Column("key_hash", LargeBinary(32), nullable=False, unique=True),
    Column("scopes", String(1024), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("last_used_at", UTCDateTime(), nullable=True),
)

# A request made with an `Idempotency-Key` (issue 13): `owner` is the SHA-256 of the credential
# that sent it, `fingerprint` of its method, path and body. `status_code` is null while the
# first request runs; then the stored answer is replayed to retries until `expires_at`.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", ID, primary_key=True),
    Column("owner", LargeBinary(32), nullable=False),
    Column("key", String(255), nullable=False),
    Column("fingerprint", LargeBinary(32), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
    Column("status_code", Integer, nullable=True),
    Column("media_type", String(128), nullable=True),
    Column("body", LargeBinary, nullable=True),
    UniqueConstraint("owner", "key"),
)

# Webhook endpoints (issue 13, Standard Webhooks): `events` space-separated; `secret` is the
# signing secret (`whsec_...`, needed in clear to sign); after a rotation the previous one
# also signs until `previous_until`. A `410 Gone` answer sets `disabled_at`.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=True),
    # set when a third-party app registered it with its access token: the app's own, listed
    # and managed only by it (and its creator), disabled when the app is retired
    Column("app_id", ID, ForeignKey("oauth_apps.id"), nullable=True),
    Column("url", String(2048), nullable=False),
    Column("events", String(1024), nullable=False),
    Column("secret", String(128), nullable=False),
    Column("previous_secret", String(128), nullable=True),
    Column("previous_until", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("disabled_at", UTCDateTime(), nullable=True),
    Column("disabled_reason", String(256), nullable=True),
)

# The durable outbox: one message per (endpoint, event), delivered at least once.
# status: pending | delivered | failed; `next_attempt_at` follows the retry schedule.
webhook_messages = Table(
    "webhook_messages",
    metadata,
    Column("id", ID, primary_key=True),
    Column("endpoint_id", ID, ForeignKey("webhook_endpoints.id"), nullable=False, index=True),
    Column("msg_id", String(64), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=True, index=True),
)

# The delivery log: every attempt with the answer's status or the error.
webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("message_id", ID, ForeignKey("webhook_messages.id"), nullable=False, index=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", String(512), nullable=True),
    Column("duration_ms", Integer, nullable=False),
)

# How far the webhook dispatcher has read each event source (a table it tails).
webhook_cursors = Table(
    "webhook_cursors",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("last_id", BigInteger, nullable=False),
)

# --- privacy budget (migration 0007, docs/segments.md "Privacy") ---

# One row per budget holder (org:<id>, account:<id>), locked while a charge is decided so two
# concurrent questions cannot both spend the last of a budget.
privacy_principals = Table(
    "privacy_principals",
    metadata,
    Column("principal", String(64), primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Epsilon spent by a principal on one question (a keyed hash of its canonical form and the
# index version) in micro-epsilon; a question already paid for in the window costs nothing.
privacy_spends = Table(
    "privacy_spends",
    metadata,
    Column("id", ID, primary_key=True),
    Column("principal", String(64), ForeignKey("privacy_principals.principal"), nullable=False),
    Column("question", String(64), nullable=False),
    Column("cost_micro", BigInteger, nullable=False),
    Column("spent_at", UTCDateTime(), nullable=False),
    Index("ix_privacy_spends_principal_at", "principal", "spent_at"),
)

# Events the ledger integrator could not encode (issue 17): a placeholder entry of kind
# QUARANTINED holds each one's index; this is the operator's list (`plaudit ledger quarantine`).
ledger_quarantine = Table(
    "ledger_quarantine",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("ref_id", BigInteger, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("quarantined_at", UTCDateTime(), nullable=False),
)

# Third-party apps (OAuth 2.0 clients, issue 13): `client_id` is public; a confidential app's
# secret is kept as its SHA-256 only, a public app (PKCE alone) has none.
oauth_apps = Table(
    "oauth_apps",
    metadata,
    Column("id", ID, primary_key=True),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("secret_hash", LargeBinary(32), nullable=True),
    Column("account_id", ID, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("name", String(64), nullable=False),
    Column("redirect_uris", Text, nullable=False),
    Column("scopes", String(1024), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
)

# Authorization codes (RFC 6749 4.1): the SHA-256 of the code, the person who consented, the
# PKCE challenge (RFC 7636); `used_at` is set by the first exchange, so a code works once.
oauth_codes = Table(
    "oauth_codes",
    metadata,
    Column("id", ID, primary_key=True),
    Column("code_hash", LargeBinary(32), nullable=False, unique=True),
    Column("app_id", ID, ForeignKey("oauth_apps.id"), nullable=False, index=True),
    Column("account_id", ID, ForeignKey("accounts.id"), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("scopes", String(1024), nullable=False),
    Column("code_challenge", String(128), nullable=False),
    Column("code_challenge_method", String(8), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime(), nullable=True),
)

# Access and refresh tokens, hashed. `grant_id` is the code they descend from: rotating a
# refresh token makes a new row of the same grant, and a replayed code or refresh token
# revokes the whole grant (RFC 6749 4.1.2, RFC 9700 4.14.2).
oauth_tokens = Table(
    "oauth_tokens",
    metadata,
    Column("id", ID, primary_key=True),
    Column("app_id", ID, ForeignKey("oauth_apps.id"), nullable=False, index=True),
    Column("account_id", ID, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("grant_id", ID, ForeignKey("oauth_codes.id"), nullable=False, index=True),
    Column("access_hash", LargeBinary(32), nullable=False, unique=True),
    Column("refresh_hash", LargeBinary(32), nullable=False, unique=True),
    Column("scopes", String(1024), nullable=False),
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("refresh_expires_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
)
