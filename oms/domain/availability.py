"""Available-to-promise: what a location and a channel may sell, and why. Pure and deterministic.

ATP(location) = max(0, on hand - reserved - safety stock) when the location is open, else 0.
In-transit stock is shown but never promised.

ATP(channel) = max(0, sum of ATP(location) over the channel's network, less the locations an
exclusion keeps out, less the channel buffer). It is 0 when the SKU or its category is not sold
in the channel or its market. A percentage buffer applies to the on-hand of the locations that
count (open and not excluded). Each location is floored on its own: a location that owes more
than it holds does not eat into another location's stock.

Which safety rule applies, and the precedence when several match, is in ``oms.domain.safety``:
sku_at_location > sku > category > location > dropship_vendor > location_type at a location;
channel + sku > channel + category > channel-wide for the buffer; at the same level the larger
quantity wins, then the smaller rule id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

from oms.domain.delivery import CountryCode
from oms.domain.safety import (
    NO_SAFETY,
    AppliedSafety,
    LocationType,
    SafetyBook,
    SafetyQuantity,
    SafetyRule,
    SafetyScope,
    channel_buffer,
)
from oms.domain.words import listed


class LocationInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    type: LocationType
    vendor_id: str | None = None
    country: CountryCode
    is_open: bool = True

    @model_validator(mode="after")
    def _only_dropship_has_a_vendor(self) -> LocationInfo:
        if self.vendor_id is not None and self.type != "dropship":
            raise ValueError(f"a {self.type} has no drop-ship vendor")
        return self


class Position(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: str = Field(min_length=1)
    location_id: str = Field(min_length=1)
    on_hand: int = Field(ge=0)
    # May exceed on_hand: a cycle count can find fewer units than are already promised.
    reserved: int = Field(ge=0)
    in_transit: int = Field(default=0, ge=0)
    # Set apart by a reason code's quarantine effect: not in on_hand, never promised.
    quarantined: int = Field(default=0, ge=0)


class Stock(NamedTuple):
    """A position as read from the database, for the hot path (no validation, no copies)."""

    sku: str
    location_id: str
    on_hand: int
    reserved: int
    in_transit: int = 0
    quarantined: int = 0


class ProductInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: str = Field(min_length=1)
    category: str = Field(min_length=1)


class Channel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    market: str = Field(min_length=1)
    network: list[str]
    buffer: SafetyQuantity | None = None


class Exclusion(BaseModel):
    """Keeps a SKU, a category or a location out of a channel or a market.

    Every field set must match. Without ``location_id`` the product is not sold there at all;
    with it, that location does not sell into the channel (for that product only, if one is set).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    channel: str | None = None
    market: str | None = None
    sku: str | None = None
    category: str | None = None
    location_id: str | None = None

    @model_validator(mode="after")
    def _says_what_and_where(self) -> Exclusion:
        if self.channel is None and self.market is None:
            raise ValueError("an exclusion names a channel or a market")
        if self.sku is None and self.category is None and self.location_id is None:
            raise ValueError("an exclusion names a sku, a category or a location")
        if self.sku is not None and self.category is not None:
            raise ValueError("an exclusion names a sku or a category, not both")
        return self

    def applies(self, channel: Channel, product: ProductInfo, location_id: str | None) -> bool:
        """Whether it matches; ``location_id=None`` asks about the product in the whole channel."""
        return self.location_id == location_id and self.applies_to_product(channel, product)

    def applies_to_product(self, channel: Channel, product: ProductInfo) -> bool:
        """Whether it matches this product in this channel, wherever its location."""
        return (
            self.channel in (None, channel.id)
            and self.market in (None, channel.market)
            and self.sku in (None, product.sku)
            and self.category in (None, product.category)
        )


class LocationTerms(BaseModel):
    on_hand: int
    reserved: int
    in_transit: int
    quarantined: int = 0
    safety: int
    safety_rule: str | None
    safety_scope: SafetyScope | None
    closed: bool


class LocationAtp(BaseModel):
    sku: str
    location_id: str
    atp: int
    terms: LocationTerms

    def explain(self) -> str:
        t = self.terms
        rule = f" (rule {t.safety_rule}, {t.safety_scope})" if t.safety_rule else ""
        sum_ = f"on hand {t.on_hand} - reserved {t.reserved} - safety {t.safety}{rule}"
        apart = f"; {t.quarantined} quarantined, not counted" if t.quarantined else ""
        if t.closed:
            return f"{self.location_id}: closed, promises 0 ({sum_}){apart}"
        raw = t.on_hand - t.reserved - t.safety
        floored = f", floored from {raw}" if raw < 0 else ""
        return f"{self.location_id}: {sum_} = {self.atp}{floored}{apart}"


class ChannelLocation(BaseModel):
    location_id: str
    counted: int
    excluded_by: str | None
    location: LocationAtp


class ChannelTerms(BaseModel):
    network_atp: int
    counted_on_hand: int
    buffer: int
    buffer_rule: str | None
    excluded_by: str | None


class ChannelAtp(BaseModel):
    sku: str
    channel_id: str
    atp: int
    terms: ChannelTerms
    by_location: dict[str, int]
    locations: list[ChannelLocation]

    def explain(self) -> str:
        t = self.terms
        head = f"{self.sku} in {self.channel_id}: {self.atp} to promise"
        if t.excluded_by is not None:
            lines = [f"{head}, not sold here (exclusion {t.excluded_by})"]
        else:
            rule = f" (rule {t.buffer_rule})" if t.buffer_rule else ""
            lines = [head, f"  network {t.network_atp} - buffer {t.buffer}{rule}"]
        for line in self.locations:
            if line.excluded_by is not None:
                lines.append(f"  {line.location_id}: excluded by {line.excluded_by}, counts 0")
            else:
                lines.append(f"  {line.location.explain()}")
        return "\n".join(lines)


class StockEvent(StrEnum):
    OUT_OF_STOCK = "out_of_stock"
    BACK_IN_STOCK = "back_in_stock"
    LOW_STOCK = "low_stock"


def _atp(on_hand: int, reserved: int, safety: int, is_open: bool) -> int:
    """ATP(location): the one formula every path uses."""
    return max(0, on_hand - reserved - safety) if is_open else 0


def _figure(
    on_hand: int, reserved: int, location: LocationInfo, book: SafetyBook | None
) -> tuple[int, AppliedSafety]:
    """ATP(location) and the safety rule behind it."""
    safety = (
        book.at(
            location_id=location.id,
            location_type=location.type,
            vendor_id=location.vendor_id,
            on_hand=on_hand,
        )
        if book is not None
        else NO_SAFETY
    )
    return _atp(on_hand, reserved, safety.quantity, location.is_open), safety


def _located(
    position: Position | Stock,
    location: LocationInfo,
    product: ProductInfo,
    atp: int,
    s: AppliedSafety,
) -> LocationAtp:
    # Built from figures already checked: no second validation on the hot path.
    return LocationAtp.model_construct(
        sku=product.sku,
        location_id=location.id,
        atp=atp,
        terms=LocationTerms.model_construct(
            on_hand=position.on_hand,
            reserved=position.reserved,
            in_transit=position.in_transit,
            quarantined=position.quarantined,
            safety=s.quantity,
            safety_rule=s.rule_id,
            safety_scope=s.scope,
            closed=not location.is_open,
        ),
    )


def atp_location(
    position: Position,
    location: LocationInfo,
    product: ProductInfo,
    rules: Iterable[SafetyRule],
) -> LocationAtp:
    """What one location may promise of one SKU, with the terms that make the figure."""
    if position.location_id != location.id or position.sku != product.sku:
        raise ValueError(
            f"position {position.sku}@{position.location_id} is not {product.sku}@{location.id}"
        )
    book = SafetyBook(rules, sku=product.sku, category=product.category)
    atp, safety = _figure(position.on_hand, position.reserved, location, book)
    return _located(position, location, product, atp, safety)


def atp_channel(
    sku: str,
    channel: Channel,
    positions: Iterable[Position | Stock],
    locations: Mapping[str, LocationInfo],
    product: ProductInfo,
    rules: Sequence[SafetyRule],
    exclusions: Iterable[Exclusion],
    *,
    detail: bool = True,
) -> ChannelAtp:
    """What a channel may promise of one SKU, with every location's share and why.

    ``positions`` may hold other SKUs and locations; a network location without a position has
    nothing on hand. Every network location must be in ``locations``. ``by_location`` always
    holds what each location counts for; ``detail=False`` leaves ``locations`` (the terms of
    each location) empty, for the many lookups that only want the figures.
    """
    if product.sku != sku:
        raise ValueError(f"product {product.sku} is not {sku}")
    network = list(dict.fromkeys(channel.network))
    in_network = set(network)
    by_location: dict[str, Position | Stock] = {}
    for p in positions:
        if p.sku == sku and p.location_id in in_network:
            if p.location_id in by_location:
                raise ValueError(f"two positions for {sku}@{p.location_id}")
            by_location[p.location_id] = p
    if unknown := [loc for loc in network if loc not in locations]:
        raise ValueError(f"channel {channel.id} lists unknown locations {listed(unknown)}")
    # Only what can touch this SKU, so a large rule book costs once, not per location.
    relevant = [r for r in rules if r.sku in (None, sku) and r.category in (None, product.category)]
    excl = sorted(
        (e for e in exclusions if e.applies_to_product(channel, product)), key=lambda e: e.id
    )
    book = SafetyBook(relevant, sku=sku, category=product.category) if relevant else None
    by_location_excl = {e.location_id: e.id for e in reversed(excl) if e.location_id is not None}
    product_excluded = next((e.id for e in excl if e.location_id is None), None)

    lines: list[ChannelLocation] = []
    counted_by_location: dict[str, int] = {}
    counted_on_hand = 0
    network_atp = 0
    for loc_id in network:
        location = locations[loc_id]
        position = by_location.get(loc_id)
        on_hand, reserved = (position.on_hand, position.reserved) if position else (0, 0)
        if detail:
            atp, safety = _figure(on_hand, reserved, location, book)
        else:  # figures only: the same formula, without saying which rule
            held = (
                book.quantity_at(loc_id, location.type, location.vendor_id, on_hand)
                if book is not None
                else 0
            )
            atp = _atp(on_hand, reserved, held, location.is_open)
        excluded = by_location_excl.get(loc_id)
        if excluded is None and location.is_open:
            counted_on_hand += on_hand
        counted = 0 if excluded is not None else atp
        network_atp += counted
        # A product kept out of the channel counts for nothing at any location: none may
        # offer or source it (the terms still show what it would have been).
        counted_by_location[loc_id] = 0 if product_excluded is not None else counted
        if detail:
            position = position or Stock(sku, loc_id, 0, 0)
            lines.append(
                ChannelLocation.model_construct(
                    location_id=loc_id,
                    counted=counted_by_location[loc_id],
                    excluded_by=excluded,
                    location=_located(position, location, product, atp, safety),
                )
            )

    buffer = channel_buffer(
        relevant,
        channel_id=channel.id,
        default=channel.buffer,
        sku=sku,
        category=product.category,
        on_hand=counted_on_hand,
    )
    atp = 0 if product_excluded is not None else max(0, network_atp - buffer.quantity)
    return ChannelAtp(
        sku=sku,
        channel_id=channel.id,
        atp=atp,
        terms=ChannelTerms(
            network_atp=network_atp,
            counted_on_hand=counted_on_hand,
            buffer=buffer.quantity,
            buffer_rule=buffer.rule_id,
            excluded_by=product_excluded,
        ),
        by_location=counted_by_location,
        locations=lines,
    )


def crossing(previous: int, current: int, low_stock: int) -> StockEvent | None:
    """The storefront event, if any, when a channel ATP moves from ``previous`` to ``current``.

    Running out wins over everything; coming back in stock wins over being low (a storefront
    first needs to know it can sell again); low stock fires once, on the way down into
    ``1..low_stock``. ``low_stock=0`` turns low-stock events off.
    """
    if low_stock < 0:
        raise ValueError("low_stock must be zero or more")
    if previous > 0 and current <= 0:
        return StockEvent.OUT_OF_STOCK
    if previous <= 0 and current > 0:
        return StockEvent.BACK_IN_STOCK
    if previous > low_stock >= current > 0:
        return StockEvent.LOW_STOCK
    return None
