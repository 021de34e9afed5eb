"""privacy budget

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 11:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plaudit.store.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "privacy_principals",
        sa.Column("principal", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("principal", name=op.f("pk_privacy_principals")),
    )
    op.create_table(
        "privacy_spends",
        sa.Column("id", ID, nullable=False),
        sa.Column("principal", sa.String(length=64), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("cost_micro", sa.BigInteger(), nullable=False),
        sa.Column("spent_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["principal"],
            ["privacy_principals.principal"],
            name=op.f("fk_privacy_spends_principal_privacy_principals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_spends")),
    )
    op.create_index("ix_privacy_spends_principal_at", "privacy_spends", ["principal", "spent_at"])


def downgrade() -> None:
    op.drop_index("ix_privacy_spends_principal_at", table_name="privacy_spends")
    op.drop_table("privacy_spends")
    op.drop_table("privacy_principals")
