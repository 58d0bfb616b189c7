"""Recommendations for storefronts: what to offer beside a product or a cart that the channel
can promise now, and whether it ships with the rest (``extra_shipment`` false) or adds a
shipment. The blend, the verdict and the ranking are in ``oms.domain.recommendations``;
docs/recommendations.md tells the whole of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import DbDep, Principal, channel_in_scope, require
from api.errors import ApiError, error_responses
from oms.db import availability as av
from oms.domain.availability_lookup import ChannelSetup
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.geo import GeoPoint
from oms.domain.numbers import WholeNumber
from oms.domain.order import MAX_QUANTITY, Identifier
from oms.services.recommendations import Answer, Ask, UnknownSkus, destination_of, recommend

router = APIRouter(prefix="/recommendations", tags=["recommendations"])

Reader = Annotated[Principal, Depends(require("storefront", "integration"))]
Sku = Annotated[str, Path(min_length=1, max_length=64)]
MAX_LIMIT = 50
MAX_CART_LINES = 100
PRODUCT_ERRORS = error_responses(
    ErrorCode.CHANNEL_NOT_FOUND, ErrorCode.SKU_NOT_FOUND, ErrorCode.UNKNOWN_STORE
)
CART_ERRORS = error_responses(
    ErrorCode.UNKNOWN_SKU, ErrorCode.UNKNOWN_STORE, in_body=[ErrorCode.CHANNEL_NOT_FOUND]
)


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class CartLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Identifier
    quantity: WholeNumber = Field(gt=0, le=MAX_QUANTITY)


class CartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Identifier
    lines: list[CartLine] = Field(min_length=1, max_length=MAX_CART_LINES)
    destination: Point | None = Field(default=None, description="Where the cart ships to")
    postal_code: str | None = Field(
        default=None, min_length=1, max_length=16, description="For the profiles' regions"
    )
    pickup_store_id: Identifier | None = Field(
        default=None, description="The store the cart is collected at"
    )
    limit: int = Field(default=10, ge=1, le=MAX_LIMIT)


def _store(setup: ChannelSetup, store: str | None) -> None:
    info = setup.locations.get(store) if store is not None else None
    if store is not None and (info is None or info.type != "store"):
        raise ApiError(
            ErrorCode.UNKNOWN_STORE,
            f"{store!r} is not a store of channel {setup.channel.id}",
            "pickup_store_id",
        )


def _point(text: str | None) -> GeoPoint | None:
    if text is None:
        return None
    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        return GeoPoint(lat=float(parts[0]), lon=float(parts[1]))
    except ValueError:
        raise ApiError(
            ErrorCode.INVALID_FORMAT,
            "destination is <lat>,<lon> in degrees, e.g. 48.87,2.33",
            "destination",
        ) from None


def _answer(
    db: DbDep,
    principal: Principal,
    channel: str,
    store: str | None,
    ask: Callable[[ChannelSetup], Ask],
    *,
    cart: bool,
) -> Answer:
    """One read: the channel (cached), then the recommendation."""
    # A product page's channel is in its query (404); a cart's in its body (422).
    channel_in_scope(principal, channel, in_body=cart)
    with db.reading() as s:
        try:
            setup = av.load_channel(s, channel)
        except av.UnknownChannel:
            reason = f"no channel {channel!r}"
            raise ApiError.missing(
                ErrorCode.CHANNEL_NOT_FOUND, reason, "channel", in_body=cart
            ) from None
        _store(setup, store)
        asked = ask(setup)
        try:
            return recommend(s, setup, asked)
        except UnknownSkus as exc:
            if not cart:
                raise ApiError(
                    ErrorCode.SKU_NOT_FOUND, f"SKU {exc.skus[0]!r} is not known", "sku"
                ) from None
            raise ApiError.invalid(
                [
                    FieldError(
                        field=f"lines[{i}].sku",
                        code=ErrorCode.UNKNOWN_SKU,
                        reason=f"SKU {sku!r} is not in the catalogue",
                    )
                    for i, (sku, _q) in enumerate(asked.lines)
                    if sku in exc.skus
                ]
            ) from None


@router.get("/product/{sku}", response_model=Answer, responses=PRODUCT_ERRORS)
def for_product(
    sku: Sku,
    principal: Reader,
    db: DbDep,
    channel: Annotated[str, Query(min_length=1, max_length=64)],
    destination: Annotated[
        str | None, Query(max_length=64, description="<lat>,<lon> in degrees")
    ] = None,
    postal_code: Annotated[str | None, Query(min_length=1, max_length=16)] = None,
    pickup_store_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
) -> Any:
    """What to offer on the product's page: its given relations and what is bought with it,
    those the channel can promise, those held where the product would ship from (or at the
    pickup store) first. When the product itself cannot be had, `missing` names it and
    `substitutes` lists what can."""

    def ask(setup: ChannelSetup) -> Ask:
        point, region = destination_of(setup, _point(destination), postal_code)
        return Ask(
            channel=channel,
            lines=[(sku, 1)],
            destination=point,
            region=region,
            pickup_store=pickup_store_id,
            limit=limit,
        )

    return _answer(db, principal, channel, pickup_store_id, ask, cart=False)


@router.post("/cart", response_model=Answer, responses=CART_ERRORS)
def for_cart(body: CartIn, principal: Reader, db: DbDep) -> Any:
    """What to offer with a cart: the sourcing planner places the cart (or the pickup store
    takes it) and what those locations hold comes first; for a line that cannot be had there,
    `substitutes` lists what can. Nothing is reserved."""
    given = (
        GeoPoint(lat=body.destination.lat, lon=body.destination.lon) if body.destination else None
    )

    def ask(setup: ChannelSetup) -> Ask:
        point, region = destination_of(setup, given, body.postal_code)
        return Ask(
            channel=body.channel,
            lines=[(line.sku, line.quantity) for line in body.lines],
            destination=point,
            region=region,
            pickup_store=body.pickup_store_id,
            limit=body.limit,
        )

    return _answer(db, principal, body.channel, body.pickup_store_id, ask, cart=True)
