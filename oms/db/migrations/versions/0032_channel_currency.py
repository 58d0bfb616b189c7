"""A channel's currency: the one ISO 4217 code its orders are placed in (null: any)

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Null for the channels there are: what they sold in is not known here, and an order in
    # a currency its channel never set keeps being taken until an admin sets one.
    with op.batch_alter_table("channels") as batch:
        batch.add_column(
            sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("currency")
