"""Bulk inventory syncs: the file as received, its staged rows, chunks applied and rows refused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Index
from sqlmodel import Field, SQLModel

from oms.db.tables.base import one_of, timestamp
from oms.domain.snapshots import MissingPolicy, SnapshotFormat, SyncStatus


class InventorySync(SQLModel, table=True):
    """A bulk inventory snapshot and how far its InventorySyncWorkflow has got."""

    __tablename__ = "inventory_syncs"

    id: str = Field(primary_key=True, max_length=64)
    status: str = Field(max_length=16, description=one_of(SyncStatus))
    location_id: str | None = Field(
        default=None, max_length=64, description="The location snapshotted; None: the network"
    )
    missing: str = Field(
        default=MissingPolicy.KEEP, max_length=8, description=one_of(MissingPolicy)
    )
    format: str = Field(max_length=8, description=one_of(SnapshotFormat))
    workflow_id: str = Field(max_length=200)
    total_rows: int = 0
    rejected: int = 0
    chunk_size: int = 5000
    chunks_total: int = 0
    chunks_done: int = 0
    applied: int = 0
    stale: int = 0
    zeroed: int = 0
    error: str | None = Field(default=None, max_length=2000)
    created_by: str | None = Field(default=None, max_length=128)
    created_at: datetime = timestamp(nullable=False)
    started_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class InventorySyncRow(SQLModel, table=True):
    """A staged row of a sync, valid and waiting for its chunk to be applied."""

    __tablename__ = "inventory_sync_rows"
    __table_args__ = (Index("ix_sync_rows_chunk", "sync_id", "chunk"),)

    sync_id: str = Field(primary_key=True, max_length=64)
    row: int = Field(primary_key=True, description="Row number in the file, from 1")
    chunk: int | None = None
    sku: str = Field(max_length=64)
    location_id: str = Field(max_length=64)
    on_hand: int
    in_transit: int | None = None
    source_version: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    source_updated_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class InventorySyncChunk(SQLModel, table=True):
    """A chunk already applied: a resumed sync skips it, so no row applies twice."""

    __tablename__ = "inventory_sync_chunks"

    sync_id: str = Field(primary_key=True, max_length=64)
    chunk: int = Field(primary_key=True)
    applied: int
    stale: int
    done_at: datetime = timestamp(nullable=False)


class InventorySyncError(SQLModel, table=True):
    """A row of a sync that failed validation, with why."""

    __tablename__ = "inventory_sync_errors"

    sync_id: str = Field(primary_key=True, max_length=64)
    row: int = Field(primary_key=True)
    field: str = Field(max_length=64)
    code: str = Field(max_length=32)
    reason: str = Field(max_length=500)
