"""Picking in waves: product barcodes and places per location, pick waves and their lines,
and what orders a wave's fulfilments (express, pick deadline) and which wave took them

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 15:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
# Written beside 0010 and 0011: chained after them when the branches merge.
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("barcodes", sa.JSON(), server_default="[]", nullable=False))
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("express", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("pick_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("wave_id", _text(100), nullable=True))
        batch_op.create_index("ix_fulfilments_wave", ["wave_id"], unique=False)
    _backfill_wave_priority()
    op.create_table(
        "product_locations",
        sa.Column("sku", _text(64), nullable=False),
        sa.Column("location_id", _text(64), nullable=False),
        sa.Column("bin", _text(32), nullable=False),
        sa.Column("zone", _text(32), nullable=False),
        sa.Column("walk_order", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sku", "location_id"),
    )
    op.create_index("ix_product_locations_location", "product_locations", ["location_id", "sku"])
    op.create_table(
        "pick_waves",
        sa.Column("id", _text(100), nullable=False),
        sa.Column("location_id", _text(64), nullable=False),
        sa.Column("strategy", _text(16), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("max_fulfilments", sa.Integer(), nullable=False),
        sa.Column("max_units", sa.Integer(), nullable=True),
        sa.Column("fulfilment_count", sa.Integer(), nullable=False),
        sa.Column("unit_count", sa.Integer(), nullable=False),
        sa.Column("created_by", _text(128), nullable=False),
        sa.Column("picker", _text(128), nullable=True),
        sa.Column("picks", sa.JSON(), nullable=False),
        sa.Column("outcomes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sorted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pick_waves_location_status", "pick_waves", ["location_id", "status", "id"])
    op.create_table(
        "pick_wave_lines",
        sa.Column("wave_id", _text(100), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("group", _text(80), nullable=True),
        sa.Column("sku", _text(64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("bin", _text(32), nullable=True),
        sa.Column("zone", _text(32), nullable=True),
        sa.Column("walk_order", sa.Integer(), nullable=True),
        sa.Column("fulfilment_id", _text(80), nullable=True),
        sa.PrimaryKeyConstraint("wave_id", "seq"),
    )


def _backfill_wave_priority() -> None:
    """Fulfilments open at upgrade time get what orders them in a wave: the deadline of their
    open pick task (ids as oms.keys.pick_task_id wrote them when this was written) and
    whether their order asked for express delivery."""
    op.execute(
        "UPDATE fulfilments SET pick_due_at = ("
        " SELECT due_at FROM manual_tasks WHERE manual_tasks.id = 'pick-' || fulfilments.id)"
        " WHERE pick_due_at IS NULL"
    )
    if op.get_bind().dialect.name == "postgresql":
        express = "(orders.payload::jsonb -> 'delivery' ->> 'express')::boolean"
    else:
        express = "json_extract(orders.payload, '$.delivery.express') = 1"
    op.execute(
        "UPDATE fulfilments SET express = COALESCE(("
        f" SELECT {express} FROM orders WHERE orders.id = fulfilments.order_id), false)"
    )


def downgrade() -> None:
    op.drop_table("pick_wave_lines")
    op.drop_index("ix_pick_waves_location_status", table_name="pick_waves")
    op.drop_table("pick_waves")
    op.drop_index("ix_product_locations_location", table_name="product_locations")
    op.drop_table("product_locations")
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.drop_index("ix_fulfilments_wave")
        batch_op.drop_column("wave_id")
        batch_op.drop_column("pick_due_at")
        batch_op.drop_column("express")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("barcodes")
