"""Recommendations for a product page, a cart and an order confirmed: read what goes with
the anchors (``oms.db.affinity``), what the channel can promise of them and of the anchors
(``oms.db.availability``, one lookup for all), where the anchors would ship from (the sourcing
planner on the cart, or the pickup store, or the order's own fulfilment locations), and let
``oms.domain.recommendations`` blend, judge and rank.

Reads only: a handful of indexed queries per request whatever the cart (relations,
neighbours, products not sold, then the ATP lookup's products, rules, exclusions and
positions, and the channel's sourcing profile). The planner runs on ATP alone: the
locations' capacity and record (``oms.db.sourcing.location_facts``) are not read, so a cart
shipped from a location that turns out full today is placed elsewhere when ordered.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session

from oms.db import affinity, profiles
from oms.db import availability as av
from oms.domain.availability import ChannelAtp
from oms.domain.availability_lookup import ChannelSetup, atp_where_held
from oms.domain.geo import GeoPoint, distance_km
from oms.domain.geo.postal import locate
from oms.domain.geo.postal import region as postal_region
from oms.domain.recommendations import Link, Recommendation, Relation, RelationKind, rank
from oms.domain.sourcing import FactLine, OrderFacts, source_order
from oms.domain.sourcing.candidates import candidates_from
from oms.domain.sourcing.profiles import SourcingProfile
from oms.logging import get_logger

log = get_logger(__name__)

CONFIRMATION_LIMIT = 6


@dataclass(frozen=True)
class Ask:
    """What to recommend for: the cart's (sku, quantity) lines in a channel, shipped to a
    point (``destination``; ``region`` for the profiles' conditions), collected at
    ``pickup_store``, or already placed at ``locations``."""

    channel: str
    lines: Sequence[tuple[str, int]]
    destination: GeoPoint | None = None
    region: str | None = None
    pickup_store: str | None = None
    locations: Sequence[str] | None = None
    limit: int = 10
    strict: bool = True  # an anchor not in the catalogue raises UnknownSkus


class UnknownSkus(LookupError):
    def __init__(self, skus: list[str]) -> None:
        super().__init__(f"not in the catalogue: {', '.join(skus)}")
        self.skus = skus


class Answer(BaseModel):
    channel: str
    ships_from: list[str] = Field(
        description="Where the cart would ship from (or the pickup store), most units first"
    )
    missing: list[str] = Field(
        description="SKUs of the cart that cannot be had where it ships from (or at all)"
    )
    recommendations: list[Recommendation]
    substitutes: list[Recommendation] = Field(
        description="In place of a missing SKU: its substitutes the channel can promise"
    )


def destination_of(
    setup: ChannelSetup, point: GeoPoint | None, postal_code: str | None
) -> tuple[GeoPoint | None, str | None]:
    """The point to ship to and the profiles' region (``FR-75``): a postal code alone is
    placed, in the channel's market, at the centre of its postal area, else of the market's
    country (when it is a country we know), as an order's address is."""
    market = setup.channel.market.upper()
    region = postal_region(market, postal_code) if postal_code else None
    if point is None and postal_code:
        located = locate(market, postal_code)
        point = located.point if located is not None else None
    return point, region


def recommend(session: Session, setup: ChannelSetup, ask: Ask) -> Answer:
    anchors = list(dict.fromkeys(sku for sku, _qty in ask.lines))
    links = list(_links(anchors, affinity.links_of(session, anchors)))
    candidates = {link.sku for link in links} - set(anchors)
    unsold = affinity.not_sold(session, candidates)
    links = [link for link in links if link.sku not in unsold]
    wanted = [*anchors, *sorted(candidates)]
    facts = av.load_facts(session, setup, wanted)
    if ask.strict and (unknown := [sku for sku in anchors if sku not in facts.products]):
        raise UnknownSkus(unknown)
    figures = atp_where_held(setup, facts, wanted)
    quantities: dict[str, int] = {}
    for sku, qty in ask.lines:
        quantities[sku] = quantities.get(sku, 0) + qty
    if ask.locations is not None:
        shipping, missing = list(dict.fromkeys(ask.locations)), []
    elif ask.pickup_store is not None:
        store = ask.pickup_store
        shipping = [store]
        missing = [sku for sku, qty in quantities.items() if _held(figures, sku, store) < qty]
    else:
        categories = {sku: p.category for sku, p in facts.products.items()}
        shipping, missing = _planned(session, setup, ask, quantities, figures, categories)
    target = ask.destination
    if target is None and ask.pickup_store is not None:
        target = setup.points.get(ask.pickup_store)

    def distance(loc: str) -> float | None:
        point = setup.points.get(loc)
        return distance_km(target, point) if target is not None and point is not None else None

    substitutes = [
        link
        for link in links
        if link.kind is RelationKind.SUBSTITUTE and link.anchor in set(missing)
    ]
    add_ons = [link for link in links if link.kind is not RelationKind.SUBSTITUTE]
    return Answer(
        channel=setup.channel.id,
        ships_from=shipping,
        missing=missing,
        recommendations=rank(
            add_ons, figures, shipping, distance=distance, skip=anchors, limit=ask.limit
        ),
        substitutes=rank(
            substitutes, figures, shipping, distance=distance, skip=anchors, limit=ask.limit
        ),
    )


def _links(anchors: Sequence[str], linked: affinity.Linked) -> Iterator[Link]:
    for anchor in anchors:
        learnt = {sku: (n, lift) for sku, n, lift in linked.neighbours.get(anchor, [])}
        given: set[str] = set()
        for raw in linked.relations.get(anchor, []):
            relation = Relation.model_validate(raw)
            n, lift = learnt.get(relation.sku, (0, 0.0))
            given.add(relation.sku)
            yield Link(
                anchor=anchor,
                sku=relation.sku,
                kind=relation.kind,
                weight=relation.weight,
                together=n,
                lift=lift,
            )
        for sku, (n, lift) in learnt.items():
            if sku not in given:
                yield Link(anchor=anchor, sku=sku, together=n, lift=lift)


def _held(figures: Mapping[str, ChannelAtp | None], sku: str, loc: str) -> int:
    atp = figures.get(sku)
    return atp.by_location.get(loc, 0) if atp is not None and atp.atp > 0 else 0


def _planned(
    session: Session,
    setup: ChannelSetup,
    ask: Ask,
    quantities: Mapping[str, int],
    figures: Mapping[str, ChannelAtp | None],
    categories: Mapping[str, str],
) -> tuple[list[str], list[str]]:
    """The sourcing planner on the cart, with the channel's profile: the locations it ships
    from (most units first) and the SKUs it cannot place. A line the channel cannot promise
    (its buffer, an exclusion) is missing, as an order would find it."""
    sellable = {
        sku: figures[sku]
        for sku, qty in quantities.items()
        if (atp := figures.get(sku)) is not None and atp.atp >= qty
    }
    missing = [sku for sku in quantities if sku not in sellable]
    if not sellable:
        return [], missing
    order = OrderFacts(
        channel=setup.channel.id,
        destination=ask.destination,
        region=ask.region,
        lines=[
            FactLine(line_id=str(i), sku=sku, qty=quantities[sku], category=categories.get(sku, ""))
            for i, sku in enumerate(sellable, start=1)
        ],
    )
    plan = source_order(
        order,
        candidates_from(_holding(setup, sellable.values()), sellable),
        _profile(session, setup.channel.id),
    )
    units: dict[str, int] = {}
    for a in plan.allocations:
        units[a.location_id] = units.get(a.location_id, 0) + a.qty
    shipping = sorted(units, key=lambda loc: (-units[loc], loc))
    missing += [d.sku for d in plan.unplaced if d.sku not in missing]
    return shipping, missing


def _holding(setup: ChannelSetup, figures: Iterable[ChannelAtp | None]) -> ChannelSetup:
    """The setup with only the locations counting some stock of these SKUs: the planner's
    candidates are the same (a location holding none of the cart is no candidate), without
    visiting every location of a large network."""
    held = {loc for atp in figures if atp for loc, n in atp.by_location.items() if n > 0}
    return replace(setup, locations={k: v for k, v in setup.locations.items() if k in held})


# The channel's sourcing profile changes seldom and is read on every cart: each process keeps
# it for PROFILE_TTL_S, as ATP lookups keep the channels (oms.db.availability.TOPOLOGY_TTL_S).
PROFILE_TTL_S = 2.0
_profiles: dict[tuple[str, str], tuple[float, SourcingProfile]] = {}


def _profile(session: Session, channel: str) -> SourcingProfile:
    key = (str(session.get_bind().engine.url), channel)
    cached = _profiles.get(key)
    now = time.monotonic()
    if cached is not None and now - cached[0] < PROFILE_TTL_S:
        return cached[1]
    profile = profiles.in_force(session, channel)
    _profiles[key] = (now, profile)
    return profile


def for_confirmation(session: Session, payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``recommendations`` of an ``order.confirmed`` payload: what the order's own
    fulfilment locations hold (for a collection, its pickup store), so each ships or waits
    with the order."""
    store = payload.get("store_id")
    if payload.get("delivery_method") == "collect" and store:
        locations = [str(store)]
    else:
        locations = [str(f["location_id"]) for f in payload.get("fulfilments", [])]
    lines = [(str(x["sku"]), int(x["quantity"])) for x in payload.get("lines", [])]
    if not lines or not locations:
        return []
    channel = str(payload.get("channel", ""))
    setup = av.channel_setup(session, channel)
    ask = Ask(
        channel=channel, lines=lines, locations=locations, limit=CONFIRMATION_LIMIT, strict=False
    )
    answer = recommend(session, setup, ask)
    return [r.model_dump() for r in answer.recommendations if not r.extra_shipment]
