"""Returns keep the shipping charge they refund and the replacement order of an exchange

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-07 19:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0025"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shipping_refund", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("exchange_order_id", sqlmodel.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_column("exchange_order_id")
        batch_op.drop_column("shipping_refund")
