"""Inventory syncs: staging a snapshot file, and reading syncs and their row errors back.

Staging reads the file once, row by row, and writes in batches (with PostgreSQL's COPY):
valid rows to a temporary table, refused rows to ``inventory_sync_errors``. One INSERT ...
SELECT then moves the valid rows into ``inventory_sync_rows`` numbered into chunks, best
sellers first: rows of the SKUs with the most units reserved over the last seven days (cart
holds aside) come first, ties in file order. Numbering rows as they are written costs a
fraction of updating a million staged rows afterwards.

It all happens in the caller's transaction, so a file is staged whole or not at all.
Applying the staged rows is ``oms.db.bulk``'s business.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import IO, Any

from sqlalchemy import (
    Column,
    CursorResult,
    DateTime,
    Integer,
    MetaData,
    Table,
    and_,
    bindparam,
    func,
    insert,
    literal,
    not_,
    or_,
)
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from oms.db.tables import (
    InventorySync,
    InventorySyncError,
    InventorySyncRow,
    Location,
    Product,
    Reservation,
)
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
from oms.keys import CART_PREFIX

CHUNK_SIZE = 5000
BATCH = 10_000
VELOCITY_WINDOW = timedelta(days=7)
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
# A valid row as the reader gives it (a SnapshotRow), written as it comes.
INCOMING_COLUMNS = ("row", *ROW_COLUMNS[3:])
ERROR_COLUMNS = ("sync_id", "row", "field", "code", "reason")
NONE3 = (None, None, None)

ROWS: Table = InventorySyncRow.__table__  # type: ignore[attr-defined]
ERRORS: Table = InventorySyncError.__table__  # type: ignore[attr-defined]
RESERVATIONS: Table = Reservation.__table__  # type: ignore[attr-defined]
# Valid rows before they are numbered; gone with the transaction (dropped at the end, and on
# PostgreSQL at commit or rollback whatever happens).
INCOMING = Table(
    "inventory_sync_incoming",
    MetaData(),
    *(Column(name, ROWS.c[name].type) for name in INCOMING_COLUMNS),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


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
    INCOMING.create(session.connection())
    rows: list[tuple[Any, ...]] = []
    mentioned: list[tuple[Any, ...]] = []
    errors: list[tuple[Any, ...]] = []
    first_errors: list[RowError] = []
    valid = rejected = 0
    for item in read_rows(source, fmt, scope):
        if isinstance(item, SnapshotRow):
            valid += 1
            rows.append(item)
        else:
            rejected += 1
            if len(first_errors) < 20:
                first_errors.append(item)
            errors.append((sync_id, item.row, item.field[:64], item.code.value, item.reason[:500]))
            if item.position is not None:
                mentioned.append((sync_id, item.row, MENTIONED, *item.position, 0, *NONE3))
        if len(rows) >= BATCH:
            writer.write(INCOMING, INCOMING_COLUMNS, rows)
        if len(errors) >= BATCH:
            writer.write(ROWS, ROW_COLUMNS, mentioned)
            writer.write(ERRORS, ERROR_COLUMNS, errors)
    if not valid:
        raise FileRefused(_why_nothing(first_errors))
    writer.write(INCOMING, INCOMING_COLUMNS, rows)
    writer.write(ROWS, ROW_COLUMNS, mentioned)
    writer.write(ERRORS, ERROR_COLUMNS, errors)
    _number(session, sync_id, chunk_size, since=now - VELOCITY_WINDOW)
    INCOMING.drop(session.connection())
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
        chunks_total=-(-valid // chunk_size),
        created_by=created_by,
        created_at=now,
    )
    session.add(sync)
    session.flush()
    return sync


def sales_velocity(since: datetime) -> Any:
    """Units reserved per SKU since ``since``, order lines only (cart holds are not sales)."""
    r = RESERVATIONS
    return (
        core_select(r.c.sku, func.sum(r.c.qty).label("velocity"))
        .where(
            r.c.created_at >= bindparam("since", since, type_=DateTime(timezone=True)),
            not_(r.c.order_id.startswith(CART_PREFIX)),
        )
        .group_by(r.c.sku)
        .subquery("velocity")
    )


def _number(session: Session, sync_id: str, chunk_size: int, *, since: datetime) -> int:
    """Move the incoming rows into the staged rows, each with its chunk."""
    new, velocity = INCOMING, sales_velocity(since)
    rank = func.row_number().over(
        order_by=(func.coalesce(velocity.c.velocity, 0).desc(), new.c.row)
    )
    numbered = core_select(
        literal(sync_id, ROWS.c.sync_id.type),
        new.c.row,
        (rank - 1) // literal(chunk_size, Integer),
        *(new.c[name] for name in ROW_COLUMNS[3:]),
    ).select_from(new.outerjoin(velocity, velocity.c.sku == new.c.sku))
    result = session.execute(insert(ROWS).from_select(ROW_COLUMNS, numbered))
    assert isinstance(result, CursorResult)
    return result.rowcount


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

    def write(self, table: Table, columns: Sequence[str], batch: list[tuple[Any, ...]]) -> None:
        if not batch:
            return
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
    session: Session, *, status: SyncStatus | None, limit: int, cursor: str | None
) -> tuple[list[InventorySync], str | None]:
    """Newest first, keyset-paginated. Raises ValueError on a cursor this API did not issue."""
    stmt = select(InventorySync)
    if status is not None:
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
