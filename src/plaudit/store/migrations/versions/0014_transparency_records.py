"""transparency records: likes refused by the real-time rules, data-subject exports (issue 14)

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-04 14:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plaudit.store.types import UTCDateTime

revision: str = "0014"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "rule_refusals",
        sa.Column("id", ID, nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("video_id", sa.BigInteger(), nullable=False),
        sa.Column("refused_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_refusals")),
    )
    op.create_index(op.f("ix_rule_refusals_refused_at"), "rule_refusals", ["refused_at"])
    op.create_table(
        "data_exports",
        sa.Column("id", ID, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("exported_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_exports")),
    )
    op.create_index(op.f("ix_data_exports_exported_at"), "data_exports", ["exported_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_data_exports_exported_at"), table_name="data_exports")
    op.drop_table("data_exports")
    op.drop_index(op.f("ix_rule_refusals_refused_at"), table_name="rule_refusals")
    op.drop_table("rule_refusals")
