"""Inventory syncs: staging a snapshot file, and reading syncs and their row errors back.

Staging reads the file once, row by row, and writes in batches: valid rows to
``inventory_sync_rows`` (with PostgreSQL's COPY), refused rows to ``inventory_sync_errors``.
It all happens in the caller's transaction, so a file is staged whole or not at all.
Applying the staged rows is ``oms.db.bulk``'s business.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import IO, Any

from sqlalchemy import Table, and_, insert, or_
from sqlmodel import Session, col, select

from oms.db.tables import InventorySync, InventorySyncError, InventorySyncRow, Location, Product
from oms.domain.errors import DomainError, ErrorCode, FieldError
from oms.domain.snapshots import (
    FileRefused,
    MissingPolicy,
    RowError,
    Scope,
    SnapshotFormat,
    SnapshotRow,
    SyncProgress,
    SyncStatus,
    read_rows,
)

CHUNK_SIZE = 5000
BATCH = 10_000
# The chunk of a refused row that still names a known position: never applied, but the
# position counts as mentioned, so a full snapshot does not zero it over a typo.
MENTIONED = -1
ROW_COLUMNS = (
    "sync_id",
    "row",
    "chunk",
    "sku",
    "location_id",
    "on_hand",
    "in_transit",
    "source_version",
    "source_updated_at",
)
ERROR_COLUMNS = ("sync_id", "row", "field", "code", "reason")


def new_sync_id(now: datetime) -> str:
    """Sortable by creation time and readable in the Temporal UI."""
    return f"{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"


def stage(
    session: Session,
    source: IO[bytes],
    *,
    sync_id: str,
    workflow_id: str,
    fmt: SnapshotFormat,
    location_id: str | None,
    missing: MissingPolicy,
    created_by: str | None,
    now: datetime,
    chunk_size: int = CHUNK_SIZE,
) -> InventorySync:
    """Read, check and stage a snapshot; the sync comes back ``staged``.

    Raises:
        DomainError: the sync's location is unknown.
        FileRefused: the file cannot be read as a whole, or not one of its rows is valid.
    """
    locations = list(session.exec(select(Location.id)))
    if location_id is not None and location_id not in locations:
        raise DomainError(
            ErrorCode.LOCATION_NOT_FOUND, f"no location {location_id!r}", "location_id"
        )
    scope = Scope(
        skus=session.exec(select(Product.sku)), locations=locations, location_id=location_id
    )
    writer = _Writer(session)
    rows: list[tuple[Any, ...]] = []
    errors: list[tuple[Any, ...]] = []
    first_errors: list[RowError] = []
    valid = rejected = 0
    for item in read_rows(source, fmt, scope):
        if isinstance(item, SnapshotRow):
            valid += 1
            rows.append((sync_id, *item[:1], None, *item[1:]))
        else:
            rejected += 1
            if len(first_errors) < 20:
                first_errors.append(item)
            errors.append((sync_id, item.row, item.field[:64], item.code.value, item.reason[:500]))
            if item.position is not None:
                rows.append((sync_id, item.row, MENTIONED, *item.position, 0, None, None, None))
        if len(rows) >= BATCH:
            writer.write(InventorySyncRow, ROW_COLUMNS, rows)
        if len(errors) >= BATCH:
            writer.write(InventorySyncError, ERROR_COLUMNS, errors)
    if not valid:
        raise FileRefused(_why_nothing(first_errors))
    writer.write(InventorySyncRow, ROW_COLUMNS, rows)
    writer.write(InventorySyncError, ERROR_COLUMNS, errors)
    sync = InventorySync(
        id=sync_id,
        status=SyncStatus.STAGED.value,
        location_id=location_id,
        missing=missing.value,
        format=fmt.value,
        workflow_id=workflow_id,
        total_rows=valid + rejected,
        rejected=rejected,
        chunk_size=chunk_size,
        created_by=created_by,
        created_at=now,
    )
    session.add(sync)
    session.flush()
    return sync


def _why_nothing(first_errors: list[RowError]) -> list[FieldError]:
    if not first_errors:
        return [FieldError(field="body", code=ErrorCode.REQUIRED, reason="the file has no rows")]
    return [
        FieldError(field=f"rows[{e.row}].{e.field}", code=e.code, reason=e.reason)
        for e in first_errors
    ]


class _Writer:
    """Batches into a table: COPY on PostgreSQL, a multi-row INSERT elsewhere."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.copy = session.get_bind().dialect.name == "postgresql"

    def write(self, model: Any, columns: Sequence[str], batch: list[tuple[Any, ...]]) -> None:
        if not batch:
            return
        table: Table = model.__table__
        if self.copy:
            raw = self.session.connection().connection.driver_connection
            assert raw is not None
            statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
            with raw.cursor() as cur, cur.copy(statement) as copy:
                for values in batch:
                    copy.write_row(values)
        else:
            self.session.execute(insert(table), [dict(zip(columns, v, strict=True)) for v in batch])
        batch.clear()


# -- reading back --------------------------------------------------------------------------


def progress_of(sync: InventorySync) -> SyncProgress:
    return SyncProgress(
        sync_id=sync.id,
        status=SyncStatus(sync.status),
        total_rows=sync.total_rows,
        rejected=sync.rejected,
        chunks_total=sync.chunks_total,
        chunks_done=sync.chunks_done,
        applied=sync.applied,
        stale=sync.stale,
        zeroed=sync.zeroed,
        error=sync.error,
    )


def _encode(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode()
    except Exception as exc:
        raise ValueError("not a cursor issued by this API") from exc


def list_syncs(
    session: Session, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[InventorySync], str | None]:
    """Newest first, keyset-paginated. Raises ValueError on a cursor this API did not issue."""
    stmt = select(InventorySync)
    if status:
        stmt = stmt.where(InventorySync.status == status)
    if cursor:
        try:
            at_text, last_id = _decode(cursor).split("|", 1)
            at = datetime.fromisoformat(at_text)
        except ValueError as exc:
            raise ValueError("not a cursor issued by this API") from exc
        stmt = stmt.where(
            or_(
                col(InventorySync.created_at) < at,
                and_(col(InventorySync.created_at) == at, col(InventorySync.id) < last_id),
            )
        )
    stmt = stmt.order_by(col(InventorySync.created_at).desc(), col(InventorySync.id).desc())
    rows = list(session.exec(stmt.limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], _encode(f"{last.created_at.isoformat()}|{last.id}")


def row_errors(
    session: Session, sync_id: str, *, limit: int, cursor: str | None = None
) -> tuple[list[InventorySyncError], str | None]:
    """A sync's refused rows in file order. Raises ValueError on a foreign cursor."""
    stmt = select(InventorySyncError).where(InventorySyncError.sync_id == sync_id)
    if cursor:
        try:
            after = int(_decode(cursor).removeprefix("row:"))
        except ValueError as exc:
            raise ValueError("not a cursor issued by this API") from exc
        stmt = stmt.where(col(InventorySyncError.row) > after)
    rows = list(session.exec(stmt.order_by(col(InventorySyncError.row)).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], _encode(f"row:{rows[limit - 1].row}")
