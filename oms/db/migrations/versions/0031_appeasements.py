"""Appeasements: goodwill refunds on an order without a return, and their built-in reason codes

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-09 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The reasons customer service gives money back for, as this revision adds them (a later
# change to the built-in set must not change what it did).
APPEASEMENT_REASONS = [
    ("late_delivery", "Arrived later than promised"),
    ("damaged_packaging", "Packaging damaged, goods kept"),
    ("service_failure", "Service below what was promised"),
    ("price_match", "Price matched"),
]

reason_codes = sa.table(
    "reason_codes",
    sa.column("code", sa.String),
    sa.column("label", sa.String),
    sa.column("usages", sa.JSON),
    sa.column("stock_effect", sa.String),
    sa.column("routing_effect", sa.String),
    sa.column("customer_message", sa.String),
    sa.column("built_in", sa.Boolean),
    sa.column("active", sa.Boolean),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "appeasements",
        sa.Column("id", _text(80), nullable=False),
        sa.Column("order_id", _text(64), nullable=False),
        sa.Column("channel", _text(64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", _text(3), nullable=False),
        sa.Column("reason_code", _text(32), nullable=False),
        sa.Column("note", _text(1000), nullable=False),
        sa.Column("line_id", _text(64), nullable=True),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("code", _text(64), nullable=True),
        sa.Column("requested_by", _text(128), nullable=False),
        sa.Column("idempotency_token", _text(160), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_token"),
    )
    op.create_index("ix_appeasements_order_id", "appeasements", ["order_id"])
    op.create_index("ix_appeasements_status", "appeasements", ["status"])
    # A database seeded after the code knew them (``oms seed``) already has the rows.
    have = {row[0] for row in op.get_bind().execute(sa.select(reason_codes.c.code))}
    now = datetime.now(UTC)
    op.bulk_insert(
        reason_codes,
        [
            {
                "code": code,
                "label": label,
                "usages": ["appeasement"],
                "stock_effect": "none",
                "routing_effect": "none",
                "customer_message": None,
                "built_in": True,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
            for code, label in APPEASEMENT_REASONS
            if code not in have
        ],
    )


def downgrade() -> None:
    names = [code for code, _ in APPEASEMENT_REASONS]
    op.execute(reason_codes.delete().where(reason_codes.c.built_in, reason_codes.c.code.in_(names)))
    op.drop_index("ix_appeasements_status", table_name="appeasements")
    op.drop_index("ix_appeasements_order_id", table_name="appeasements")
    op.drop_table("appeasements")
