"""A webhook sender's kind and the locations it speaks for; the payment ledger's notices

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-07 20:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Senders registered before kinds: their id said it (carrier:<name>, payments, wms, pos).
_KIND_OF_ID = (
    ("carrier:%", "carrier"),
    ("payments%", "payment_gateway"),
    ("wms%", "wms"),
    ("pos%", "pos"),
)


def upgrade() -> None:
    with op.batch_alter_table("webhook_senders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="carrier")
        )
        batch_op.add_column(
            sa.Column("locations", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    senders = sa.table("webhook_senders", sa.column("id", sa.String), sa.column("kind", sa.String))
    for pattern, kind in _KIND_OF_ID:
        op.execute(senders.update().where(senders.c.id.like(pattern)).values(kind=kind))
    with op.batch_alter_table("payment_ledger", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payment_ledger", schema=None) as batch_op:
        batch_op.drop_column("reversed_at")
        batch_op.drop_column("confirmed_at")
    with op.batch_alter_table("webhook_senders", schema=None) as batch_op:
        batch_op.drop_column("locations")
        batch_op.drop_column("kind")
