"""Sourcing and the reservation ledger: what the order and fulfilment workflows ask."""

from __future__ import annotations

from pydantic import BaseModel, Field

from oms.domain.geo import GeoPoint
from oms.domain.reason_codes import StockEffect
from oms.domain.sourcing import Demand, OrderFacts


class SourcingRequest(BaseModel):
    order_id: str
    channel: str = Field(default="", description="Whose network, rules and exclusions apply")
    step_key: str = Field(description="Idempotency key: order id + sourcing step")
    demands: list[Demand]
    destination: GeoPoint | None = None
    only_locations: list[str] | None = Field(
        default=None, description="Restrict to these locations (e.g. the collection store)"
    )
    exclude: list[str] = Field(default_factory=list)
    cart_id: str | None = Field(
        default=None, description="A cart whose hold this order takes over, in the same step"
    )
    facts: OrderFacts | None = Field(
        default=None, description="The order as profiles' conditions see it (categories added)"
    )
    collect_store: str | None = Field(
        default=None,
        description="A collection's store: served there, what it lacks transferred to it "
        "where the profile allows it (instead of only_locations)",
    )


class ReleaseRequest(BaseModel):
    order_id: str
    step_key: str | None = None
    location_id: str | None = None
    picked_effect: StockEffect | None = Field(
        default=None,
        description="A cancellation's reason code's stock effect on the units already picked "
        "(write_off, quarantine); None or none: they go back to stock",
    )


class SourcingPreview(BaseModel):
    """Where sourcing would place units a fulfilment holds now, for another destination: the
    units it holds (by SKU, at ``held_at``) count as available there. Nothing is reserved."""

    request: SourcingRequest
    held_at: str
    held: dict[str, int]
    # Units held at several locations (by location, then SKU), counted as ``held`` is: a
    # collection's fulfilments moved to another store. ``held_at``'s own is one of them.
    holdings: dict[str, dict[str, int]] = Field(default_factory=dict)
