"""Recommendations: products' relations from the PIM; co-purchase counts, each product's best
neighbours and how far the order history was read

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 20:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SKU = sqlmodel.sql.sqltypes.AutoString(length=64)


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("relations", sa.JSON(), server_default="[]", nullable=False))
    op.create_table(
        "copurchase_items",
        sa.Column("sku", SKU, nullable=False),
        sa.Column("baskets", sa.Integer(), nullable=False),
        sa.Column("stale", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("sku"),
    )
    op.create_table(
        "copurchase_pairs",
        sa.Column("sku", SKU, nullable=False),
        sa.Column("other", SKU, nullable=False),
        sa.Column("together", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sku", "other"),
    )
    op.create_table(
        "affinity_neighbours",
        sa.Column("sku", SKU, nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("neighbour", SKU, nullable=False),
        sa.Column("together", sa.Integer(), nullable=False),
        sa.Column("lift", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("sku", "rank"),
    )
    op.create_table(
        "affinity_refresh",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("baskets", sa.Integer(), nullable=False),
        sa.Column("after_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("after_order_id", SKU, nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("affinity_refresh")
    op.drop_table("affinity_neighbours")
    op.drop_table("copurchase_pairs")
    op.drop_table("copurchase_items")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("relations")
