"""Customer messages: one row per message sent (or skipped) to a customer, the outbox's queue
of events not looked at for a message yet, and a channel's default message language

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 20:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _when(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "customer_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", _text(300), nullable=False),
        sa.Column("order_id", _text(64), nullable=False),
        sa.Column("event_id", _text(200), nullable=False),
        sa.Column("kind", _text(32), nullable=False),
        sa.Column("locale", _text(8), nullable=False),
        sa.Column("to", _text(254), nullable=False),
        sa.Column("subject", _text(300), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", _text(500), nullable=True),
        sa.Column("provider_message_id", _text(300), nullable=True),
        sa.Column("claim", _text(64), nullable=True),
        _when("created_at", nullable=False),
        _when("first_attempt_at"),
        _when("next_attempt_at"),
        _when("sent_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_customer_message_due", "customer_messages", ["status", "next_attempt_at"])
    op.create_index("ix_customer_message_order", "customer_messages", ["order_id", "id"])
    with op.batch_alter_table("outbox_events") as batch:
        batch.add_column(_when("messaged_at"))
    # Customers are not written to about what happened before the messages existed.
    op.execute("UPDATE outbox_events SET messaged_at = created_at")
    op.create_index(
        "ix_outbox_unmessaged",
        "outbox_events",
        ["created_at", "id"],
        postgresql_where=sa.text("messaged_at IS NULL"),
        sqlite_where=sa.text("messaged_at IS NULL"),
    )
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("locale", _text(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("locale")
    op.drop_index("ix_outbox_unmessaged", table_name="outbox_events")
    with op.batch_alter_table("outbox_events") as batch:
        batch.drop_column("messaged_at")
    op.drop_index("ix_customer_message_order", table_name="customer_messages")
    op.drop_index("ix_customer_message_due", table_name="customer_messages")
    op.drop_table("customer_messages")
