"""Bulk inventory syncs: upload a whole location's or the whole network's snapshot as a file,
then follow the InventorySyncWorkflow that applies it.

The file is the request body (CSV with a header, or JSON lines), checked row by row while it
is staged: refused rows are listed with their row number, field, code and reason, and do not
stop the others. Progress comes from the database, where each applied chunk is counted.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError

from api.deps import ClientDep, DbDep, Principal, SettingsDep, require
from api.errors import ApiError, error_responses
from api.views import as_utc
from oms.db import bulk, syncs
from oms.db.engine import Database
from oms.db.tables import InventorySync, InventorySyncError
from oms.domain.errors import DomainError, ErrorCode, FieldError
from oms.domain.snapshots import (
    FileRefused,
    MissingPolicy,
    SnapshotFormat,
    SyncInput,
    SyncStatus,
    default_missing,
)
from oms.keys import sync_workflow_id
from oms.logging import get_logger
from workflows.inventory_sync import InventorySyncWorkflow

log = get_logger(__name__)
router = APIRouter(prefix="/inventory/syncs", tags=["inventory"])

Writer = Annotated[Principal, Depends(require("integration"))]
Reader = Annotated[Principal, Depends(require("integration", "analyst"))]

# A million rows of CSV is about 40 MB; past this, split the file.
MAX_BYTES = 256 * 1024 * 1024
# Bodies up to this size stay in memory while they are read; larger ones go to a temp file.
IN_MEMORY_BYTES = 8 * 1024 * 1024
ERRORS_SHOWN = 20
FORMATS = {
    "text/csv": SnapshotFormat.CSV,
    "application/csv": SnapshotFormat.CSV,
    "application/x-ndjson": SnapshotFormat.JSONL,
    "application/jsonl": SnapshotFormat.JSONL,
    "application/x-jsonlines": SnapshotFormat.JSONL,
}


class SyncProgressPublic(BaseModel):
    chunk_size: int
    chunks_done: int
    chunks_total: int
    percent: int


class RowErrorPublic(BaseModel):
    row: int
    field: str
    code: ErrorCode
    reason: str

    @classmethod
    def of(cls, e: InventorySyncError) -> RowErrorPublic:
        return cls(row=e.row, field=e.field, code=ErrorCode(e.code), reason=e.reason)


class SyncSummary(BaseModel):
    id: str
    status: SyncStatus
    location_id: str | None
    missing: MissingPolicy
    format: SnapshotFormat
    workflow_id: str
    total_rows: int
    rejected: int
    applied: int
    stale: int
    zeroed: int
    progress: SyncProgressPublic
    error: str | None
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def fields_of(cls, sync: InventorySync) -> dict[str, Any]:
        return {
            "id": sync.id,
            "status": SyncStatus(sync.status),
            "location_id": sync.location_id,
            "missing": MissingPolicy(sync.missing),
            "format": SnapshotFormat(sync.format),
            "workflow_id": sync.workflow_id,
            "total_rows": sync.total_rows,
            "rejected": sync.rejected,
            "applied": sync.applied,
            "stale": sync.stale,
            "zeroed": sync.zeroed,
            "progress": SyncProgressPublic(
                chunk_size=sync.chunk_size,
                chunks_done=sync.chunks_done,
                chunks_total=sync.chunks_total,
                percent=syncs.progress_of(sync).percent,
            ),
            "error": sync.error,
            "created_by": sync.created_by,
            "created_at": as_utc(sync.created_at),
            "started_at": as_utc(sync.started_at) if sync.started_at else None,
            "finished_at": as_utc(sync.finished_at) if sync.finished_at else None,
        }

    @classmethod
    def of(cls, sync: InventorySync) -> SyncSummary:
        return cls(**cls.fields_of(sync))


class SyncPublic(SyncSummary):
    """A sync with its first refused rows; ``errors_next_cursor`` pages through the rest at
    ``GET /inventory/syncs/{id}/errors``."""

    errors: list[RowErrorPublic]
    errors_next_cursor: str | None


class SyncPage(BaseModel):
    items: list[SyncSummary]
    next_cursor: str | None


class RowErrorPage(BaseModel):
    items: list[RowErrorPublic]
    next_cursor: str | None


def _public(db: Database, sync_id: str) -> SyncPublic | None:
    with db.session() as s:
        sync = s.get(InventorySync, sync_id)
        if sync is None:
            return None
        errors, cursor = syncs.row_errors(s, sync_id, limit=ERRORS_SHOWN)
        return SyncPublic(
            **SyncSummary.fields_of(sync),
            errors=[RowErrorPublic.of(e) for e in errors],
            errors_next_cursor=cursor,
        )


def _format_of(request: Request) -> SnapshotFormat:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = FORMATS.get(media)
    if fmt is None:
        raise ApiError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            f"send the file as text/csv or application/x-ndjson, not {media or 'nothing'!r}",
            "content-type",
        )
    return fmt


def _too_large() -> ApiError:
    return ApiError(
        ErrorCode.FILE_TOO_LARGE,
        f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB; split it into several syncs",
        "body",
    )


async def _receive(request: Request) -> IO[bytes]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BYTES:
        raise _too_large()
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_BYTES)  # noqa: SIM115
    size = 0
    try:
        async for part in request.stream():
            size += len(part)
            if size > MAX_BYTES:
                raise _too_large()
            await run_in_threadpool(spool.write, part)
    except BaseException:
        spool.close()
        raise
    if size == 0:
        spool.close()
        raise ApiError(ErrorCode.REQUIRED, "the file is empty", "body")
    spool.seek(0)
    return spool


def _stage(
    db: Database,
    source: IO[bytes],
    fmt: SnapshotFormat,
    location_id: str | None,
    missing: MissingPolicy,
    actor: str,
) -> InventorySync:
    now = datetime.now(UTC)
    sync_id = syncs.new_sync_id(now)
    try:
        with db.session() as s:
            return syncs.stage(
                s,
                source,
                sync_id=sync_id,
                workflow_id=sync_workflow_id(sync_id),
                fmt=fmt,
                location_id=location_id,
                missing=missing,
                created_by=actor,
                now=now,
            )
    finally:
        source.close()


def _fail(db: Database, sync_id: str, error: str) -> None:
    with db.session() as s:
        bulk.fail(s, sync_id, error, datetime.now(UTC))


@router.post(
    "",
    status_code=202,
    response_model=SyncPublic,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
    responses=error_responses(ErrorCode.FILE_TOO_LARGE, ErrorCode.UNSUPPORTED_MEDIA_TYPE),
)
async def create_sync(
    request: Request,
    response: Response,
    principal: Writer,
    db: DbDep,
    client: ClientDep,
    settings: SettingsDep,
    location_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    missing: MissingPolicy | None = None,
) -> Any:
    """Stage a snapshot and start applying it, best-selling SKUs first (202).

    `location_id`: the file is that location's snapshot (its rows must all be there);
    without it the file may cover the whole network. `missing`: what happens to positions in
    scope the file does not list: `zero` (the default for a location's snapshot) or `keep`
    (the default for a network file). Row numbers in errors count lines after the CSV header
    (or lines of a JSON-lines file), from 1.
    """
    fmt = _format_of(request)
    policy = missing or default_missing(location_id)
    source = await _receive(request)
    try:
        sync = await run_in_threadpool(
            _stage, db, source, fmt, location_id, policy, principal.actor
        )
    except FileRefused as refused:
        raise ApiError.invalid(refused.errors) from refused
    except DomainError as refused:
        # The location the query names: a problem of the input, as the file's are.
        field = FieldError(
            field=refused.field or "location_id", code=refused.code, reason=refused.reason
        )
        raise ApiError.invalid([field]) from refused
    try:
        where = sync.location_id or "the whole network"
        await client.start_workflow(
            InventorySyncWorkflow.run,
            SyncInput(sync_id=sync.id),
            id=sync.workflow_id,
            task_queue=settings.task_queue,
            static_summary=(
                f"inventory sync {sync.id} · {where} · {sync.total_rows} rows · "
                f"missing positions: {sync.missing}"
            ),
            static_details=(
                f"**Snapshot** `{sync.id}` of {where}, {sync.format}, {sync.total_rows} rows "
                f"({sync.rejected} refused at staging), applied in {sync.chunks_total} chunks of "
                f"{sync.chunk_size}; positions missing from it are `{sync.missing}`. Progress: "
                "the SyncProgress search attribute and GET /inventory/syncs/{id}."
            ),
        )
    except RPCError as err:
        log.error("inventory_sync_start_failed", sync_id=sync.id, error=str(err))
        await run_in_threadpool(_fail, db, sync.id, f"could not start: {err}")
        raise ApiError(
            ErrorCode.UNAVAILABLE, "Temporal could not be reached; send the file again"
        ) from err
    log.info(
        "inventory_sync_staged",
        sync_id=sync.id,
        location_id=location_id,
        rows=sync.total_rows,
        rejected=sync.rejected,
        by=principal.actor,
    )
    response.headers["Location"] = f"/inventory/syncs/{sync.id}"
    return await run_in_threadpool(_public, db, sync.id)


@router.get("", response_model=SyncPage, responses=error_responses(ErrorCode.INVALID_CURSOR))
def list_syncs(
    _: Reader,
    db: DbDep,
    status: SyncStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Any:
    """Syncs newest first; follow ``next_cursor`` for the next page."""
    with db.session() as s:
        try:
            rows, next_cursor = syncs.list_syncs(s, status=status, limit=limit, cursor=cursor)
        except ValueError as exc:
            raise ApiError(ErrorCode.INVALID_CURSOR, str(exc), "cursor") from exc
        return SyncPage(items=[SyncSummary.of(r) for r in rows], next_cursor=next_cursor)


def _not_found(sync_id: str) -> ApiError:
    return ApiError(ErrorCode.SYNC_NOT_FOUND, f"no inventory sync {sync_id}", "sync_id")


@router.get(
    "/{sync_id}", response_model=SyncPublic, responses=error_responses(ErrorCode.SYNC_NOT_FOUND)
)
def get_sync(sync_id: str, _: Reader, db: DbDep) -> Any:
    """Status, counts, progress (chunks applied of all) and the first refused rows."""
    found = _public(db, sync_id)
    if found is None:
        raise _not_found(sync_id)
    return found


@router.get(
    "/{sync_id}/errors",
    response_model=RowErrorPage,
    responses=error_responses(ErrorCode.SYNC_NOT_FOUND, ErrorCode.INVALID_CURSOR),
)
def list_row_errors(
    sync_id: str,
    _: Reader,
    db: DbDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
) -> Any:
    """A sync's refused rows in file order: row number, field, code and reason."""
    with db.session() as s:
        if s.get(InventorySync, sync_id) is None:
            raise _not_found(sync_id)
        try:
            rows, next_cursor = syncs.row_errors(s, sync_id, limit=limit, cursor=cursor)
        except ValueError as exc:
            raise ApiError(ErrorCode.INVALID_CURSOR, str(exc), "cursor") from exc
        return RowErrorPage(items=[RowErrorPublic.of(e) for e in rows], next_cursor=next_cursor)
