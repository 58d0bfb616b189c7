"""Inventory from other systems (integration keys), and every location's position of a SKU.

Batches are applied row by row: a row that fails validation is reported with its index in the
batch (from 0), field, code and reason, and does not stop the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, TypeAdapter, ValidationError, WithJsonSchema
from sqlmodel import Session, col, select

from api.deps import DbDep, Principal, require
from api.errors import ApiError, RowError, error_responses, shape_errors
from api.openapi import schema_of
from api.views import as_utc
from oms.db import reason_codes as reason_code_repo
from oms.db.availability import location_info, sku_positions
from oms.db.stock_updates import AbsoluteUpdate, DeltaUpdate, apply_absolute_many
from oms.db.tables import InventoryPosition, Location, Product
from oms.domain import reason_codes as reasons
from oms.domain.availability import LocationAtp, Position, atp_location
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.reason_codes import ReasonUsage, StockEffect
from oms.services.adjustments import apply_adjustments, effect_problem

router = APIRouter(prefix="/inventory", tags=["inventory"])

Integration = Annotated[Principal, Depends(require("integration"))]
Reader = Annotated[Principal, Depends(require("integration", "storefront", "analyst"))]

MAX_ROWS = 5000


# Rows are read as objects and checked one by one (a bad row is reported, the others go
# ahead); the document shows each row's own schema.
PositionRow = Annotated[dict[str, Any], WithJsonSchema(schema_of(AbsoluteUpdate))]
DeltaRow = Annotated[dict[str, Any], WithJsonSchema(schema_of(DeltaUpdate))]


class PositionsBody(BaseModel):
    rows: list[PositionRow] = Field(min_length=1, max_length=MAX_ROWS)


class DeltasBody(BaseModel):
    deltas: list[DeltaRow] = Field(min_length=1, max_length=MAX_ROWS)


class BatchResult(BaseModel):
    applied: int = 0
    stale: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[RowError] = Field(default_factory=list)


def _parse(
    rows: list[dict[str, Any]],
    model: type[BaseModel],
    result: BatchResult,
    known_locations: set[str],
    known_skus: set[str],
) -> list[tuple[int, Any]]:
    adapter = TypeAdapter(model)
    good: list[tuple[int, Any]] = []
    for i, raw in enumerate(rows):
        try:
            row: Any = adapter.validate_python(raw)
        except ValidationError as exc:
            first = shape_errors(exc)[0]
            result.errors.append(RowError(index=i, **first.model_dump()))
            continue
        problem = None
        if row.location_id not in known_locations:
            problem = (
                "location_id",
                ErrorCode.LOCATION_NOT_FOUND,
                f"no location {row.location_id!r}",
            )
        elif row.sku not in known_skus:
            problem = ("sku", ErrorCode.UNKNOWN_SKU, f"SKU {row.sku!r} is not in the catalogue")
        elif min(getattr(row, "on_hand", 0), getattr(row, "in_transit", None) or 0) < 0:
            problem = ("on_hand", ErrorCode.OUT_OF_RANGE, "quantities cannot be negative")
        if problem:
            result.errors.append(
                RowError(index=i, field=problem[0], code=problem[1], reason=problem[2])
            )
            continue
        good.append((i, row))
    result.rejected = len(result.errors)
    return good


def _known(db: DbDep, rows: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    locs = {str(r.get("location_id")) for r in rows if isinstance(r, dict)}
    skus = {str(r.get("sku")) for r in rows if isinstance(r, dict)}
    with db.session() as s:
        known_locs = set(s.exec(select(Location.id).where(col(Location.id).in_(locs))))
        known_skus = set(s.exec(select(Product.sku).where(col(Product.sku).in_(skus))))
    return known_locs, known_skus


@router.post("/positions", response_model=BatchResult)
def post_positions(body: PositionsBody, _: Integration, db: DbDep) -> Any:
    """Absolute on-hand figures, up to 5,000 rows. A row older than the stored figure (by
    `source_version`, else `source_updated_at`) is ignored and counted as stale."""
    result = BatchResult()
    good = _parse(body.rows, AbsoluteUpdate, result, *_known(db, body.rows))
    with db.session() as s:
        result.applied = apply_absolute_many(s, [row for _index, row in good])
    result.stale = len(good) - result.applied
    return result


@router.post("/deltas", response_model=BatchResult)
def post_deltas(body: DeltasBody, _: Integration, db: DbDep) -> Any:
    """Relative moves (`delta` may be negative), each applied once per `event_id`. A row
    with a `reason` is an adjustment: a code whose usages include `adjustment` (another is
    refused at `reason`, `reason_not_allowed`), whose stock effect says what the delta does:
    `none` and `write_off` move on hand as sent, `quarantine` moves the units from on hand
    into the quarantined figure, `recount` leaves the figures and opens a `recount` task for
    the location. A write-off or a quarantine takes units off: its delta is negative."""
    result = BatchResult()
    good = _parse(body.deltas, DeltaUpdate, result, *_known(db, body.deltas))
    with db.session() as s:
        effects = _reasons(s, good, result)
        rows = [row for _index, row in good if _index not in effects.refused]
        result.applied = apply_adjustments(s, rows, effects.stock)
    result.duplicates = len(rows) - result.applied
    return result


@dataclass
class _Effects:
    stock: dict[str, StockEffect]  # per code given
    refused: set[int]  # rows refused for their reason


def _reasons(s: Session, good: list[tuple[int, Any]], result: BatchResult) -> _Effects:
    """Each reason code's stock effect as it stands now; a row whose code is not for an
    adjustment, or whose delta the effect cannot take, is refused with its index."""
    codes = reason_code_repo.resolve(s, {row.reason for _i, row in good if row.reason})
    out = _Effects(stock={c: code.stock_effect for c, code in codes.items()}, refused=set())
    for i, row in good:
        if row.reason is None:
            continue
        code = codes.get(row.reason)
        refusal = reasons.refusal(code, row.reason, ReasonUsage.ADJUSTMENT, "reason")
        if refusal is None and code is not None:
            why = effect_problem(row.delta, code.stock_effect)
            if why is not None:
                refusal = FieldError(field="delta", code=ErrorCode.OUT_OF_RANGE, reason=why)
        if refusal is not None:
            out.refused.add(i)
            error = RowError(index=i, field=refusal.field, code=refusal.code, reason=refusal.reason)
            result.errors.append(error)
    result.errors.sort(key=lambda e: e.index)
    result.rejected = len(result.errors)
    return out


class LocationPosition(BaseModel):
    location_id: str
    location_type: str
    is_open: bool
    on_hand: int
    reserved: int
    in_transit: int
    quarantined: int = Field(
        description="Units set apart by a reason code's quarantine effect: still at the "
        "location, not in on hand, never counted in atp"
    )
    atp: int
    explanation: str
    source_version: int | None
    updated_at: datetime


class SkuInventory(BaseModel):
    sku: str
    on_hand: int
    reserved: int
    quarantined: int = Field(description="Set apart at every location; not in atp")
    atp: int
    locations: list[LocationPosition]


@router.get(
    "/{sku}", response_model=SkuInventory, responses=error_responses(ErrorCode.SKU_NOT_FOUND)
)
def get_inventory(sku: str, _: Reader, db: DbDep) -> Any:
    """Every location's position of a SKU and what it can promise under its safety rules
    (channel exclusions and buffers: `GET /availability`)."""
    with db.reading() as s:
        if s.get(Product, sku) is None:
            raise ApiError(ErrorCode.SKU_NOT_FOUND, f"SKU {sku!r} is not in the catalogue", "sku")
        out = [
            LocationPosition(
                location_id=pos.location_id,
                location_type=loc.type,
                is_open=loc.is_open,
                on_hand=pos.on_hand,
                reserved=pos.reserved,
                in_transit=pos.in_transit,
                quarantined=pos.quarantined,
                atp=atp.atp,
                explanation=atp.explain(),
                source_version=pos.source_version,
                updated_at=as_utc(pos.updated_at),
            )
            for pos, loc, atp in _located(s, sku)
        ]
        return SkuInventory(
            sku=sku,
            on_hand=sum(p.on_hand for p in out),
            reserved=sum(p.reserved for p in out),
            quarantined=sum(p.quarantined for p in out),
            atp=sum(p.atp for p in out),
            locations=out,
        )


def _located(s: Session, sku: str) -> list[tuple[InventoryPosition, Location, LocationAtp]]:
    """Each location's position of the SKU and its ATP under the location safety rules (no
    channel: exclusions and buffers are a channel's business)."""
    product, rules, rows = sku_positions(s, sku)
    if product is None:
        return []
    return [
        (
            pos,
            loc,
            atp_location(
                Position(
                    sku=sku,
                    location_id=loc.id,
                    on_hand=pos.on_hand,
                    reserved=pos.reserved,
                    in_transit=pos.in_transit,
                    quarantined=pos.quarantined,
                ),
                location_info(loc),
                product,
                rules,
            ),
        )
        for pos, loc in rows
    ]
