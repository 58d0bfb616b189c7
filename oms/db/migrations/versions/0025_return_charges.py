"""Returns keep the shipping charge they refund and the replacement order of an exchange;
refund claims split an order's captures between refunds made at once

Revision ID: 0025
Revises: 0027
Create Date: 2026-12-07 19:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0025"
down_revision: str | None = "0027"
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

    op.create_table(
        "refund_claims",
        sa.Column("key", sqlmodel.AutoString(length=200), nullable=False),
        sa.Column("order_id", sqlmodel.AutoString(length=64), nullable=False),
        sa.Column("capture_id", sqlmodel.AutoString(length=200), nullable=False),
        sa.Column("authorization_id", sqlmodel.AutoString(length=200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.AutoString(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("refund_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refund_claims_order_id"), ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("refund_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refund_claims_order_id"))
    op.drop_table("refund_claims")
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_column("exchange_order_id")
        batch_op.drop_column("shipping_refund")
