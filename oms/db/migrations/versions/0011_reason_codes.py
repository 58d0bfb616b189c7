"""Reason codes as data: the taxonomy table, seeded with today's codes, and a quarantined
figure on inventory positions

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 15:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
# Written beside 0010 (fulfilment profiles): rebased onto it when both are merged.
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The built-in codes as they were when this revision was written (code, label, usages, stock
# effect, routing effect, customer message key): a later change to the code's built-in set
# must not change what this revision did.
BUILT_IN = [
    (
        "not_found",
        "Not found on the shelf",
        ["short_pick", "rejection", "adjustment"],
        "write_off",
        "reroute",
        "customer.item_sent_from_elsewhere",
    ),
    (
        "damaged",
        "Damaged",
        ["short_pick", "rejection", "adjustment"],
        "write_off",
        "reroute",
        "customer.item_sent_from_elsewhere",
    ),
    (
        "expired",
        "Past its date",
        ["short_pick", "rejection", "adjustment"],
        "write_off",
        "reroute",
        "customer.item_sent_from_elsewhere",
    ),
    (
        "wrong_item",
        "Another item in its place",
        ["short_pick", "rejection"],
        "none",
        "reroute",
        "customer.item_sent_from_elsewhere",
    ),
    (
        "other",
        "Other",
        ["short_pick", "rejection", "cancellation", "skip_step", "adjustment"],
        "none",
        "reroute",
        "customer.item_sent_from_elsewhere",
    ),
    (
        "customer_request",
        "The customer asked",
        ["cancellation"],
        "none",
        "none",
        "customer.order_cancelled",
    ),
    (
        "duplicate_order",
        "Placed twice",
        ["cancellation"],
        "none",
        "none",
        "customer.order_cancelled",
    ),
    (
        "fraud_rejected",
        "Refused as fraud",
        ["cancellation"],
        "none",
        "none",
        "customer.order_cancelled",
    ),
    (
        "review_timeout",
        "Not reviewed in time",
        ["cancellation"],
        "none",
        "none",
        "customer.order_cancelled",
    ),
    ("out_of_stock", "Out of stock", ["cancellation"], "none", "none", "customer.out_of_stock"),
    (
        "payment_declined",
        "Payment declined",
        ["cancellation"],
        "none",
        "none",
        "customer.payment_declined",
    ),
    (
        "workflow_cancelled",
        "Cancelled by operations",
        ["cancellation"],
        "none",
        "none",
        "customer.order_cancelled",
    ),
    ("failed", "The order failed", ["cancellation"], "none", "none", "customer.order_cancelled"),
    (
        "short_pick",
        "Could not be picked",
        ["cancellation"],
        "none",
        "none",
        "customer.item_cancelled",
    ),
    (
        "overdue",
        "Not picked in time: the fulfilment was given up",
        ["rejection"],
        "none",
        "reroute",
        "customer.item_sent_from_elsewhere",
    ),
    ("not_requested", "The customer does not want it", ["skip_step"], "none", "none", None),
    ("equipment_unavailable", "Equipment out of order", ["skip_step"], "none", "none", None),
    ("no_time", "The customer is waiting", ["skip_step"], "none", "none", None),
    ("qc_resellable", "Back on sale", ["return_qc"], "none", "none", "customer.return_accepted"),
    (
        "qc_damaged",
        "Returned damaged",
        ["return_qc"],
        "write_off",
        "none",
        "customer.return_damaged",
    ),
    (
        "qc_wrong_item",
        "Another item returned",
        ["return_qc"],
        "quarantine",
        "none",
        "customer.return_wrong_item",
    ),
    (
        "qc_missing",
        "Nothing in the parcel",
        ["return_qc"],
        "none",
        "none",
        "customer.return_missing",
    ),
    ("cycle_count", "Counted", ["adjustment"], "none", "none", None),
    ("found", "Found again", ["adjustment"], "none", "none", None),
]


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    table = op.create_table(
        "reason_codes",
        sa.Column("code", _text(32), nullable=False),
        sa.Column("label", _text(200), nullable=False),
        sa.Column("usages", sa.JSON(), nullable=False),
        sa.Column("stock_effect", _text(16), nullable=False),
        sa.Column("routing_effect", _text(16), nullable=False),
        sa.Column("customer_message", _text(100), nullable=True),
        sa.Column("built_in", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        table,
        [
            {
                "code": code,
                "label": label,
                "usages": usages,
                "stock_effect": stock,
                "routing_effect": routing,
                "customer_message": message,
                "built_in": True,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
            for code, label, usages, stock, routing, message in BUILT_IN
        ],
    )
    with op.batch_alter_table("inventory_positions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("quarantined", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )


def downgrade() -> None:
    with op.batch_alter_table("inventory_positions", schema=None) as batch_op:
        batch_op.drop_column("quarantined")
    op.drop_table("reason_codes")
