"""A transfer's collection store on its fulfilment's row

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 17:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Null on every row before transfers: a fulfilment delivered from where it was picked.
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("transfer_to", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    # A store's transfers to receive: its rows IN_TRANSIT to it.
    op.create_index(
        "ix_fulfilments_transfer_status",
        "fulfilments",
        ["transfer_to", "status"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_fulfilments_transfer_status", table_name="fulfilments")
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.drop_column("transfer_to")
