"""strategy

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 14:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plaudit.store.types import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_index("ix_likes_video_created", "likes", ["video_id", "created_at"])
    op.create_table(
        "creator_plans",
        sa.Column("creator_id", ID, autoincrement=False, nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.Column("insights", sa.Text(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["accounts.id"], name=op.f("fk_creator_plans_creator_id_accounts")
        ),
        sa.PrimaryKeyConstraint("creator_id", name=op.f("pk_creator_plans")),
    )
    op.create_table(
        "assistant_actions",
        sa.Column("id", ID, nullable=False),
        sa.Column("creator_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", ID, nullable=False),
        sa.Column("fan_id", ID, nullable=False),
        sa.Column("video_id", ID, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("approved_by", ID, nullable=False),
        sa.Column("approved_at", UTCDateTime(), nullable=False),
        sa.Column("executed_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("comment_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["accounts.id"], name=op.f("fk_assistant_actions_approved_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name=op.f("fk_assistant_actions_comment_id_comments")
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["accounts.id"], name=op.f("fk_assistant_actions_creator_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"], ["accounts.id"], name=op.f("fk_assistant_actions_fan_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["video_id"], ["videos.id"], name=op.f("fk_assistant_actions_video_id_videos")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistant_actions")),
        sa.UniqueConstraint("creator_id", "kind", "target_id", name="uq_assistant_actions_target"),
    )
    op.create_index(op.f("ix_assistant_actions_creator_id"), "assistant_actions", ["creator_id"])
    op.create_table(
        "experiments",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("arms", sa.Text(), nullable=False),
        sa.Column("pre_starts_at", UTCDateTime(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["accounts.id"], name=op.f("fk_experiments_owner_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
    )
    op.create_index(op.f("ix_experiments_owner_id"), "experiments", ["owner_id"])
    op.create_table(
        "experiment_exposures",
        sa.Column("experiment_id", ID, nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("arm", sa.String(length=64), nullable=False),
        sa.Column("exposed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_exposures_experiment_id_experiments"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["accounts.id"], name=op.f("fk_experiment_exposures_unit_id_accounts")
        ),
        sa.PrimaryKeyConstraint("experiment_id", "unit_id", name=op.f("pk_experiment_exposures")),
    )


def downgrade() -> None:
    op.drop_table("experiment_exposures")
    op.drop_index(op.f("ix_experiments_owner_id"), table_name="experiments")
    op.drop_table("experiments")
    op.drop_index(op.f("ix_assistant_actions_creator_id"), table_name="assistant_actions")
    op.drop_table("assistant_actions")
    op.drop_table("creator_plans")
    op.drop_index("ix_likes_video_created", table_name="likes")
