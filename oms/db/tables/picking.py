"""Picking in waves: where products sit in each location, and the waves themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index
from sqlmodel import Field, SQLModel

from oms.db.tables.base import one_of, timestamp
from oms.domain.waves import WaveStatus, WaveStrategy


class ProductLocation(SQLModel, table=True):
    """Where a product sits in one location: its bin, its zone and its place in the walk
    (set by the integration API; pick lines follow it)."""

    __tablename__ = "product_locations"
    __table_args__ = (Index("ix_product_locations_location", "location_id", "sku"),)

    sku: str = Field(primary_key=True, max_length=64)
    location_id: str = Field(primary_key=True, max_length=64)
    bin: str = Field(max_length=32)
    zone: str = Field(max_length=32)
    walk_order: int
    updated_at: datetime = timestamp(nullable=False)


class PickWave(SQLModel, table=True):
    """A batch of a location's fulfilments picked together, then sorted to them."""

    __tablename__ = "pick_waves"
    __table_args__ = (Index("ix_pick_waves_location_status", "location_id", "status", "id"),)

    id: str = Field(primary_key=True, max_length=100)
    location_id: str = Field(max_length=64)
    strategy: str = Field(max_length=16, description=one_of(WaveStrategy))
    status: str = Field(max_length=16, description=one_of(WaveStatus))
    max_fulfilments: int
    max_units: int | None = None
    fulfilment_count: int
    unit_count: int
    created_by: str = Field(max_length=128)
    picker: str | None = Field(default=None, max_length=128)
    # {sku: {"picked": n, "short_reason": code | null}}: what the picker reported so far.
    picks: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # {fulfilment_id: {"status": ...} | {"code": ..., "reason": ...}}: what the sort did.
    outcomes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = timestamp(nullable=False)
    claimed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    sorted_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class PickWaveLine(SQLModel, table=True):
    """One stop of a wave's walk: a SKU and how many, in its group (zone, category, order)."""

    __tablename__ = "pick_wave_lines"

    wave_id: str = Field(primary_key=True, max_length=100)
    seq: int = Field(primary_key=True)
    group: str | None = Field(default=None, max_length=80)
    sku: str = Field(max_length=64)
    quantity: int
    bin: str | None = Field(default=None, max_length=32)
    zone: str | None = Field(default=None, max_length=32)
    walk_order: int | None = None
    fulfilment_id: str | None = Field(default=None, max_length=80)


class FulfilmentScan(SQLModel, table=True):
    """One unit scanned for a fulfilment's step (a scan_each pick, a verify at the bench): the
    API counts them per line against what the step expects."""

    __tablename__ = "fulfilment_scans"
    __table_args__ = (Index("ix_fulfilment_scans_step", "fulfilment_id", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    fulfilment_id: str = Field(max_length=80)
    step: str = Field(max_length=64, description="The step's key in the profile")
    line_id: str = Field(max_length=64)
    sku: str = Field(max_length=64)
    barcode: str = Field(max_length=64)
    actor: str = Field(max_length=128)
    scanned_at: datetime = timestamp(nullable=False)
