"""Two retailers' sourcing written as profiles: a luxury brand and a hardware chain."""

from __future__ import annotations

import pytest

from oms.domain.geo import GeoPoint
from oms.domain.sourcing import Candidate, FactLine, OrderFacts, source_order
from oms.domain.sourcing.profiles import SourcingProfile

LYON = GeoPoint(lat=45.764, lon=4.836)

# A luxury brand sends its high-value customers' orders (VIP, or any basket of 5,000 EUR or
# more) to its flagship stores, whole, from one store, and holds what they cannot place for a
# personal call rather than cancel it; everyone else gets the nearest location.
LUXURY = SourcingProfile.model_validate_json(
    """{
      "id": "maison", "version": 2, "status": "active", "channel": "web-fr",
      "strategies": [
        {"name": "vip-flagship",
         "conditions": {"customer_tiers": ["vip"]},
         "filters": {"networks": ["flagships"]},
         "criteria": [{"criterion": "stock_balance"}, {"criterion": "distance"}],
         "split": {"max_locations": 1, "split_lines": false, "unplaced": "hold"}},
        {"name": "high-value-flagship",
         "conditions": {"min_order_value": 500000, "currency": "EUR"},
         "filters": {"networks": ["flagships"]},
         "criteria": [{"criterion": "stock_balance"}, {"criterion": "distance"}],
         "split": {"max_locations": 1, "split_lines": false, "unplaced": "hold"}}
      ],
      "fallback": {"name": "nearest", "criteria": [{"criterion": "distance"}]}
    }"""
)


def boutique(loc: str, lat: float, lon: float, *networks: str, **stock: int) -> Candidate:
    return Candidate(
        location_id=loc,
        type="store",
        point=GeoPoint(lat=lat, lon=lon),
        available=stock,
        networks=list(networks),
    )


MAISON = [
    boutique("FLAGSHIP-PARIS", 48.869, 2.308, "flagships", "stores", BAG=4, SCARF=2),
    boutique("FLAGSHIP-CANNES", 43.551, 7.017, "flagships", "stores", BAG=1),
    boutique("LYON-OUTLET", 45.75, 4.85, "stores", BAG=6, SCARF=9),
]


def bag_order(tier: str, value: int) -> OrderFacts:
    return OrderFacts(
        channel="web-fr",
        customer_tier=tier,
        order_value=value,
        currency="EUR",
        destination=LYON,
        lines=[
            FactLine(line_id="1", sku="BAG", qty=1, category="leather"),
            FactLine(line_id="2", sku="SCARF", qty=1, category="silk"),
        ],
    )


def test_a_vip_order_goes_to_a_flagship_even_with_a_store_next_door() -> None:
    plan = source_order(bag_order("vip", 120_000), MAISON, LUXURY)

    assert (plan.strategy, plan.locations) == ("vip-flagship", ["FLAGSHIP-PARIS"])
    assert plan.explanation is not None
    assert plan.explanation.excluded[0].location_ids == ["LYON-OUTLET"]
    assert plan.explanation.excluded[0].filter == "network"


def test_a_high_value_basket_goes_to_a_flagship_whatever_the_tier() -> None:
    plan = source_order(bag_order("standard", 650_000), MAISON, LUXURY)

    assert (plan.strategy, plan.locations) == ("high-value-flagship", ["FLAGSHIP-PARIS"])
    assert plan.explanation is not None
    vip = plan.explanation.strategies[0]
    assert vip.outcome == "conditions_not_met"
    assert vip.reasons == ["customer tier 'standard' is not vip"]


def test_an_everyday_order_ships_from_the_nearest_store() -> None:
    plan = source_order(bag_order("standard", 40_000), MAISON, LUXURY)

    assert (plan.strategy, plan.locations) == ("nearest", ["LYON-OUTLET"])


def test_a_flagship_keeps_its_last_bag_when_another_has_more() -> None:
    # Stock balance comes before distance: Cannes would be left with no bag at all.
    order = bag_order("vip", 120_000).model_copy(
        update={"lines": [FactLine(line_id="1", sku="BAG", qty=1, category="leather")]}
    )

    plan = source_order(
        order.model_copy(update={"destination": GeoPoint(lat=43.7, lon=7.26)}), MAISON, LUXURY
    )

    assert plan.locations == ["FLAGSHIP-PARIS"]


def test_when_no_flagship_can_serve_a_vip_the_fallback_decides() -> None:
    flagships_out = [
        c.model_copy(update={"available": {}}) if "FLAGSHIP" in c.location_id else c for c in MAISON
    ]

    plan = source_order(bag_order("vip", 120_000), flagships_out, LUXURY)

    assert (plan.strategy, plan.locations) == ("nearest", ["LYON-OUTLET"])
    assert plan.explanation is not None
    assert [t.outcome for t in plan.explanation.strategies] == [
        "could_not_fulfil",
        "conditions_not_met",
        "chosen",
    ]


# A hardware chain ships parcels from its central stores (big stock, a loading dock) rather
# than from the local store; collection orders are served by the store itself; only when no
# central store can ship does a local store ship, central stores still first.
HARDWARE = SourcingProfile.model_validate(
    {
        "id": "bricolage",
        "version": 1,
        "status": "active",
        "strategies": [
            {
                "name": "ship-from-central",
                "conditions": {"delivery": ["ship", "express"]},
                "filters": {"location_types": ["central_store"]},
                "criteria": [{"criterion": "distance", "band": 100}, {"criterion": "cost"}],
            },
        ],
        "fallback": {
            "name": "any-store",
            "criteria": [
                {"criterion": "location_type", "prefer": ["central_store", "store"]},
                {"criterion": "distance"},
            ],
        },
        "costs": {"central_store": {"per_parcel": 250, "per_km": 0.5}, "*": {"per_parcel": 700}},
    }
)


def shop(loc: str, kind: str, lat: float, lon: float, **stock: int) -> Candidate:
    return Candidate(location_id=loc, type=kind, point=GeoPoint(lat=lat, lon=lon), available=stock)


CHAIN = [
    shop("CENTRAL-NORTH", "central_store", 49.0, 2.5, DRILL=40, SAW=10),
    shop("CENTRAL-EAST", "central_store", 45.9, 5.0, DRILL=40, SAW=10),
    shop("LOCAL-LYON-7", "store", 45.745, 4.84, DRILL=2, SAW=1),
]


def tool_order(delivery: str) -> OrderFacts:
    return OrderFacts(
        delivery=delivery,  # type: ignore[arg-type]
        destination=LYON,
        lines=[FactLine(line_id="1", sku="DRILL", qty=1), FactLine(line_id="2", sku="SAW", qty=1)],
    )


def test_a_parcel_ships_from_a_central_store_not_the_local_one() -> None:
    plan = source_order(tool_order("ship"), CHAIN, HARDWARE)

    assert (plan.strategy, plan.locations) == ("ship-from-central", ["CENTRAL-EAST"])
    assert plan.explanation is not None
    chosen = plan.explanation.candidates[0].scores
    assert chosen["cost"] == pytest.approx(250 + 0.5 * (chosen["distance"] or 0), abs=0.01)


def test_a_collection_is_served_by_the_store() -> None:
    # The storefront's collection store is the only candidate (the activity restricts it).
    plan = source_order(tool_order("collect"), CHAIN[2:], HARDWARE)

    assert (plan.strategy, plan.locations) == ("any-store", ["LOCAL-LYON-7"])


def test_without_central_stock_the_local_store_ships() -> None:
    empty = [c.model_copy(update={"available": {}}) for c in CHAIN[:2]]

    plan = source_order(tool_order("express"), [*empty, CHAIN[2]], HARDWARE)

    assert (plan.strategy, plan.locations) == ("any-store", ["LOCAL-LYON-7"])
