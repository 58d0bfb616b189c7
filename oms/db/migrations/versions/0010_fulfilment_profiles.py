"""Fulfilment profiles: versioned documents of how each location works an order

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 15:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("status = 'active'")


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "fulfilment_profiles",
        sa.Column("id", _text(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("location_id", _text(64), nullable=True),
        sa.Column("location_type", _text(20), nullable=True),
        sa.Column("channel", _text(64), nullable=True),
        sa.Column("delivery_method", _text(16), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_by", _text(128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", "version"),
    )
    with op.batch_alter_table("fulfilment_profiles", schema=None) as batch_op:
        batch_op.create_index(
            "uq_fulfilment_profiles_active",
            ["id"],
            unique=True,
            postgresql_where=ACTIVE,
            sqlite_where=ACTIVE,
        )


def downgrade() -> None:
    with op.batch_alter_table("fulfilment_profiles", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_fulfilment_profiles_active", postgresql_where=ACTIVE, sqlite_where=ACTIVE
        )
    op.drop_table("fulfilment_profiles")
