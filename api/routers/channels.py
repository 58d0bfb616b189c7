"""Networks (named sets of locations) and channels (a market and the network selling into it).
Admins write; integrations, storefronts and analysts read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, delete, select

from api.deps import DbDep, Principal, TopologyWrite, require
from api.errors import ApiError, error_responses
from api.views import as_utc
from oms.db.availability import channel_buffer_of
from oms.db.references import first_use
from oms.db.tables import (
    Channel,
    Exclusion,
    Location,
    Network,
    NetworkLocation,
    SafetyRule,
    SourcingProfile,
)
from oms.domain.countries import country_problem
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.money import is_known_currency
from oms.domain.numbers import WholeNumber
from oms.domain.order import Identifier
from oms.domain.safety import SafetyQuantity

router = APIRouter(tags=["channels"])

Admin = Annotated[Principal, Depends(require())]
Reader = Annotated[Principal, Depends(require("integration", "storefront", "analyst"))]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Market = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{2,16}$",
        description="The country it sells into: an ISO 3166-1 alpha-2 code (FR, BE, GB...)",
    ),
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])]


class NetworkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Identifier
    name: Name
    locations: list[Identifier] = Field(default_factory=list, max_length=10_000)


class NetworkUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    locations: list[Identifier] | None = Field(default=None, max_length=10_000)


class NetworkPublic(BaseModel):
    id: str
    name: str
    locations: list[str]
    created_at: datetime


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Identifier
    name: Name
    market: Market
    network_id: Identifier
    buffer: SafetyQuantity | None = Field(
        default=None,
        description='Held back once from the network\'s sum: `{"quantity": 10}` or '
        '`{"percent": 5}`; channel safety rules for a SKU or category take precedence',
    )
    low_stock: WholeNumber = Field(
        default=0,
        ge=0,
        le=2**31 - 1,
        description="Channel ATP at or under which a low_stock event fires; 0: off",
    )
    locale: Literal["fr", "en"] | None = Field(
        default=None,
        description="The language of its customers' messages when an order gives none; absent: en",
    )
    currency: Currency | None = Field(
        default=None,
        description="ISO 4217: the one currency its orders are placed in (another is 422 "
        "currency_mismatch); absent: any",
    )


class ChannelUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    market: Market | None = None
    network_id: Identifier | None = None
    buffer: SafetyQuantity | None = Field(default=None, description="null removes the buffer")
    low_stock: WholeNumber | None = Field(default=None, ge=0, le=2**31 - 1)
    locale: Literal["fr", "en"] | None = Field(
        default=None,
        description="null removes the channel's language: its customers' messages are then in "
        "their own language, else English",
    )
    currency: Currency | None = Field(
        default=None, description="null: orders in any currency are taken"
    )


class ChannelPublic(ChannelIn):
    created_at: datetime


def _check_terms(market: str | None, currency: str | None) -> None:
    """A market must be a country and a currency one the OMS knows: 422 otherwise."""
    errors = []
    if market is not None and (why := country_problem(market)) is not None:
        errors.append(FieldError(field="market", code=ErrorCode.UNKNOWN_MARKET, reason=why))
    if currency is not None and not is_known_currency(currency):
        reason = f"{currency!r} is not a supported ISO 4217 currency code (e.g. EUR)"
        errors.append(FieldError(field="currency", code=ErrorCode.UNKNOWN_CURRENCY, reason=reason))
    if errors:
        raise ApiError.invalid(errors)


class Page(BaseModel):
    items: list[Any]


def _network(s: Session, net: Network) -> NetworkPublic:
    locs = s.exec(
        select(NetworkLocation.location_id)
        .where(NetworkLocation.network_id == net.id)
        .order_by(col(NetworkLocation.location_id))
    )
    return NetworkPublic(
        id=net.id, name=net.name, locations=list(locs), created_at=as_utc(net.created_at)
    )


def _set_locations(s: Session, network_id: str, locations: list[str]) -> None:
    known = set(s.exec(select(Location.id).where(col(Location.id).in_(locations))))
    errors = [
        FieldError(
            field=f"locations[{i}]",
            code=ErrorCode.LOCATION_NOT_FOUND,
            reason=f"no location {loc!r}",
        )
        for i, loc in enumerate(locations)
        if loc not in known
    ]
    if errors:
        raise ApiError.invalid(errors)
    s.exec(delete(NetworkLocation).where(col(NetworkLocation.network_id) == network_id))
    for loc in sorted(set(locations)):
        s.add(NetworkLocation(network_id=network_id, location_id=loc))
    s.flush()


def _channel(ch: Channel) -> ChannelPublic:
    return ChannelPublic(
        id=ch.id,
        name=ch.name,
        market=ch.market,
        network_id=ch.network_id,
        buffer=channel_buffer_of(ch),
        low_stock=ch.low_stock,
        locale=ch.locale,
        currency=ch.currency,
        created_at=as_utc(ch.created_at),
    )


def _set_buffer(ch: Channel, buffer: SafetyQuantity | None) -> None:
    ch.buffer_quantity = buffer.quantity if buffer else None
    ch.buffer_percent = buffer.percent if buffer else None


def _require_network(s: Session, network_id: str) -> None:
    if s.get(Network, network_id) is None:
        # The network a body names: the body is at fault (422), not the URL.
        missing = FieldError(
            field="network_id",
            code=ErrorCode.NETWORK_NOT_FOUND,
            reason=f"no network {network_id!r}",
        )
        raise ApiError.invalid([missing])


@router.get("/networks", response_model=Page, tags=["channels"])
def list_networks(_: Reader, db: DbDep) -> Any:
    with db.session() as s:
        return Page(items=[_network(s, n) for n in s.exec(select(Network).order_by(Network.id))])


@router.post(
    "/networks",
    status_code=201,
    response_model=NetworkPublic,
    responses=error_responses(ErrorCode.ALREADY_EXISTS),
)
def create_network(
    body: NetworkIn, response: Response, _: Admin, db: DbDep, _t: TopologyWrite
) -> Any:
    with db.session() as s:
        if s.get(Network, body.id) is not None:
            raise ApiError(ErrorCode.ALREADY_EXISTS, f"network {body.id} exists", "id")
        net = Network(id=body.id, name=body.name)
        s.add(net)
        s.flush()
        _set_locations(s, net.id, body.locations)
        response.headers["Location"] = f"/networks/{net.id}"
        return _network(s, net)


@router.patch(
    "/networks/{network_id}",
    response_model=NetworkPublic,
    responses=error_responses(ErrorCode.NETWORK_NOT_FOUND),
)
def update_network(
    network_id: str, body: NetworkUpdate, _: Admin, db: DbDep, _t: TopologyWrite
) -> Any:
    """`locations` replaces the whole set."""
    with db.session() as s:
        net = s.get(Network, network_id)
        if net is None:
            raise ApiError(ErrorCode.NETWORK_NOT_FOUND, f"no network {network_id}", "network_id")
        if body.name is not None:
            net.name = body.name
            s.add(net)
        if body.locations is not None:
            _set_locations(s, net.id, body.locations)
        return _network(s, net)


@router.get("/channels", response_model=Page)
def list_channels(_: Reader, db: DbDep) -> Any:
    with db.session() as s:
        return Page(items=[_channel(c) for c in s.exec(select(Channel).order_by(Channel.id))])


@router.post(
    "/channels",
    status_code=201,
    response_model=ChannelPublic,
    responses=error_responses(
        ErrorCode.ALREADY_EXISTS, ErrorCode.UNKNOWN_MARKET, ErrorCode.UNKNOWN_CURRENCY
    ),
)
def create_channel(
    body: ChannelIn, response: Response, _: Admin, db: DbDep, _t: TopologyWrite
) -> Any:
    _check_terms(body.market, body.currency)
    with db.session() as s:
        if s.get(Channel, body.id) is not None:
            raise ApiError(ErrorCode.ALREADY_EXISTS, f"channel {body.id} exists", "id")
        _require_network(s, body.network_id)
        ch = Channel(**body.model_dump(exclude={"buffer"}))
        _set_buffer(ch, body.buffer)
        s.add(ch)
        s.flush()
        response.headers["Location"] = f"/channels/{ch.id}"
        return _channel(ch)


@router.patch(
    "/channels/{channel_id}",
    response_model=ChannelPublic,
    responses=error_responses(
        ErrorCode.CHANNEL_NOT_FOUND, ErrorCode.UNKNOWN_MARKET, ErrorCode.UNKNOWN_CURRENCY
    ),
)
def update_channel(
    channel_id: str, body: ChannelUpdate, _: Admin, db: DbDep, _t: TopologyWrite
) -> Any:
    _check_terms(body.market, body.currency)
    with db.session() as s:
        ch = s.get(Channel, channel_id)
        if ch is None:
            raise ApiError(ErrorCode.CHANNEL_NOT_FOUND, f"no channel {channel_id}", "channel_id")
        if "buffer" in body.model_fields_set:
            _set_buffer(ch, body.buffer)
        for nullable in ("locale", "currency"):  # null too: the channel has none then
            if nullable in body.model_fields_set:
                setattr(ch, nullable, getattr(body, nullable))
        changes = body.model_dump(
            exclude_unset=True, exclude_none=True, exclude={"buffer", "locale", "currency"}
        )
        if "network_id" in changes:
            _require_network(s, changes["network_id"])
        for field, value in changes.items():
            setattr(ch, field, value)
        s.add(ch)
        s.flush()
        return _channel(ch)


@router.delete(
    "/networks/{network_id}",
    status_code=204,
    responses=error_responses(ErrorCode.NETWORK_NOT_FOUND, ErrorCode.IN_USE),
)
def delete_network(network_id: str, _: Admin, db: DbDep, _t: TopologyWrite) -> Response:
    """Only a network no channel sells from."""
    with db.session() as s:
        net = s.get(Network, network_id)
        if net is None:
            raise ApiError(ErrorCode.NETWORK_NOT_FOUND, f"no network {network_id}", "network_id")
        user = s.exec(select(Channel.id).where(Channel.network_id == network_id).limit(1)).first()
        if user is not None:
            raise ApiError(
                ErrorCode.IN_USE, f"channel {user} sells from {network_id}", "network_id"
            )
        s.exec(delete(NetworkLocation).where(col(NetworkLocation.network_id) == network_id))
        s.delete(net)
    return Response(status_code=204)


@router.delete(
    "/channels/{channel_id}",
    status_code=204,
    responses=error_responses(ErrorCode.CHANNEL_NOT_FOUND, ErrorCode.IN_USE),
)
def delete_channel(channel_id: str, _: Admin, db: DbDep, _t: TopologyWrite) -> Response:
    """Only a channel no safety rule, exclusion or sourcing profile names: those would be
    left pointing at nothing."""
    with db.session() as s:
        ch = s.get(Channel, channel_id)
        if ch is None:
            raise ApiError(ErrorCode.CHANNEL_NOT_FOUND, f"no channel {channel_id}", "channel_id")
        uses: dict[str, Any] = {
            "safety rules": SafetyRule.channel,
            "exclusions": Exclusion.channel,
            "sourcing profiles": SourcingProfile.channel,
        }
        if (what := first_use(s, uses, channel_id)) is not None:
            raise ApiError(ErrorCode.IN_USE, f"channel {channel_id} has {what}", "channel_id")
        s.delete(ch)
    return Response(status_code=204)
