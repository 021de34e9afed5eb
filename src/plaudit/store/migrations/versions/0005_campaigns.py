"""campaigns

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 14:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plaudit.store.types import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    """A foreign key named by the metadata's naming convention."""
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    _organisations()
    _campaigns()
    _participation()
    _rewards()


def _organisations() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
    )
    op.create_table(
        "organisation_members",
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        _fk("organisation_members", "organisation_id", "organisations"),
        _fk("organisation_members", "account_id", "accounts"),
        sa.PrimaryKeyConstraint(
            "organisation_id", "account_id", name=op.f("pk_organisation_members")
        ),
    )
    op.create_index("ix_organisation_members_account", "organisation_members", ["account_id"])


def _campaigns() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", ID, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("task", sa.String(length=16), nullable=False),
        sa.Column("segment", sa.Text(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("budget_fen", sa.BigInteger(), nullable=False),
        sa.Column("spent_fen", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("reward_fen", sa.BigInteger(), nullable=False),
        sa.Column("charity", sa.String(length=128), nullable=True),
        sa.Column("per_account_limit", sa.Integer(), nullable=False),
        sa.Column("streak_days", sa.Integer(), nullable=True),
        sa.Column("streak_miss", sa.String(length=8), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("created_by", ID, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "spent_fen >= 0 AND spent_fen <= budget_fen",
            name=op.f("ck_campaigns_spend_within_budget"),
        ),
        _fk("campaigns", "organisation_id", "organisations"),
        _fk("campaigns", "created_by", "accounts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index(op.f("ix_campaigns_organisation_id"), "campaigns", ["organisation_id"])
    op.create_table(
        "campaign_videos",
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("video_id", ID, nullable=False),
        _fk("campaign_videos", "campaign_id", "campaigns"),
        _fk("campaign_videos", "video_id", "videos"),
        sa.PrimaryKeyConstraint("campaign_id", "video_id", name=op.f("pk_campaign_videos")),
    )
    op.create_index("ix_campaign_videos_video", "campaign_videos", ["video_id"])


def _participation() -> None:
    op.create_table(
        "participations",
        sa.Column("id", ID, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("opted_in_at", UTCDateTime(), nullable=False),
        sa.Column("streak", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_day", sa.String(length=10), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        _fk("participations", "campaign_id", "campaigns"),
        _fk("participations", "account_id", "accounts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participations")),
        sa.UniqueConstraint("campaign_id", "account_id", name="uq_participations_campaign_account"),
    )
    op.create_index(op.f("ix_participations_account_id"), "participations", ["account_id"])
    op.create_table(
        "completions",
        sa.Column("id", ID, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("settled_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.String(length=128), nullable=True),
        _fk("completions", "campaign_id", "campaigns"),
        _fk("completions", "account_id", "accounts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_completions")),
        sa.UniqueConstraint("campaign_id", "account_id", "ordinal", name="uq_completions_ordinal"),
    )
    op.create_index(op.f("ix_completions_campaign_id"), "completions", ["campaign_id"])
    op.create_index(op.f("ix_completions_account_id"), "completions", ["account_id"])
    op.create_index("ix_completions_status", "completions", ["status", "id"])
    op.create_table(
        "campaign_likes",
        sa.Column("like_id", ID, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("video_id", ID, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("completion_id", ID, nullable=True),
        _fk("campaign_likes", "like_id", "likes"),
        _fk("campaign_likes", "campaign_id", "campaigns"),
        _fk("campaign_likes", "account_id", "accounts"),
        _fk("campaign_likes", "video_id", "videos"),
        _fk("campaign_likes", "completion_id", "completions"),
        sa.PrimaryKeyConstraint("like_id", name=op.f("pk_campaign_likes")),
    )
    for column in ("campaign_id", "account_id", "video_id", "completion_id"):
        op.create_index(op.f(f"ix_campaign_likes_{column}"), "campaign_likes", [column])


def _rewards() -> None:
    op.create_table(
        "rewards",
        sa.Column("id", ID, nullable=False),
        sa.Column("completion_id", ID, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("released_at", UTCDateTime(), nullable=False),
        sa.Column("coupon_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("code_shown_at", UTCDateTime(), nullable=True),
        sa.Column("redeemed_at", UTCDateTime(), nullable=True),
        sa.Column("redeemed_by", ID, nullable=True),
        _fk("rewards", "completion_id", "completions"),
        _fk("rewards", "campaign_id", "campaigns"),
        _fk("rewards", "account_id", "accounts"),
        _fk("rewards", "redeemed_by", "accounts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rewards")),
        sa.UniqueConstraint("completion_id", name=op.f("uq_rewards_completion_id")),
        sa.UniqueConstraint("coupon_hash", name=op.f("uq_rewards_coupon_hash")),
    )
    op.create_index(op.f("ix_rewards_campaign_id"), "rewards", ["campaign_id"])
    op.create_index(op.f("ix_rewards_account_id"), "rewards", ["account_id"])


def downgrade() -> None:
    for table in (
        "rewards",
        "campaign_likes",
        "completions",
        "participations",
        "campaign_videos",
        "campaigns",
        "organisation_members",
        "organisations",
    ):
        op.drop_table(table)
