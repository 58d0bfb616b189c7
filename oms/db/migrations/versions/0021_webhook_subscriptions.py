"""Webhooks out: subscriptions, one delivery per event and subscription, and the outbox's queue
of events not relayed yet

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _when(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", _text(64), nullable=False),
        sa.Column("url", _text(2000), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("secret", _text(200), nullable=False),
        sa.Column("previous_secret", _text(200), nullable=True),
        _when("previous_until"),
        _when("created_at", nullable=False),
        _when("rotated_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", _text(64), nullable=False),
        sa.Column("event_id", _text(200), nullable=False),
        sa.Column("event_type", _text(64), nullable=False),
        sa.Column("ordering_key", _text(200), nullable=True),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", _text(500), nullable=True),
        _when("created_at", nullable=False),
        _when("first_attempt_at"),
        _when("next_attempt_at"),
        _when("delivered_at"),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscription_id", "event_id", name="uq_webhook_delivery_event"),
    )
    op.create_index("ix_webhook_delivery_due", "webhook_deliveries", ["status", "next_attempt_at"])
    op.create_index(
        "ix_webhook_delivery_key",
        "webhook_deliveries",
        ["subscription_id", "ordering_key", "status"],
    )
    # Events written before anyone could subscribe are not sent to later subscribers.
    op.execute("UPDATE outbox_events SET delivered_at = created_at WHERE delivered_at IS NULL")
    op.create_index(
        "ix_outbox_unrelayed",
        "outbox_events",
        ["created_at", "id"],
        postgresql_where=sa.text("delivered_at IS NULL"),
        sqlite_where=sa.text("delivered_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_unrelayed", table_name="outbox_events")
    op.drop_index("ix_webhook_delivery_key", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_delivery_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_subscriptions")
