"""webhook endpoints an app registers belong to the app (issue 13)

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-04 15:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("app_id", ID, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_webhook_endpoints_app_id_oauth_apps"), "oauth_apps", ["app_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_webhook_endpoints_app_id_oauth_apps"), type_="foreignkey"
        )
        batch_op.drop_column("app_id")
