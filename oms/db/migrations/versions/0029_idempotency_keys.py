"""Idempotency keys: each caller's Idempotency-Key, the request it was first used for and when

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-08 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", _text(32), nullable=False),
        sa.Column("key", _text(100), nullable=False),
        sa.Column("fingerprint", _text(64), nullable=False),
        sa.Column("request", _text(200), nullable=False),
        sa.Column("first_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key"),
    )
    op.create_index(
        "ix_idempotency_keys_first_used_at", "idempotency_keys", ["first_used_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_first_used_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
