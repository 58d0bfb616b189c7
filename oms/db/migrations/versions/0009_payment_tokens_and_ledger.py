"""Payment tokens kept by the OMS out of workflows, and the payment ledger

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 14:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "payment_tokens",
        sa.Column("order_id", _text(64), nullable=False),
        sa.Column("token", _text(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("order_id"),
    )
    op.create_table(
        "payment_ledger",
        sa.Column("idempotency_key", _text(200), nullable=False),
        sa.Column("order_id", _text(64), nullable=False),
        sa.Column("operation", _text(16), nullable=False),
        sa.Column("outcome", _text(16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", _text(8), nullable=False),
        sa.Column("authorization_id", _text(200), nullable=True),
        sa.Column("gateway_reference", _text(200), nullable=True),
        sa.Column("code", _text(64), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key"),
    )
    with op.batch_alter_table("payment_ledger", schema=None) as batch_op:
        batch_op.create_index("ix_payment_ledger_order_id", ["order_id"], unique=False)
        batch_op.create_index("ix_payment_ledger_recorded_at", ["recorded_at"], unique=False)


def downgrade() -> None:
    op.drop_table("payment_ledger")
    op.drop_table("payment_tokens")
