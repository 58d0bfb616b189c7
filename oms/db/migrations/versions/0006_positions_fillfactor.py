"""Positions leave a fifth of each page free (PostgreSQL fillfactor 80)

A sync or batch that repeats a position's figures now leaves its ``updated_at`` alone, so no
indexed column changes and PostgreSQL can write the new row version in the same page without
touching the indexes (a HOT update), if the page has room. Pages written from now on keep that
room; existing pages get it as they are rewritten (``VACUUM FULL inventory_positions`` does it
at once, locking the table). SQLite has no such setting: nothing to do there.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 19:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE inventory_positions SET (fillfactor = 80)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE inventory_positions RESET (fillfactor)")
