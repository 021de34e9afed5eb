"""fund

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 14:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plaudit.store.types import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "fund_periods",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("pool_fen", sa.BigInteger(), nullable=False),
        sa.Column("weight_like", sa.Integer(), nullable=False),
        sa.Column("weight_comment", sa.Integer(), nullable=False),
        sa.Column("weight_share", sa.Integer(), nullable=False),
        sa.Column("weight_follow", sa.Integer(), nullable=False),
        sa.Column("daily_cap", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("through_seq", sa.BigInteger(), nullable=True),
        sa.Column("total_units", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_periods")),
        sa.UniqueConstraint("name", name=op.f("uq_fund_periods_name")),
    )
    op.create_table(
        "fund_payouts",
        sa.Column("period_id", ID, nullable=False),
        sa.Column("creator_id", ID, nullable=False),
        sa.Column("likes", sa.BigInteger(), nullable=False),
        sa.Column("comments", sa.BigInteger(), nullable=False),
        sa.Column("shares", sa.BigInteger(), nullable=False),
        sa.Column("follows", sa.BigInteger(), nullable=False),
        sa.Column("fans", sa.BigInteger(), nullable=False),
        sa.Column("excluded_revoked", sa.BigInteger(), nullable=False),
        sa.Column("excluded_incentivised", sa.BigInteger(), nullable=False),
        sa.Column("score_units", sa.BigInteger(), nullable=False),
        sa.Column("payout_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["accounts.id"], name=op.f("fk_fund_payouts_creator_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["fund_periods.id"], name=op.f("fk_fund_payouts_period_id_fund_periods")
        ),
        sa.PrimaryKeyConstraint("period_id", "creator_id", name=op.f("pk_fund_payouts")),
    )
    op.create_index("ix_fund_payouts_creator", "fund_payouts", ["creator_id"])


def downgrade() -> None:
    op.drop_index("ix_fund_payouts_creator", table_name="fund_payouts")
    op.drop_table("fund_payouts")
    op.drop_table("fund_periods")
