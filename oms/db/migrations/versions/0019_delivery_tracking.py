"""Carrier tracking after handover: webhook senders and the events applied from them, each
shipment's tracking history and delivery status, the order's delivery time

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _when(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "webhook_senders",
        sa.Column("id", _text(64), nullable=False),
        sa.Column("secret", _text(200), nullable=False),
        _when("created_at", nullable=False),
        _when("rotated_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "inbound_events",
        sa.Column("sender", _text(64), nullable=False),
        sa.Column("event_id", _text(200), nullable=False),
        sa.Column("type", _text(64), nullable=False),
        _when("received_at", nullable=False),
        sa.PrimaryKeyConstraint("sender", "event_id"),
    )
    op.create_table(
        "shipment_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fulfilment_id", _text(80), nullable=False),
        sa.Column("order_id", _text(64), nullable=False),
        sa.Column("carrier", _text(64), nullable=False),
        sa.Column("tracking_number", _text(64), nullable=False),
        sa.Column("status", _text(32), nullable=False),
        _when("occurred_at", nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("event_id", _text(200), nullable=False),
        _when("received_at", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_shipment_events_fulfilment_id", "shipment_events", ["fulfilment_id"])
    op.create_index("ix_shipment_events_order_id", "shipment_events", ["order_id"])
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery_status", _text(32), nullable=True))
        batch_op.add_column(_when("tracked_at"))
        batch_op.add_column(_when("delivered_at"))
        batch_op.create_index("ix_fulfilments_carrier", ["carrier"], unique=False)
        batch_op.create_index("ix_fulfilments_tracking_number", ["tracking_number"], unique=False)
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(_when("delivered_at"))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("delivered_at")
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.drop_index("ix_fulfilments_tracking_number")
        batch_op.drop_index("ix_fulfilments_carrier")
        batch_op.drop_column("delivered_at")
        batch_op.drop_column("tracked_at")
        batch_op.drop_column("delivery_status")
    op.drop_index("ix_shipment_events_order_id", table_name="shipment_events")
    op.drop_index("ix_shipment_events_fulfilment_id", table_name="shipment_events")
    op.drop_table("shipment_events")
    op.drop_table("inbound_events")
    op.drop_table("webhook_senders")
