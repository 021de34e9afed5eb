"""The system of record: SQLAlchemy Core tables, the single source for Alembic migrations.

Hot paths (likes, bulk ingest) use Core statements on these tables directly; that keeps the
per-like cost low without a second model layer. Counters live in their own narrow tables so
the rows a like updates are small.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
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
    "authenticity_scans",
    "comments",
    "creator_counters",
    "devices",
    "events",
    "follows",
    "holds",
    "ledger_bundles",
    "ledger_checkpoints",
    "ledger_cosignatures",
    "ledger_state",
    "ledger_tiles",
    "likes",
    "metadata",
    "profiles",
    "revocations",
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


# --- strategy: insights, plans, inbox, experiments (migration 0004) ---


# --- campaigns, brands, rewards, coupons (migration 0005) ---


# --- creator fund (migration 0006) ---
