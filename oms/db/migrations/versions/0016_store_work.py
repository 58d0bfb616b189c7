"""What a store works on: each fulfilment's open work (its kind and due time) on its row, and
the indexes that read a location's work soonest due first

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 17:00:00.000000
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
# Written beside other revisions after 0013: chained after them when the branches merge.
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = ("AWAITING_PICK", "PICKED", "PACKED", "READY_FOR_COLLECTION")
# oms.domain.store_work as it was when this was written: the kind of a step under way, and
# of a run before profiles by its status.
BY_STEP = {
    "pick": "fulfilment_to_pick",
    "verify": "fulfilment_to_pack",
    "vas": "service_to_do",
    "photo": "fulfilment_to_pack",
    "pack": "fulfilment_to_pack",
    "label": "fulfilment_to_pack",
    "handover": "parcel_to_hand_over",
    "ready_for_collection": "collection_waiting",
    "collected": "collection_waiting",
}
BY_STATUS = {
    "AWAITING_PICK": "fulfilment_to_pick",
    "PICKED": "fulfilment_to_pack",
    "READY_FOR_COLLECTION": "collection_waiting",
}


def upgrade() -> None:
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("work_kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(sa.Column("work_due_at", sa.DateTime(timezone=True), nullable=True))
    _backfill_open_work()
    op.create_index(
        "ix_fulfilments_work",
        "fulfilments",
        ["location_id", "work_due_at", "id"],
        postgresql_where=sa.text("work_kind IS NOT NULL"),
        sqlite_where=sa.text("work_kind IS NOT NULL"),
    )
    op.create_index(
        "ix_tasks_location_kind_status",
        "manual_tasks",
        ["location_id", "kind", "status", "due_at"],
    )


def _work(status: str, steps: list[dict[str, Any]], pick_due: Any) -> tuple[str | None, Any]:
    if not steps:
        kind = BY_STATUS.get(status)
        return kind, pick_due if kind == "fulfilment_to_pick" else None
    current = next((s for s in steps if s.get("status") not in ("done", "skipped")), None)
    if current is None:
        return None, None
    due = current.get("due_at") or (pick_due if current["type"] == "pick" else None)
    return BY_STEP[current["type"]], due


def _backfill_open_work() -> None:
    """Fulfilments open at upgrade time are listed as new ones are: by their current step."""
    conn = op.get_bind()
    table = sa.table(
        "fulfilments",
        sa.column("id", sa.String),
        sa.column("status", sa.String),
        sa.column("steps", sa.JSON),
        sa.column("pick_due_at", sa.DateTime(timezone=True)),
        sa.column("work_kind", sa.String),
        sa.column("work_due_at", sa.DateTime(timezone=True)),
    )
    rows = conn.execute(
        sa.select(table.c.id, table.c.status, table.c.steps, table.c.pick_due_at).where(
            table.c.status.in_(OPEN)
        )
    ).all()
    for fid, status, steps, pick_due in rows:
        if isinstance(steps, str):
            steps = json.loads(steps)
        kind, due = _work(status, steps or [], pick_due)
        if kind is not None:
            conn.execute(
                sa.update(table)
                .where(table.c.id == fid)
                .values(work_kind=kind, work_due_at=_when(due))
            )


def _when(value: Any) -> Any:
    """A step's due time as its JSON keeps it (ISO 8601), or the column's as read."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def downgrade() -> None:
    op.drop_index("ix_tasks_location_kind_status", table_name="manual_tasks")
    op.drop_index("ix_fulfilments_work", table_name="fulfilments")
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.drop_column("work_due_at")
        batch_op.drop_column("work_kind")
