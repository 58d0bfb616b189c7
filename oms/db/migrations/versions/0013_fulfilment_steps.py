"""A fulfilment's profile and steps on its row, and the units scanned for its steps

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 16:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    # Rows of runs before profiles keep no profile and no steps: what they did is unchanged.
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile", _text(80), nullable=True))
        batch_op.add_column(sa.Column("steps", sa.JSON(), server_default="[]", nullable=False))
    op.create_table(
        "fulfilment_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fulfilment_id", _text(80), nullable=False),
        sa.Column("step", _text(64), nullable=False),
        sa.Column("line_id", _text(64), nullable=False),
        sa.Column("sku", _text(64), nullable=False),
        sa.Column("barcode", _text(64), nullable=False),
        sa.Column("actor", _text(128), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_fulfilment_scans_step", "fulfilment_scans", ["fulfilment_id", "step"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_fulfilment_scans_step", table_name="fulfilment_scans")
    op.drop_table("fulfilment_scans")
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.drop_column("steps")
        batch_op.drop_column("profile")
