"""authenticity

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 14:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plaudit.store.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("video_counters") as batch:
        batch.add_column(
            sa.Column("revoked", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )
        batch.add_column(
            sa.Column("pending", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )
    op.create_table(
        "authenticity_scans",
        sa.Column("id", ID, nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("through_seq", sa.BigInteger(), nullable=True),
        sa.Column("verdicts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("likes_revoked", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authenticity_scans")),
    )
    op.create_table(
        "verdicts",
        sa.Column("id", ID, nullable=False),
        sa.Column("scan_id", ID, nullable=True),
        sa.Column("detector", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"],
            ["authenticity_scans.id"],
            name=op.f("fk_verdicts_scan_id_authenticity_scans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verdicts")),
    )
    op.create_index(op.f("ix_verdicts_scan_id"), "verdicts", ["scan_id"])
    op.create_table(
        "revocations",
        sa.Column("id", ID, nullable=False),
        sa.Column("like_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("video_id", ID, nullable=False),
        sa.Column("verdict_id", ID, nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=False),
        sa.Column("reinstated_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_revocations_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["like_id"], ["likes.id"], name=op.f("fk_revocations_like_id_likes")
        ),
        sa.ForeignKeyConstraint(
            ["verdict_id"], ["verdicts.id"], name=op.f("fk_revocations_verdict_id_verdicts")
        ),
        sa.ForeignKeyConstraint(
            ["video_id"], ["videos.id"], name=op.f("fk_revocations_video_id_videos")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revocations")),
    )
    op.create_index(op.f("ix_revocations_account_id"), "revocations", ["account_id"])
    op.create_index(op.f("ix_revocations_video_id"), "revocations", ["video_id"])
    op.create_index(op.f("ix_revocations_verdict_id"), "revocations", ["verdict_id"])
    op.create_index(
        "uq_revocations_in_force",
        "revocations",
        ["like_id"],
        unique=True,
        sqlite_where=sa.text("reinstated_at IS NULL"),
        postgresql_where=sa.text("reinstated_at IS NULL"),
    )
    op.create_table(
        "holds",
        sa.Column("like_id", ID, nullable=False),
        sa.Column("video_id", ID, nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("risk", sa.SmallInteger(), nullable=False),
        sa.Column("held_at", UTCDateTime(), nullable=False),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["like_id"], ["likes.id"], name=op.f("fk_holds_like_id_likes")),
        sa.ForeignKeyConstraint(["video_id"], ["videos.id"], name=op.f("fk_holds_video_id_videos")),
        sa.PrimaryKeyConstraint("like_id", name=op.f("pk_holds")),
    )
    op.create_index(op.f("ix_holds_video_id"), "holds", ["video_id"])
    op.create_table(
        "appeals",
        sa.Column("id", ID, nullable=False),
        sa.Column("verdict_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", ID, nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_appeals_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["accounts.id"], name=op.f("fk_appeals_decided_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["verdict_id"], ["verdicts.id"], name=op.f("fk_appeals_verdict_id_verdicts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
        sa.UniqueConstraint("verdict_id", "account_id", name="uq_appeals_verdict_account"),
    )
    op.create_index(op.f("ix_appeals_account_id"), "appeals", ["account_id"])
    op.create_index(op.f("ix_appeals_verdict_id"), "appeals", ["verdict_id"])
    op.create_index(
        "ix_likes_incentivised",
        "likes",
        ["video_id"],
        sqlite_where=sa.text("removed_at IS NULL AND source LIKE 'campaign:%'"),
        postgresql_where=sa.text("removed_at IS NULL AND source LIKE 'campaign:%'"),
    )


def downgrade() -> None:
    op.drop_index("ix_likes_incentivised", table_name="likes")
    op.drop_table("appeals")
    op.drop_table("holds")
    op.drop_table("revocations")
    op.drop_table("verdicts")
    op.drop_table("authenticity_scans")
    with op.batch_alter_table("video_counters") as batch:
        batch.drop_column("pending")
        batch.drop_column("revoked")
