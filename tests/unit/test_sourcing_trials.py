"""Replaying a draft profile: what a plan costs and what changes between two profiles' plans."""

from __future__ import annotations

import math
from typing import Any

import pytest

from oms.domain.geo import EARTH_RADIUS_KM, GeoPoint
from oms.domain.sourcing import (
    Allocation,
    Candidate,
    Demand,
    FactLine,
    OrderFacts,
    SourcingPlan,
    source_order,
)
from oms.domain.sourcing.profiles import DEFAULT_PROFILE, SourcingProfile, UnplacedAction
from oms.domain.sourcing.trials import compare, measure, same_outcome, totals

# Everything lies on the equator, where a degree of longitude is the same number of km.
KM_PER_DEGREE = 2 * math.pi * EARTH_RADIUS_KM / 360
HOME = GeoPoint(lat=0, lon=0)


def at(lon: float) -> GeoPoint:
    return GeoPoint(lat=0, lon=lon)


STORE = Candidate(
    location_id="ST",
    type="store",
    point=at(0.1),
    available={"TEE": 10, "MUG": 10, "JEAN": 10, "PHONE": 10},
)
WAREHOUSE = Candidate(
    location_id="WH", type="warehouse", point=at(1.0), available={"TEE": 10, "MUG": 10}
)
FAR_WAREHOUSE = Candidate(
    location_id="WH2", type="warehouse", point=at(3.0), available={"JEAN": 10}
)
NETWORK = [STORE, WAREHOUSE, FAR_WAREHOUSE]

CENTRAL = SourcingProfile.model_validate(
    {
        "id": "central",
        "version": 1,
        "strategies": [
            {"name": "collect", "conditions": {"delivery": ["collect"]}},
            {"name": "central", "filters": {"location_types": ["warehouse"]}},
        ],
        "fallback": {
            "name": "warehouse-or-backorder",
            "filters": {"location_types": ["warehouse"]},
            "split": {"unplaced": "backorder"},
        },
        "costs": {
            "warehouse": {"per_parcel": 300, "per_km": 1},
            "store": {"per_parcel": 500, "per_km": 2},
        },
    }
)


def facts(*lines: tuple[str, int], collect: bool = False) -> OrderFacts:
    return OrderFacts(
        delivery="collect" if collect else "ship",
        destination=None if collect else HOME,
        lines=[FactLine(line_id=str(i), sku=sku, qty=q) for i, (sku, q) in enumerate(lines, 1)],
    )


def plan(allocations: list[tuple[str, str, int]], **kw: Any) -> SourcingPlan:
    return SourcingPlan(
        allocations=[
            Allocation(location_id=loc, line_id=str(i), sku=sku, qty=qty)
            for i, (loc, sku, qty) in enumerate(allocations, 1)
        ],
        **kw,
    )


def test_a_plan_is_measured_in_shipments_km_cost_and_units_left() -> None:
    p = plan(
        [("WH", "TEE", 2), ("WH2", "JEAN", 1)],
        unplaced=[Demand(line_id="3", sku="PHONE", qty=2)],
        unplaced_action=UnplacedAction.HOLD,
    )
    m = measure(p, NETWORK, HOME, CENTRAL)
    assert (m.locations, m.shipments, m.units_unplaced) == (["WH", "WH2"], 2, 2)
    assert m.unplaced_action is UnplacedAction.HOLD
    assert m.distance_km == pytest.approx(4 * KM_PER_DEGREE, abs=1e-3)
    # 300 per parcel and 1 per km from each warehouse: 600 + 4 degrees of km.
    assert m.cost == round(600 + 4 * KM_PER_DEGREE)


def test_without_a_destination_there_is_no_distance_and_parcels_cost_their_fixed_rate() -> None:
    m = measure(plan([("ST", "TEE", 1)]), NETWORK, None, CENTRAL)
    assert (m.distance_km, m.cost, m.unplaced_action) == (None, 500, None)


def test_a_type_without_a_rate_costs_the_catch_all_rate_else_nothing() -> None:
    catch_all = CENTRAL.model_copy(update={"costs": {"*": CENTRAL.costs["warehouse"]}})
    p = plan([("ST", "TEE", 1)])
    assert measure(p, NETWORK, HOME, catch_all).cost == round(300 + 0.1 * KM_PER_DEGREE)
    assert measure(p, NETWORK, HOME, DEFAULT_PROFILE).cost == 0


def test_plans_taking_the_same_units_from_the_same_places_are_the_same_outcome() -> None:
    a = plan([("ST", "TEE", 1), ("WH", "MUG", 1)], strategy="one")
    b = SourcingPlan(allocations=list(reversed(a.allocations)), strategy="another")
    assert same_outcome(a, b)
    assert not same_outcome(a, plan([("WH", "TEE", 1), ("WH", "MUG", 1)]))


def test_the_fate_of_unplaced_units_is_part_of_the_outcome_only_when_some_are_unplaced() -> None:
    left = [Demand(line_id="1", sku="TEE", qty=1)]
    cancelled = SourcingPlan(unplaced=left, unplaced_action=UnplacedAction.CANCEL)
    held = SourcingPlan(unplaced=left, unplaced_action=UnplacedAction.HOLD)
    assert not same_outcome(cancelled, held)
    placed = plan([("ST", "TEE", 1)])
    assert same_outcome(placed, placed.model_copy(update={"unplaced_action": "hold"}))


def test_trying_a_central_warehouse_draft_reports_each_change_and_the_totals() -> None:
    orders = {
        "tee-and-mug": facts(("TEE", 2), ("MUG", 1)),  # store -> the warehouse
        "tee-and-jeans": facts(("TEE", 1), ("JEAN", 1)),  # store -> both warehouses
        "phone": facts(("PHONE", 1)),  # store -> no warehouse has one: backordered
        "collect": facts(("TEE", 1), collect=True),  # the store, as before
    }
    trials = []
    for order_id, order in orders.items():
        cands = [STORE] if order.delivery == "collect" else NETWORK
        trials.append(
            compare(
                order_id,
                "web",
                before=source_order(order, cands, DEFAULT_PROFILE),
                after=source_order(order, cands, CENTRAL),
                candidates=cands,
                destination=order.destination,
                costs=CENTRAL,
                sourced_with=DEFAULT_PROFILE.ref,
            )
        )
    by_id = {r.order_id: r for r in trials}
    assert {i: r.changed for i, r in by_id.items()} == {
        "tee-and-mug": True,
        "tee-and-jeans": True,
        "phone": True,
        "collect": False,
    }
    assert [r.before.locations for r in trials] == [["ST"]] * 4
    assert [r.after.locations for r in trials] == [["WH"], ["WH", "WH2"], [], ["ST"]]
    phone = by_id["phone"].after
    assert (phone.units_unplaced, phone.unplaced_action) == (1, UnplacedAction.BACKORDER)
    assert by_id["collect"].before.distance_km is None

    total = totals(trials)
    assert (total.orders, total.changed) == (4, 3)
    assert total.shipments.model_dump() == {"before": 4, "after": 4, "difference": 0}
    assert total.split_orders.model_dump() == {"before": 0, "after": 1, "difference": 1}
    assert total.not_placed_in_full.model_dump() == {"before": 0, "after": 1, "difference": 1}
    assert total.units_unplaced.model_dump() == {"before": 0, "after": 1, "difference": 1}
    km = total.distance_km
    assert km.before == pytest.approx(0.3 * KM_PER_DEGREE, abs=1e-2)
    assert km.after == pytest.approx(5 * KM_PER_DEGREE, abs=1e-2)
    assert km.difference == pytest.approx(4.7 * KM_PER_DEGREE, abs=1e-2)
    # Store parcels at 500 + 2/km (the collection: no km), warehouse parcels at 300 + 1/km.
    store_parcel = round(500 + 2 * 0.1 * KM_PER_DEGREE)
    before_cost = 3 * store_parcel + 500
    after_cost = round(300 + KM_PER_DEGREE) + round(600 + 4 * KM_PER_DEGREE) + 0 + 500
    assert total.cost.model_dump() == {
        "before": before_cost,
        "after": after_cost,
        "difference": after_cost - before_cost,
    }
    assert (before_cost, after_cost) == (2066, 1956)


def test_no_orders_total_to_zero() -> None:
    total = totals([])
    assert (total.orders, total.changed, total.cost.difference, total.distance_km.after) == (
        0,
        0,
        0,
        0.0,
    )
