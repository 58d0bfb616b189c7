"""Locations (admin): warehouses, stores, drop-ship vendors and dark stores."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from api.deps import DbDep, Principal, TopologyWrite, require
from api.errors import ApiError, error_responses
from api.views import as_utc
from oms.db.references import first_use
from oms.db.tables import (
    Exclusion,
    Fulfilment,
    InventoryPosition,
    Location,
    NetworkLocation,
    PickWave,
    ProductLocation,
    Reservation,
    SafetyRule,
)
from oms.domain.errors import ErrorCode
from oms.domain.numbers import WholeNumber
from oms.domain.order import CountryCode, Identifier

router = APIRouter(prefix="/locations", tags=["locations"])

Admin = Annotated[Principal, Depends(require())]
Reader = Annotated[Principal, Depends(require("integration", "storefront", "analyst"))]
LocationType = Literal["warehouse", "store", "dropship", "dark_store"]


class LocationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Identifier
    name: str = Field(min_length=1, max_length=200)
    type: LocationType
    country: CountryCode
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    daily_capacity: WholeNumber = Field(default=1000, ge=0, le=2**31 - 1)
    lead_time_hours: float = Field(
        default=0, ge=0, le=24 * 365, description="Order in to parcel out, for sourcing"
    )
    is_open: bool = True
    vendor_id: Identifier | None = Field(
        default=None, description="The drop-ship vendor; dropship locations only"
    )


class LocationUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    type: LocationType | None = None
    country: CountryCode | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    daily_capacity: WholeNumber | None = Field(default=None, ge=0, le=2**31 - 1)
    lead_time_hours: float | None = Field(default=None, ge=0, le=24 * 365)
    is_open: bool | None = None
    vendor_id: Identifier | None = None


class LocationPublic(LocationCreate):
    created_at: datetime

    @classmethod
    def of(cls, loc: Location) -> LocationPublic:
        return cls(
            id=loc.id,
            name=loc.name,
            type=loc.type,
            country=loc.country,
            lat=loc.lat,
            lon=loc.lon,
            daily_capacity=loc.daily_capacity,
            lead_time_hours=loc.lead_time_hours,
            is_open=loc.is_open,
            vendor_id=loc.vendor_id,
            created_at=as_utc(loc.created_at),
        )


class LocationList(BaseModel):
    items: list[LocationPublic]


@router.get("", response_model=LocationList)
def list_locations(
    _: Reader, db: DbDep, type: LocationType | None = None, is_open: bool | None = None
) -> Any:
    with db.session() as s:
        stmt = select(Location).order_by(col(Location.id))
        if type:
            stmt = stmt.where(Location.type == type)
        if is_open is not None:
            stmt = stmt.where(Location.is_open == is_open)
        return LocationList(items=[LocationPublic.of(loc) for loc in s.exec(stmt)])


@router.post(
    "",
    status_code=201,
    response_model=LocationPublic,
    responses=error_responses(ErrorCode.LOCATION_EXISTS),
)
def create_location(
    body: LocationCreate, response: Response, _: Admin, db: DbDep, _t: TopologyWrite
) -> Any:
    with db.session() as s:
        if s.get(Location, body.id) is not None:
            raise ApiError(ErrorCode.LOCATION_EXISTS, f"location {body.id} exists", "id")
        loc = Location(**body.model_dump())
        _check_vendor(loc)
        s.add(loc)
        s.flush()
        response.headers["Location"] = f"/locations/{loc.id}"
        return LocationPublic.of(loc)


@router.patch(
    "/{location_id}",
    response_model=LocationPublic,
    responses=error_responses(ErrorCode.LOCATION_NOT_FOUND),
)
def update_location(
    location_id: str, body: LocationUpdate, _: Admin, db: DbDep, _t: TopologyWrite
) -> Any:
    """E.g. `{"is_open": false}` closes a store: sourcing stops sending it work at once."""
    with db.session() as s:
        loc = s.get(Location, location_id)
        if loc is None:
            raise ApiError(
                ErrorCode.LOCATION_NOT_FOUND, f"no location {location_id}", "location_id"
            )
        for field, value in body.model_dump(exclude_unset=True).items():
            if value is None and field != "vendor_id":
                raise ApiError(ErrorCode.INVALID, f"{field} cannot be null", field)
            setattr(loc, field, value)
        _check_vendor(loc)
        s.add(loc)
        s.flush()
        return LocationPublic.of(loc)


def _check_vendor(loc: Location) -> None:
    if loc.vendor_id is not None and loc.type != "dropship":
        raise ApiError(ErrorCode.INVALID, f"a {loc.type} has no drop-ship vendor", "vendor_id")


@router.delete(
    "/{location_id}",
    status_code=204,
    responses=error_responses(ErrorCode.LOCATION_NOT_FOUND, ErrorCode.IN_USE),
)
def delete_location(location_id: str, _: Admin, db: DbDep, _t: TopologyWrite) -> Response:
    """Only a location nothing refers to: no stock, no order's work, in no network, named by
    no rule or exclusion. A location with a history is closed instead (`is_open: false`)."""
    with db.session() as s:
        loc = s.get(Location, location_id)
        if loc is None:
            raise ApiError(
                ErrorCode.LOCATION_NOT_FOUND, f"no location {location_id}", "location_id"
            )
        uses: dict[str, Any] = {
            "positions": InventoryPosition.location_id,
            "reservations": Reservation.location_id,
            "fulfilments": Fulfilment.location_id,
            "networks": NetworkLocation.location_id,
            "safety rules": SafetyRule.location_id,
            "exclusions": Exclusion.location_id,
            "pick waves": PickWave.location_id,
            "product bins": ProductLocation.location_id,
        }
        if (what := first_use(s, uses, location_id)) is not None:
            raise ApiError(
                ErrorCode.IN_USE,
                f"location {location_id} has {what}: close it instead (is_open: false)",
                "location_id",
            )
        s.delete(loc)
    return Response(status_code=204)
