"""Returns and the channels' return policies; qc_missing writes off (nothing came back)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 18:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The reasons a customer gives for a return, as this revision adds them (a later change to the
# built-in set must not change what it did).
RETURN_REASONS = [
    ("changed_mind", "Changed their mind"),
    ("wrong_size", "Wrong size"),
    ("defective", "Does not work"),
    ("not_as_described", "Not as described"),
    ("arrived_damaged", "Arrived damaged"),
    ("arrived_late", "Arrived too late"),
]


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _when(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "returns",
        sa.Column("id", _text(80), nullable=False),
        sa.Column("order_id", _text(64), nullable=False),
        sa.Column("channel", _text(64), nullable=False),
        sa.Column("status", _text(32), nullable=False),
        sa.Column("method", _text(16), nullable=False),
        sa.Column("location_id", _text(64), nullable=False),
        sa.Column("reason_code", _text(32), nullable=False),
        sa.Column("currency", _text(3), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("received", sa.JSON(), nullable=True),
        sa.Column("grades", sa.JSON(), nullable=True),
        sa.Column("label", sa.JSON(), nullable=True),
        sa.Column("refund_state", _text(16), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        _when("completed_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_returns_order_id", "returns", ["order_id"])
    op.create_index("ix_returns_status", "returns", ["status"])
    op.create_index("ix_returns_location_id", "returns", ["location_id"])
    op.create_table(
        "return_policies",
        sa.Column("channel", _text(64), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        _when("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("channel"),
    )
    codes = sa.table(
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
    have = {row[0] for row in op.get_bind().execute(sa.select(codes.c.code))}
    now = datetime.now(UTC)
    op.bulk_insert(
        codes,
        [
            {
                "code": code,
                "label": label,
                "usages": ["return_request"],
                "stock_effect": "none",
                "routing_effect": "none",
                "customer_message": None,
                "built_in": True,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
            for code, label in RETURN_REASONS
            if code not in have
        ],
    )
    # Built in as "none" before returns existed, which for a return means "back on sale".
    op.execute(
        "UPDATE reason_codes SET stock_effect = 'write_off'"
        " WHERE code = 'qc_missing' AND stock_effect = 'none'"
    )


def downgrade() -> None:
    names = ", ".join(f"'{code}'" for code, _ in RETURN_REASONS)
    op.execute(f"DELETE FROM reason_codes WHERE built_in AND code IN ({names})")
    op.execute(
        "UPDATE reason_codes SET stock_effect = 'none'"
        " WHERE code = 'qc_missing' AND stock_effect = 'write_off'"
    )
    op.drop_table("return_policies")
    op.drop_index("ix_returns_location_id", table_name="returns")
    op.drop_index("ix_returns_status", table_name="returns")
    op.drop_index("ix_returns_order_id", table_name="returns")
    op.drop_table("returns")
