"""What sourcing reads and what it decides: the order's facts, the candidate locations and the
plan. The plan travels through workflow history: fields are only ever added, with defaults.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import BaseModel, Field

from oms.domain.delivery import Address, DeliveryMethod
from oms.domain.fulfilment_profiles import FulfilmentProfile, Service
from oms.domain.geo import GeoPoint, PointSource
from oms.domain.geo.postal import region as postal_region
from oms.domain.order.model import OrderIn
from oms.domain.sourcing.explain import SourcingExplanation
from oms.domain.sourcing.profiles import DeliveryKind, UnplacedAction


class Demand(BaseModel):
    line_id: str
    sku: str
    qty: int = Field(gt=0)


class Candidate(BaseModel):
    """A location that could fulfil, with what it can promise per SKU right now.

    Fields after ``available`` feed the profiles' filters and criteria; their defaults are
    neutral, so a caller that knows none of them gets today's behaviour.
    """

    location_id: str
    type: str
    point: GeoPoint
    is_open: bool = True
    available: dict[str, int]
    networks: list[str] = Field(default_factory=list)
    daily_capacity: int | None = Field(
        default=None, ge=0, description="Fulfilments it takes a day; None: unlimited"
    )
    capacity_used: int = Field(default=0, ge=0, description="Fulfilments it took today")
    open_work: int = Field(
        default=0,
        ge=0,
        description="Fulfilments taken before today and still open (not yet handed over or "
        "collected): today's capacity goes to them too",
    )
    lead_time_hours: float = Field(default=0, ge=0)
    reject_rate: float = Field(default=0, ge=0, le=1)
    short_pick_rate: float = Field(default=0, ge=0, le=1)
    vendor_id: str | None = Field(default=None, description="Drop-ship vendor")
    on_hand: dict[str, int] | None = Field(
        default=None, description="On hand per SKU, for stock balance; defaults to available"
    )
    services: frozenset[Service] | None = Field(
        default=None,
        description="The value-added services it performs (its fulfilment profile's vas "
        "step); None: not known, no line is kept from it for its services",
    )


class FactLine(BaseModel):
    line_id: str
    sku: str
    qty: int = Field(gt=0)
    category: str = ""
    services: list[Service] = Field(
        default_factory=list, description="Value-added services the line asks for"
    )


class OrderFacts(BaseModel):
    """What sourcing needs to know about an order."""

    channel: str = ""
    customer_tier: str = "standard"
    order_value: int = Field(default=0, ge=0, description="Minor units")
    currency: str = ""
    delivery: DeliveryKind = DeliveryKind.SHIP
    destination: GeoPoint | None = None
    # Where the destination came from, for the explanation (None: facts from before it).
    destination_source: PointSource | None = None
    destination_area: str | None = Field(
        default=None, description="The postal area (FR-75) or country (FR) it is the centre of"
    )
    country: str | None = None
    region: str | None = None
    lines: list[FactLine]

    @classmethod
    def of(
        cls,
        order: OrderIn,
        categories: Mapping[str, str],
        *,
        lines: Iterable[Demand] | None = None,
        region: str | None = None,
    ) -> OrderFacts:
        """The facts of a placed order; ``lines`` narrows it to what is being (re)sourced."""
        delivery = order.delivery
        kind = DeliveryKind.COLLECT
        if delivery.method is DeliveryMethod.SHIP:
            kind = DeliveryKind.EXPRESS if delivery.express else DeliveryKind.SHIP
        demands = (
            list(lines)
            if lines is not None
            else [Demand(line_id=x.line_id, sku=x.sku, qty=x.quantity) for x in order.lines]
        )
        services = {x.line_id: list(x.services) for x in order.lines}
        located = delivery.address.locate() if delivery.address else None
        return cls(
            channel=order.channel,
            customer_tier=order.customer.tier.value,
            order_value=order.total,
            currency=order.currency,
            delivery=kind,
            destination=located.point if located else None,
            destination_source=located.source if located else None,
            destination_area=located.area if located else None,
            country=delivery.address.country if delivery.address else None,
            region=region or (region_of(delivery.address) if delivery.address else None),
            lines=[
                FactLine(
                    line_id=d.line_id,
                    sku=d.sku,
                    qty=d.qty,
                    category=categories.get(d.sku, ""),
                    services=services.get(d.line_id, []),
                )
                for d in demands
            ],
        )

    def without_services(self) -> OrderFacts:
        """The facts as sourcing saw them before lines' services counted (runs recorded
        before it)."""
        if not any(line.services for line in self.lines):
            return self
        lines = [line.model_copy(update={"services": []}) for line in self.lines]
        return self.model_copy(update={"lines": lines})


def region_of(address: Address) -> str:
    """The region a profile's ``regions`` condition names: the country and the first two
    characters of the postal code, e.g. ``FR-75`` (Paris), ``FR-69`` (Rhône), ``BE-10``; a code
    written ``F-75004`` is in ``FR-75`` too."""
    return postal_region(address.country, address.postal_code)


class Allocation(BaseModel):
    location_id: str
    line_id: str
    sku: str
    qty: int = Field(gt=0)


class CandidateNote(BaseModel):
    location_id: str
    distance_km: float | None
    covers_units: int
    excluded: str | None = None


class SourcingPlan(BaseModel):
    allocations: list[Allocation] = Field(default_factory=list)
    unplaced: list[Demand] = Field(default_factory=list)
    strategy: str = ""
    candidates: list[CandidateNote] = Field(default_factory=list)
    unplaced_action: UnplacedAction = Field(
        default=UnplacedAction.CANCEL, description="What becomes of the unplaced units"
    )
    explanation: SourcingExplanation | None = None
    # The fulfilment profile each location runs for this order (when profiles are in use).
    fulfilment_profiles: dict[str, FulfilmentProfile] = Field(default_factory=dict)
    # A collection's lines its store could not serve: source location -> the store they are
    # transferred to, and the address the carrier takes them to.
    transfers: dict[str, str] = Field(default_factory=dict)
    transfer_address: Address | None = None

    @property
    def locations(self) -> list[str]:
        return sorted({a.location_id for a in self.allocations})

    def by_location(self) -> dict[str, list[Allocation]]:
        out: dict[str, list[Allocation]] = {}
        for a in self.allocations:
            out.setdefault(a.location_id, []).append(a)
        return dict(sorted(out.items()))
