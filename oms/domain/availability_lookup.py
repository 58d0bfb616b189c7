"""A lookup of available-to-promise: a channel's setup and the facts read for some SKUs in,
each SKU's channel figures out. Pure; ``oms.db.availability`` reads the facts.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from oms.domain.availability import (
    Channel,
    ChannelAtp,
    Exclusion,
    LocationInfo,
    ProductInfo,
    Stock,
    atp_channel,
)
from oms.domain.geo import GeoPoint
from oms.domain.safety import SafetyRule


@dataclass(frozen=True)
class ChannelSetup:
    """A channel as ATP sees it: its market, network, buffer and low-stock threshold."""

    channel: Channel
    network_id: str
    locations: dict[str, LocationInfo]
    points: dict[str, GeoPoint]
    low_stock: int


@dataclass(frozen=True)
class AtpFacts:
    """What one lookup read: the products asked about that exist, the safety rules and the
    channel's exclusions that can touch them, and their positions by SKU."""

    products: dict[str, ProductInfo]
    rules: list[SafetyRule]
    exclusions: list[Exclusion]
    positions: dict[str, list[Stock]] = field(default_factory=dict)


def atp_for(
    setup: ChannelSetup, facts: AtpFacts, skus: Collection[str], *, detail: bool = False
) -> dict[str, ChannelAtp | None]:
    """Each SKU's ATP in the channel and what each location counts for (with every term when
    ``detail``); None for a SKU not in the catalogue."""
    out: dict[str, ChannelAtp | None] = {}
    for sku in skus:
        product = facts.products.get(sku)
        out[sku] = (
            None
            if product is None
            else atp_channel(
                sku,
                setup.channel,
                facts.positions.get(sku, []),
                setup.locations,
                product,
                facts.rules,
                facts.exclusions,
                detail=detail,
            )
        )
    return out


def atp_where_held(
    setup: ChannelSetup, facts: AtpFacts, skus: Collection[str]
) -> dict[str, ChannelAtp | None]:
    """As ``atp_for`` (figures only), each SKU computed over the network locations holding a
    position of it: the same figures, since a location without a position has nothing on hand
    and counts for 0 at any safety stock, and ``by_location`` names only those locations. A
    lookup of a few SKUs in a network of hundreds of locations visits the few that hold each."""
    in_network = set(setup.channel.network)
    out: dict[str, ChannelAtp | None] = {}
    for sku in skus:
        product = facts.products.get(sku)
        if product is None:
            out[sku] = None
            continue
        positions = facts.positions.get(sku, [])
        network = sorted(p.location_id for p in positions if p.location_id in in_network)
        out[sku] = atp_channel(
            sku,
            setup.channel.model_copy(update={"network": network}),
            positions,
            setup.locations,
            product,
            facts.rules,
            facts.exclusions,
            detail=False,
        )
    return out
