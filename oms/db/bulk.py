"""Applying a staged inventory sync: plan, apply chunk by chunk, finish. Set-based throughout.

- ``plan`` marks the sync running; its rows were numbered into chunks, best sellers first,
  when they were staged (``oms.db.syncs``).
- ``apply_chunk`` writes one chunk into ``inventory_positions`` with one INSERT ... SELECT ...
  ON CONFLICT statement per kind of row (with and without ``in_transit``), with the same stale
  rule as ``POST /inventory/positions`` (``oms.db.stock_updates.unless_older``), and records
  the chunk's marker in the same transaction: a chunk whose marker exists is skipped, so a
  resumed or retried sync never applies a row twice. ``reserved`` is never touched.
- ``finish`` zeroes what a full snapshot did not mention, drops the staged rows and completes.

Each function works in the caller's transaction (a ``Session``), so a benchmark can call them
directly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CursorResult,
    DateTime,
    Integer,
    bindparam,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlmodel import Session

from oms.db.stock_updates import POSITIONS, insert_into, position_insert, unless_older
from oms.db.syncs import progress_of
from oms.db.tables import (
    InventorySync,
    InventorySyncChunk,
    InventorySyncRow,
)
from oms.domain.errors import DomainError, ErrorCode
from oms.domain.snapshots import MissingPolicy, SyncProgress, SyncStatus

ROWS = InventorySyncRow.__table__  # type: ignore[attr-defined]
CHUNKS = InventorySyncChunk.__table__  # type: ignore[attr-defined]
SYNCS = InventorySync.__table__  # type: ignore[attr-defined]


def _sync(session: Session, sync_id: str, *, lock: bool = False) -> InventorySync:
    sync = session.get(InventorySync, sync_id, with_for_update=lock)
    if sync is None:
        raise DomainError(ErrorCode.SYNC_NOT_FOUND, f"no inventory sync {sync_id}", "sync_id")
    return sync


def _count(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return result.rowcount


def _at(now: datetime) -> Any:
    # Typed, so SQLite stores it in the same text form as every other time.
    return bindparam("now", now, type_=DateTime(timezone=True))


def plan(session: Session, sync_id: str, now: datetime) -> SyncProgress:
    """Mark a staged sync running (its rows were numbered into chunks when staged).

    Planning again (a retried activity) changes nothing.
    """
    sync = _sync(session, sync_id, lock=True)
    if sync.status != SyncStatus.STAGED.value:
        return progress_of(sync)
    sync.status = SyncStatus.RUNNING.value
    sync.started_at = now
    session.add(sync)
    session.flush()
    return progress_of(sync)


def apply_chunk(session: Session, sync_id: str, chunk: int, now: datetime) -> bool:
    """Apply one chunk and record it; False (and nothing written) if it was applied before.

    The marker goes in first: a second attempt running at the same time waits on it, then
    finds it and stops, instead of applying the rows again.
    """
    marker = (
        insert_into(session, CHUNKS)
        .values(sync_id=sync_id, chunk=chunk, applied=0, stale=0, done_at=_at(now))
        .on_conflict_do_nothing(index_elements=["sync_id", "chunk"])
        .returning(CHUNKS.c.chunk)
    )
    if _sync(session, sync_id).status != SyncStatus.RUNNING.value:
        raise DomainError(ErrorCode.INVALID_STATE, f"sync {sync_id} is not running", "sync_id")
    if session.execute(marker).first() is None:
        return False
    applied = sum(
        len(session.execute(_upsert(session, sync_id, chunk, now, with_transit)).all())
        for with_transit in (True, False)
    )
    size = session.execute(
        select(func.count()).where(ROWS.c.sync_id == sync_id, ROWS.c.chunk == chunk)
    ).scalar_one()
    stale = size - applied
    session.execute(
        update(CHUNKS)
        .where(CHUNKS.c.sync_id == sync_id, CHUNKS.c.chunk == chunk)
        .values(applied=applied, stale=stale)
    )
    session.execute(
        update(SYNCS)
        .where(SYNCS.c.id == sync_id)
        .values(
            chunks_done=SYNCS.c.chunks_done + 1,
            applied=SYNCS.c.applied + applied,
            stale=SYNCS.c.stale + stale,
        )
    )
    return True


def _upsert(session: Session, sync_id: str, chunk: int, now: datetime, with_transit: bool) -> Any:
    """The chunk's rows that carry ``in_transit`` (or not) into positions, skipping any row
    older than the stored figure by source version, else by source time."""
    r = ROWS
    source = select(
        r.c.sku,
        r.c.location_id,
        r.c.on_hand,
        literal(0, Integer),
        func.coalesce(r.c.in_transit, 0),
        r.c.source_version,
        r.c.source_updated_at,
        _at(now),
    ).where(
        r.c.sync_id == sync_id,
        r.c.chunk == chunk,
        r.c.in_transit.is_not(None) if with_transit else r.c.in_transit.is_(None),
    )
    # In key order: positions are locked in the same order by every writer (no deadlock with a
    # concurrent sync) and the index is walked rather than jumped about.
    source = source.order_by(r.c.sku, r.c.location_id)
    stmt = position_insert(session).from_select(
        [
            "sku",
            "location_id",
            "on_hand",
            "reserved",
            "in_transit",
            "source_version",
            "source_updated_at",
            "updated_at",
        ],
        source,
    )
    return unless_older(stmt, with_transit=with_transit)


def finish(session: Session, sync_id: str, now: datetime) -> SyncProgress:
    """Zero what a full snapshot left out, drop the staged rows, and complete the sync.

    A position the file did not mention is zeroed only if it is in the sync's scope, has
    stock, and its sender did not date its figure after the file was received (that figure
    is newer than the file). Finishing twice changes nothing.
    """
    sync = _sync(session, sync_id, lock=True)
    if sync.status != SyncStatus.RUNNING.value:
        return progress_of(sync)
    if sync.chunks_done < sync.chunks_total:
        raise RuntimeError(
            f"sync {sync_id} has {sync.chunks_total - sync.chunks_done} chunks left to apply"
        )
    if sync.missing == MissingPolicy.ZERO.value:
        sync.zeroed = _zero_missing(session, sync, now)
    session.execute(delete(ROWS).where(ROWS.c.sync_id == sync_id))
    sync.status = SyncStatus.COMPLETED.value
    sync.finished_at = now
    session.add(sync)
    session.flush()
    return progress_of(sync)


def _zero_missing(session: Session, sync: InventorySync, now: datetime) -> int:
    p, r = POSITIONS, ROWS
    mentioned = exists().where(
        r.c.sync_id == sync.id, r.c.sku == p.c.sku, r.c.location_id == p.c.location_id
    )
    stmt = update(p).where(p.c.on_hand != 0, ~mentioned)
    if sync.location_id is not None:
        stmt = stmt.where(p.c.location_id == sync.location_id)
    received = bindparam("received", sync.created_at, type_=DateTime(timezone=True))
    stmt = stmt.where(or_(p.c.source_updated_at.is_(None), p.c.source_updated_at <= received))
    # Figures that moved after the file was received (a delta, a versioned row, a pick) are
    # newer than the file: a snapshot never wipes them.
    stmt = stmt.where(p.c.updated_at <= received)
    return _count(session.execute(stmt.values(on_hand=0, updated_at=_at(now))))


def fail(session: Session, sync_id: str, error: str, now: datetime) -> SyncProgress:
    """Mark the sync failed and drop its staged rows; chunks already applied stay applied."""
    sync = _sync(session, sync_id, lock=True)
    if sync.status in (SyncStatus.COMPLETED.value, SyncStatus.FAILED.value):
        return progress_of(sync)
    session.execute(delete(ROWS).where(ROWS.c.sync_id == sync_id))
    sync.status = SyncStatus.FAILED.value
    sync.error = error[:2000]
    sync.finished_at = now
    session.add(sync)
    session.flush()
    return progress_of(sync)


def progress(session: Session, sync_id: str) -> SyncProgress:
    return progress_of(_sync(session, sync_id))
