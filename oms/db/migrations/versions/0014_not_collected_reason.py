"""The built-in reason code not_collected: units a customer did not come for in time

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 17:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As the code was when this revision was written: a later change to the built-in set must
# not change what this revision did.
CODE = "not_collected"
ROW = {
    "code": CODE,
    "label": "Not collected in time: back to stock",
    "usages": ["cancellation"],
    "stock_effect": "none",
    "routing_effect": "cancel_units",
    "customer_message": "customer.collection_not_collected",
    "built_in": True,
    "active": True,
}

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


def upgrade() -> None:
    # A database seeded after the code knew it (``oms seed``) already has the row.
    have = (
        op.get_bind()
        .execute(sa.select(reason_codes.c.code).where(reason_codes.c.code == CODE))
        .first()
    )
    if have is None:
        now = datetime.now(UTC)
        op.bulk_insert(reason_codes, [{**ROW, "created_at": now, "updated_at": now}])


def downgrade() -> None:
    op.execute(reason_codes.delete().where(reason_codes.c.code == CODE))
