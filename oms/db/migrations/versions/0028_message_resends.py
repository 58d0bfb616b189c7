"""Customer messages sent again on request: the message a copy copies and the key that asked

Revision ID: 0028
Revises: 0025
Create Date: 2026-12-08 03:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0028"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resend_of", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("requested_by", sqlmodel.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_messages", schema=None) as batch_op:
        batch_op.drop_column("requested_by")
        batch_op.drop_column("resend_of")
