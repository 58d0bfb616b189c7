"""Inventory updates from other systems (WMS, POS, ERP): absolute figures and deltas.

An absolute figure older than what is stored (by source version, or by source time when no
version is sent) is ignored and counted, never applied. A delta carries an event id and is
applied once, however often it is sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from oms.db.inventory import adjust
from oms.db.tables import InventoryEvent, InventoryPosition, utcnow


class AbsoluteUpdate(BaseModel):
    """One row of an absolute batch, as a sender posts it (negative figures are refused by
    the caller per row, with the row's index)."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    location_id: str = Field(min_length=1, max_length=64)
    on_hand: int
    in_transit: int | None = None
    source_version: int | None = None
    source_updated_at: datetime | None = None


class DeltaUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(min_length=1, max_length=200)
    sku: str = Field(min_length=1, max_length=64)
    location_id: str = Field(min_length=1, max_length=64)
    delta: int


def apply_absolute(session: Session, row: AbsoluteUpdate) -> bool:
    """Set the on-hand figure unless the stored one is newer. True if applied."""
    table = InventoryPosition.__table__  # type: ignore[attr-defined]
    values: dict[str, Any] = {
        "sku": row.sku,
        "location_id": row.location_id,
        "on_hand": row.on_hand,
        "reserved": 0,
        "in_transit": row.in_transit or 0,
        "source_version": row.source_version,
        "source_updated_at": row.source_updated_at,
        "updated_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    stmt = insert.values(**values)
    new = stmt.excluded
    not_older = and_(
        or_(
            table.c.source_version.is_(None),
            new.source_version.is_(None),
            new.source_version >= table.c.source_version,
        ),
        or_(
            table.c.source_updated_at.is_(None),
            new.source_updated_at.is_(None),
            new.source_updated_at >= table.c.source_updated_at,
        ),
    )
    changes = {
        "on_hand": new.on_hand,
        "source_version": new.source_version,
        "source_updated_at": new.source_updated_at,
        "updated_at": new.updated_at,
    }
    if row.in_transit is not None:
        changes["in_transit"] = new.in_transit
    stmt = stmt.on_conflict_do_update(
        index_elements=["sku", "location_id"], set_=changes, where=not_older
    )
    # RETURNING, not rowcount: psycopg reports 1 for a conflict whose update was skipped.
    return session.execute(stmt.returning(table.c.sku)).first() is not None


def apply_delta(session: Session, row: DeltaUpdate) -> bool:
    """Move on-hand by ``delta`` once per event id (floored at 0). True if applied now."""
    try:
        with session.begin_nested():
            session.add(
                InventoryEvent(
                    event_id=row.event_id,
                    sku=row.sku,
                    location_id=row.location_id,
                    delta=row.delta,
                )
            )
            session.flush()
    except IntegrityError:
        return False  # this event was applied before
    if not adjust(session, row.sku, row.location_id, on_hand=row.delta):
        session.add(
            InventoryPosition(sku=row.sku, location_id=row.location_id, on_hand=max(0, row.delta))
        )
        session.flush()
    return True
