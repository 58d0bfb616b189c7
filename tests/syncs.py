"""Builders and readers for inventory sync tests: stage a file, run it, read what it did."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from oms.db import bulk, syncs
from oms.db.engine import Database
from oms.db.tables import (
    InventoryPosition,
    InventorySync,
    InventorySyncChunk,
    InventorySyncError,
    InventorySyncRow,
    Reservation,
)
from oms.domain.snapshots import MissingPolicy, SnapshotFormat, default_missing


def stage(
    db: Database,
    text: str,
    *,
    fmt: SnapshotFormat = SnapshotFormat.CSV,
    location_id: str | None = None,
    missing: MissingPolicy | None = None,
    chunk_size: int = 2,
    sync_id: str = "S1",
) -> InventorySync:
    with db.session() as s:
        return syncs.stage(
            s,
            io.BytesIO(text.encode()),
            sync_id=sync_id,
            workflow_id=f"inventory-sync-{sync_id}",
            fmt=fmt,
            location_id=location_id,
            missing=missing or default_missing(location_id),
            created_by="test",
            now=datetime.now(UTC),
            chunk_size=chunk_size,
        )


def run(db: Database, sync_id: str = "S1") -> InventorySync:
    """Plan, apply every chunk and finish, as the workflow does."""
    now = datetime.now(UTC)
    with db.session() as s:
        planned = bulk.plan(s, sync_id, now)
    for chunk in range(planned.chunks_total):
        with db.session() as s:
            bulk.apply_chunk(s, sync_id, chunk, now)
    with db.session() as s:
        bulk.finish(s, sync_id, now)
    return sync_of(db, sync_id)


def sync_of(db: Database, sync_id: str = "S1") -> InventorySync:
    with db.session() as s:
        sync = s.get(InventorySync, sync_id)
        assert sync is not None
        return sync


def sold(db: Database, sku: str, qty: int, *, order_id: str = "O1", days_ago: int = 1) -> None:
    """A reservation entry, as an order line (or a cart hold, order id ``cart:...``) makes."""
    at = datetime.now(UTC) - timedelta(days=days_ago)
    with db.session() as s:
        s.add(
            Reservation(
                order_id=order_id,
                line_id="1",
                sku=sku,
                location_id="WH-PARIS",
                qty=qty,
                status="consumed",
                step_key=f"{order_id}:{sku}:{days_ago}",
                created_at=at,
                updated_at=at,
            )
        )


def positions(db: Database) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(sku, location) -> (on_hand, reserved, in_transit)."""
    with db.session() as s:
        return {
            (p.sku, p.location_id): (p.on_hand, p.reserved, p.in_transit)
            for p in s.exec(select(InventoryPosition))
        }


def chunks_of_rows(db: Database, sync_id: str = "S1") -> dict[int, int | None]:
    """Staged row number -> chunk."""
    with db.session() as s:
        rows = s.exec(select(InventorySyncRow).where(InventorySyncRow.sync_id == sync_id))
        return {r.row: r.chunk for r in rows}


def markers(db: Database, sync_id: str = "S1") -> list[tuple[int, int, int]]:
    """Applied chunks as (chunk, applied, stale), in chunk order."""
    with db.session() as s:
        stmt = select(InventorySyncChunk).where(InventorySyncChunk.sync_id == sync_id)
        stmt = stmt.order_by(col(InventorySyncChunk.chunk))
        return [(m.chunk, m.applied, m.stale) for m in s.exec(stmt)]


def errors(db: Database, sync_id: str = "S1") -> list[tuple[int, str, str]]:
    """Refused rows as (row, field, code)."""
    with db.session() as s:
        stmt = select(InventorySyncError).where(InventorySyncError.sync_id == sync_id)
        return [
            (e.row, e.field, e.code) for e in s.exec(stmt.order_by(col(InventorySyncError.row)))
        ]
