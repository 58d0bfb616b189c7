"""Available-to-promise for storefronts: what a channel may sell, where, and why.

`GET /availability` answers up to 500 SKUs at once; `POST /availability/options` answers where a
whole cart can ship from or be collected. Both read the rules at the time of the request; the
formula and the precedence of rules are in ``oms.domain.availability`` and ``oms.domain.safety``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import DbDep, Principal, channel_in_scope, require
from api.errors import ApiError, error_responses
from api.metrics import MetricsDep
from oms.db import availability as av
from oms.db.tables import utcnow
from oms.domain.availability import ChannelAtp
from oms.domain.availability_lookup import ChannelSetup, atp_for
from oms.domain.delivery import coordinate_problems
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.geo import GeoPoint, distance_km
from oms.domain.geo.postal import locate
from oms.domain.numbers import WholeNumber
from oms.domain.order import MAX_QUANTITY, CountryCode, Identifier
from oms.domain.safety import SafetyScope

router = APIRouter(prefix="/availability", tags=["availability"])

Reader = Annotated[Principal, Depends(require("storefront", "integration", "analyst"))]

MAX_SKUS = 500
MAX_CART_LINES = 200
MAX_OPTIONS = 50


class LocationShare(BaseModel):
    location_id: str
    atp: int = Field(description="What this location counts for in the channel")


class LocationTermsOut(BaseModel):
    location_id: str
    counted: int
    atp: int
    on_hand: int
    reserved: int
    in_transit: int
    quarantined: int = Field(description="Set apart by a reason code: never counted")
    safety: int
    safety_rule: str | None
    safety_scope: SafetyScope | None
    closed: bool
    excluded_by: str | None


class Explanation(BaseModel):
    network_atp: int = Field(description="Sum of what the locations count for")
    counted_on_hand: int = Field(description="On hand at open, not excluded locations")
    buffer: int
    buffer_rule: str | None
    excluded_by: str | None = Field(description="The exclusion keeping the SKU out, if any")
    text: str
    locations: list[LocationTermsOut]


class SkuAvailability(BaseModel):
    sku: str
    atp: int
    low_stock: bool = Field(description="At or under the channel's low-stock threshold")
    locations: list[LocationShare] | None = Field(
        default=None, description="With breakdown=true: locations counting for more than 0"
    )
    explanation: Explanation | None = None


class Availability(BaseModel):
    channel: str
    market: str
    as_of: datetime
    items: list[SkuAvailability]
    unknown_skus: list[str]


def _skus(raw: list[str]) -> list[str]:
    skus = list(dict.fromkeys(s.strip() for part in raw for s in part.split(",") if s.strip()))
    if not skus:
        raise ApiError(ErrorCode.REQUIRED, "name at least one SKU", "skus")
    if len(skus) > MAX_SKUS:
        raise ApiError(
            ErrorCode.TOO_MANY_SKUS,
            f"{len(skus)} SKUs asked, at most {MAX_SKUS} per request",
            "skus",
        )
    return skus


def _setup(db: DbDep, channel: str, *, in_body: bool = False) -> ChannelSetup:
    try:
        with db.reading() as s:
            return av.load_channel(s, channel)
    except av.UnknownChannel:
        reason = f"no channel {channel!r}"
        raise ApiError.missing(
            ErrorCode.CHANNEL_NOT_FOUND, reason, "channel", in_body=in_body
        ) from None


def _explanation(atp: ChannelAtp) -> Explanation:
    return Explanation(
        **atp.terms.model_dump(),
        text=atp.explain(),
        locations=[
            LocationTermsOut(
                location_id=line.location_id,
                counted=line.counted,
                atp=line.location.atp,
                excluded_by=line.excluded_by,
                **line.location.terms.model_dump(),
            )
            for line in atp.locations
        ],
    )


@router.get(
    "",
    response_model=Availability,
    response_model_exclude_unset=True,
    responses=error_responses(ErrorCode.CHANNEL_NOT_FOUND, ErrorCode.TOO_MANY_SKUS),
)
def get_availability(
    principal: Reader,
    db: DbDep,
    metrics: MetricsDep,
    channel: Annotated[str, Query(min_length=1, max_length=64)],
    skus: Annotated[list[str], Query(description="Comma-separated or repeated; up to 500")],
    breakdown: bool = False,
    explain: bool = False,
) -> Any:
    """Per SKU, the channel's ATP; with `breakdown=true` what each location counts for; with
    `explain=true` every term (on hand, reserved, which safety rule, which exclusion, the
    channel buffer) and the sum in words. SKUs not in the catalogue are listed apart."""
    channel_in_scope(principal, channel)
    with metrics.atp_lookup():
        return _availability(db, channel, skus, breakdown=breakdown, explain=explain)


def _availability(
    db: DbDep, channel: str, skus: list[str], *, breakdown: bool, explain: bool
) -> Availability:
    wanted = _skus(skus)
    setup = _setup(db, channel)
    with db.reading() as s:
        facts = av.load_facts(s, setup, wanted)
    figures = atp_for(setup, facts, wanted, detail=explain)
    items = []
    for sku in wanted:
        atp = figures[sku]
        if atp is None:
            continue
        # Only what was asked for is set, and only what is set is sent.
        extra: dict[str, Any] = {}
        if breakdown:
            extra["locations"] = [
                LocationShare(location_id=loc, atp=n) for loc, n in atp.by_location.items() if n > 0
            ]
        if explain:
            extra["explanation"] = _explanation(atp)
        items.append(
            SkuAvailability(sku=sku, atp=atp.atp, low_stock=0 < atp.atp <= setup.low_stock, **extra)
        )
    return Availability(
        channel=setup.channel.id,
        market=setup.channel.market,
        as_of=utcnow(),
        items=items,
        unknown_skus=[sku for sku in wanted if figures[sku] is None],
    )


class CartLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    quantity: WholeNumber = Field(gt=0, le=MAX_QUANTITY)


class Destination(BaseModel):
    """Where the cart ships to: coordinates (both), else the postal code's area in the country
    (the channel's market if none), else the country's centre."""

    model_config = ConfigDict(extra="forbid")

    country: CountryCode | None = None
    postal_code: str | None = Field(default=None, min_length=1, max_length=20)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    def point(self, market: str) -> GeoPoint | None:
        if self.lat is not None and self.lon is not None:
            return GeoPoint(lat=self.lat, lon=self.lon)
        if self.country is None and self.postal_code is None:
            return None
        located = locate(self.country or market.upper(), self.postal_code)
        return located.point if located is not None else None


class OptionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Identifier
    lines: list[CartLine] = Field(min_length=1, max_length=MAX_CART_LINES)
    destination: Destination | None = None
    pickup_store_id: str | None = Field(default=None, max_length=64)


class LineAtp(BaseModel):
    sku: str
    quantity: int
    atp: int


class LocationOption(BaseModel):
    location_id: str
    type: str
    distance_km: float | None
    lines: list[LineAtp]


class LineSummary(BaseModel):
    sku: str
    quantity: int
    channel_atp: int


class Options(BaseModel):
    channel: str
    ship_from: list[LocationOption] = Field(
        description="Locations that can ship the whole cart, nearest first"
    )
    collect_at: list[LocationOption] = Field(
        description="Stores holding the whole cart for collection, nearest first"
    )
    pickup_store: LocationOption | None = Field(
        default=None, description="The store asked for, with what it holds of each line"
    )
    lines: list[LineSummary]
    can_ship_split: bool = Field(
        description="The channel can promise every line, from one location or several"
    )


@router.post(
    "/options",
    response_model=Options,
    responses=error_responses(
        ErrorCode.UNKNOWN_SKU, ErrorCode.UNKNOWN_STORE, in_body=[ErrorCode.CHANNEL_NOT_FOUND]
    ),
)
def fulfilment_options(body: OptionsIn, principal: Reader, db: DbDep, metrics: MetricsDep) -> Any:
    """Which locations can ship the whole cart, which stores can have it ready for collection
    (from their own stock), and what each holds of each line. Nothing is reserved."""
    channel_in_scope(principal, body.channel, in_body=True)
    if body.destination is not None:
        half = coordinate_problems(body.destination.lat, body.destination.lon, "destination")
        if half:
            raise ApiError.invalid(half)
    with metrics.atp_lookup():
        return _options(db, body)


def _options(db: DbDep, body: OptionsIn) -> Options:
    setup = _setup(db, body.channel, in_body=True)
    quantities: dict[str, int] = {}
    for line in body.lines:
        quantities[line.sku] = quantities.get(line.sku, 0) + line.quantity
    with db.reading() as s:
        facts = av.load_facts(s, setup, list(quantities))
    figures = atp_for(setup, facts, list(quantities))
    unknown = [
        FieldError(
            field=f"lines[{i}].sku",
            code=ErrorCode.UNKNOWN_SKU,
            reason=f"SKU {line.sku!r} is not in the catalogue",
        )
        for i, line in enumerate(body.lines)
        if figures[line.sku] is None
    ]
    if unknown:
        raise ApiError.invalid(unknown)
    known = {sku: atp for sku, atp in figures.items() if atp is not None}
    if body.pickup_store_id is not None:
        store = setup.locations.get(body.pickup_store_id)
        if store is None or store.type != "store":
            raise ApiError(
                ErrorCode.UNKNOWN_STORE,
                f"{body.pickup_store_id!r} is not a store of channel {setup.channel.id}",
                "pickup_store_id",
            )

    target = body.destination.point(setup.channel.market) if body.destination else None
    if target is None and body.pickup_store_id is not None:
        target = setup.points[body.pickup_store_id]

    def option(loc_id: str) -> LocationOption:
        distance = distance_km(target, setup.points[loc_id]) if target is not None else None
        return LocationOption(
            location_id=loc_id,
            type=setup.locations[loc_id].type,
            distance_km=round(distance, 1) if distance is not None else None,
            lines=[
                LineAtp(sku=sku, quantity=qty, atp=known[sku].by_location.get(loc_id, 0))
                for sku, qty in quantities.items()
            ],
        )

    def whole_cart(loc_id: str) -> bool:
        return all(known[sku].by_location.get(loc_id, 0) >= q for sku, q in quantities.items())

    def nearest(ids: list[str]) -> list[LocationOption]:
        options = [option(loc) for loc in ids]
        options.sort(key=lambda o: (o.distance_km is None, o.distance_km or 0.0, o.location_id))
        return options[:MAX_OPTIONS]

    # The channel's buffer holds back from the whole network: a line the channel cannot
    # promise is offered nowhere, whatever one location holds.
    sellable = all(known[sku].atp >= qty for sku, qty in quantities.items())
    full = [loc for loc in setup.locations if sellable and whole_cart(loc)]
    stores = [loc for loc in full if setup.locations[loc].type == "store"]
    return Options(
        channel=setup.channel.id,
        ship_from=nearest(full),
        collect_at=nearest(stores),
        pickup_store=option(body.pickup_store_id) if body.pickup_store_id else None,
        lines=[
            LineSummary(sku=sku, quantity=qty, channel_atp=known[sku].atp)
            for sku, qty in quantities.items()
        ],
        can_ship_split=sellable,
    )
