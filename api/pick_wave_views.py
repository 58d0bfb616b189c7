"""What the pick-wave endpoints answer: a wave, its pick lines, its progress per SKU and what
its sort did for each fulfilment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.views import as_utc
from oms.db.tables import PickWave, PickWaveLine
from oms.domain.errors import ErrorCode
from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.reason_codes import Code
from oms.domain.wave_picks import SkuReport
from oms.domain.waves import WaveStatus, WaveStrategy
from oms.services.pick_waves import picks_of, quantities

# Fulfilments in a wave when neither the request nor the location's profile says.
DEFAULT_WAVE_SIZE = 20


class WaveCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strategy: WaveStrategy | None = Field(
        default=None,
        description="Default: the `waves` strategy of the pick step of the location's profile",
    )
    max_fulfilments: int | None = Field(
        default=None,
        ge=1,
        le=500,
        description=f"Default: the profile's `waves.max_size`, else {DEFAULT_WAVE_SIZE}",
    )
    max_units: int | None = Field(
        default=None, ge=1, le=100_000, description="At most this many units, if set"
    )


class ClaimBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    picker: str = Field(min_length=1, max_length=100, description="Who picks the wave")


class PicksBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[SkuReport] = Field(min_length=1, max_length=500)


class WaveLinePublic(BaseModel):
    seq: int
    group: str | None
    sku: str
    quantity: int
    bin: str | None
    zone: str | None
    walk_order: int | None
    fulfilment_id: str | None

    @classmethod
    def of(cls, line: PickWaveLine) -> WaveLinePublic:
        return cls.model_validate(line, from_attributes=True)


class SkuProgress(BaseModel):
    sku: str
    quantity: int
    picked: int
    short_reason: Code | None


class SortOutcome(BaseModel):
    """One fulfilment after the sort: its status, or why its pick was refused."""

    fulfilment_id: str
    status: FulfilmentStatus | None = None
    code: ErrorCode | None = None
    reason: str | None = None
    given: dict[str, int] = Field(default_factory=dict, description="Units given, per SKU")


class WaveSummary(BaseModel):
    id: str
    location_id: str
    strategy: WaveStrategy
    status: WaveStatus
    max_fulfilments: int
    max_units: int | None
    fulfilment_count: int
    unit_count: int
    created_by: str
    picker: str | None
    created_at: datetime
    claimed_at: datetime | None
    sorted_at: datetime | None

    @classmethod
    def fields_of(cls, w: PickWave) -> dict[str, Any]:
        return {
            "id": w.id,
            "location_id": w.location_id,
            "strategy": WaveStrategy(w.strategy),
            "status": WaveStatus(w.status),
            "max_fulfilments": w.max_fulfilments,
            "max_units": w.max_units,
            "fulfilment_count": w.fulfilment_count,
            "unit_count": w.unit_count,
            "created_by": w.created_by,
            "picker": w.picker,
            "created_at": as_utc(w.created_at),
            "claimed_at": as_utc(w.claimed_at) if w.claimed_at else None,
            "sorted_at": as_utc(w.sorted_at) if w.sorted_at else None,
        }

    @classmethod
    def of(cls, w: PickWave) -> WaveSummary:
        return cls(**cls.fields_of(w))


class WavePublic(WaveSummary):
    fulfilment_ids: list[str] = Field(description="In the order the sort serves them")
    lines: list[WaveLinePublic] = Field(description="The pick lines, in the picker's order")
    skus: list[SkuProgress] = Field(description="What is picked of each SKU so far")
    outcomes: list[SortOutcome] = Field(description="Once sorted: each fulfilment's pick")
    left_over: dict[str, int] = Field(
        description="Picked units the sort gave to no fulfilment: back to the shelf"
    )

    @classmethod
    def full(cls, w: PickWave, lines: list[PickWaveLine], fulfilment_ids: list[str]) -> WavePublic:
        picks = picks_of(w)
        wanted = quantities(lines)
        given: dict[str, int] = {}
        for outcome in w.outcomes.values():
            for sku, n in outcome.get("given", {}).items():
                given[sku] = given.get(sku, 0) + int(n)
        sorted_ = WaveStatus(w.status) is WaveStatus.SORTED
        return cls(
            **cls.fields_of(w),
            fulfilment_ids=fulfilment_ids,
            lines=[WaveLinePublic.of(line) for line in lines],
            skus=[
                SkuProgress(
                    sku=sku,
                    quantity=qty,
                    picked=picks[sku].picked if sku in picks else 0,
                    short_reason=picks[sku].short_reason if sku in picks else None,
                )
                for sku, qty in sorted(wanted.items())
            ],
            outcomes=[
                SortOutcome(fulfilment_id=fid, **outcome)
                for fid, outcome in sorted(w.outcomes.items())
            ],
            left_over={
                sku: p.picked - given.get(sku, 0)
                for sku, p in sorted(picks.items())
                if sorted_ and p.picked > given.get(sku, 0)
            },
        )


class WaveList(BaseModel):
    items: list[WaveSummary]
