"""Safety rules, exclusions, channel buffers, cart holds, inventory syncs, position indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 18:06:45.210727
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cart_holds",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=58), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "channel_atp",
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("atp", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", "sku"),
    )
    op.create_table(
        "exclusions",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("market", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("location_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "inventory_sync_chunks",
        sa.Column("sync_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Integer(), nullable=False),
        sa.Column("stale", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sync_id", "chunk"),
    )
    op.create_table(
        "inventory_sync_errors",
        sa.Column("sync_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.PrimaryKeyConstraint("sync_id", "row"),
    )
    op.create_table(
        "inventory_sync_rows",
        sa.Column("sync_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=True),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("location_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("in_transit", sa.Integer(), nullable=True),
        sa.Column("source_version", sa.BigInteger(), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("sync_id", "row"),
    )
    with op.batch_alter_table("inventory_sync_rows", schema=None) as batch_op:
        batch_op.create_index("ix_sync_rows_chunk", ["sync_id", "chunk"], unique=False)

    op.create_table(
        "inventory_syncs",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("location_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("missing", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("format", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("workflow_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column("chunks_total", sa.Integer(), nullable=False),
        sa.Column("chunks_done", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Integer(), nullable=False),
        sa.Column("stale", sa.Integer(), nullable=False),
        sa.Column("zeroed", sa.Integer(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "safety_rules",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("location_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("vendor_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("location_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("percent", sa.Float(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("safety_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_rules_sku"), ["sku"], unique=False)

    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("buffer_quantity", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("buffer_percent", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("low_stock", sa.Integer(), server_default="0", nullable=False)
        )

    with op.batch_alter_table("inventory_positions", schema=None) as batch_op:
        batch_op.alter_column(
            "source_version",
            existing_type=sa.INTEGER(),
            type_=sa.BigInteger(),
            existing_nullable=True,
        )
        batch_op.create_index("ix_positions_location", ["location_id"], unique=False)
        batch_op.create_index("ix_positions_updated", ["updated_at"], unique=False)

    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("vendor_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )

    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.create_index("ix_reservations_created", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.drop_index("ix_reservations_created")

    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_column("vendor_id")

    with op.batch_alter_table("inventory_positions", schema=None) as batch_op:
        batch_op.drop_index("ix_positions_updated")
        batch_op.drop_index("ix_positions_location")
        batch_op.alter_column(
            "source_version",
            existing_type=sa.BigInteger(),
            type_=sa.INTEGER(),
            existing_nullable=True,
        )

    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_column("low_stock")
        batch_op.drop_column("buffer_percent")
        batch_op.drop_column("buffer_quantity")

    with op.batch_alter_table("safety_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_rules_sku"))

    op.drop_table("safety_rules")
    op.drop_table("inventory_syncs")
    with op.batch_alter_table("inventory_sync_rows", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_rows_chunk")

    op.drop_table("inventory_sync_rows")
    op.drop_table("inventory_sync_errors")
    op.drop_table("inventory_sync_chunks")
    op.drop_table("exclusions")
    op.drop_table("channel_atp")
    op.drop_table("cart_holds")
