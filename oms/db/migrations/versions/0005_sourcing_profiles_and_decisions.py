"""Sourcing profiles and decisions; indexes for the hold sweep and the event feeds

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 18:56:23.593958
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sourcing_decisions",
        sa.Column("step_key", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("order_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("profile_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("profile_version", sa.Integer(), nullable=False),
        sa.Column("strategy", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("step_key"),
    )
    with op.batch_alter_table("sourcing_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sourcing_decisions_order_id"), ["order_id"], unique=False
        )

    op.create_table(
        "sourcing_profiles",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", "version"),
    )
    with op.batch_alter_table("sourcing_profiles", schema=None) as batch_op:
        batch_op.create_index(
            "uq_sourcing_profiles_active",
            ["channel"],
            unique=True,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )

    with op.batch_alter_table("cart_holds", schema=None) as batch_op:
        batch_op.create_index("ix_cart_holds_due", ["status", "expires_at"], unique=False)

    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_type_created", ["type", "created_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_type_created")

    with op.batch_alter_table("cart_holds", schema=None) as batch_op:
        batch_op.drop_index("ix_cart_holds_due")

    with op.batch_alter_table("sourcing_profiles", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_sourcing_profiles_active",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )

    op.drop_table("sourcing_profiles")
    with op.batch_alter_table("sourcing_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sourcing_decisions_order_id"))

    op.drop_table("sourcing_decisions")
