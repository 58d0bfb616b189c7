"""Services through sourcing: a line asking a value-added service (gift wrap, engraving...) is
only sourced where the location's fulfilment profile performs it, and the explanation says
which locations were left out for it."""

from __future__ import annotations

from typing import Any

from oms.domain.fulfilment_profiles import Service
from oms.domain.geo import GeoPoint
from oms.domain.sourcing import Candidate, FactLine, OrderFacts, source_order
from oms.domain.sourcing.profiles import UnplacedAction
from tests.factories import order

PARIS = GeoPoint(lat=48.8566, lon=2.3522)
NEAR = GeoPoint(lat=48.86, lon=2.35)  # ~1 km
FAR = GeoPoint(lat=48.80, lon=2.13)  # ~17 km
WRAP = frozenset({Service.GIFT_WRAP})


def cand(loc: str, point: GeoPoint, services: frozenset[Service] | None, **stock: int) -> Candidate:
    return Candidate(
        location_id=loc,
        type="store",
        point=point,
        available=stock or {"A": 5, "B": 5},
        services=services,
    )


def facts(*lines: dict[str, Any]) -> OrderFacts:
    return OrderFacts(destination=PARIS, lines=[FactLine.model_validate(x) for x in lines])


GIFT = {"line_id": "1", "sku": "A", "qty": 1, "services": ["gift_wrap"]}


def test_a_gift_wrap_line_goes_to_the_store_that_wraps_even_when_another_is_nearer() -> None:
    plan = source_order(
        facts(GIFT),
        [cand("NEAR", NEAR, frozenset()), cand("FAR", FAR, WRAP)],
    )

    assert plan.locations == ["FAR"]
    assert plan.explanation is not None
    [group] = plan.explanation.excluded
    assert (group.filter, group.location_ids) == ("service_not_offered: gift_wrap", ["NEAR"])


def test_the_explanation_names_every_service_a_location_lacks() -> None:
    both = {**GIFT, "services": ["gift_wrap", "engraving"]}
    plan = source_order(
        facts(both),
        [cand("NEAR", NEAR, WRAP), cand("FAR", FAR, frozenset(Service))],
    )

    assert plan.locations == ["FAR"]
    assert plan.explanation is not None
    assert [(g.filter, g.location_ids) for g in plan.explanation.excluded] == [
        ("service_not_offered: engraving", ["NEAR"])
    ]


def test_a_line_no_location_can_serve_is_unplaced_like_out_of_stock() -> None:
    plan = source_order(facts(GIFT), [cand("NEAR", NEAR, frozenset()), cand("FAR", FAR, None)])

    # FAR's services are not known (no profile lookup): it is not held to them
    assert plan.locations == ["FAR"]

    plan = source_order(facts(GIFT), [cand("NEAR", NEAR, frozenset())])
    assert plan.allocations == []
    assert [(d.line_id, d.qty) for d in plan.unplaced] == [("1", 1)]
    assert plan.unplaced_action is UnplacedAction.CANCEL
    assert plan.explanation is not None
    assert plan.explanation.excluded[0].filter == "service_not_offered: gift_wrap"


def test_a_store_that_cannot_wrap_still_ships_the_lines_without_a_service() -> None:
    plain = {"line_id": "2", "sku": "B", "qty": 1}
    plan = source_order(
        facts(GIFT, plain),
        [cand("NEAR", NEAR, frozenset()), cand("FAR", FAR, WRAP, A=5)],
    )

    assert {(a.line_id, a.location_id) for a in plan.allocations} == {("1", "FAR"), ("2", "NEAR")}
    assert plan.explanation is not None
    assert plan.explanation.excluded == []
    [limited] = plan.explanation.limited
    assert (limited.filter, limited.location_ids) == ("service_not_offered: gift_wrap", ["NEAR"])


def test_an_orders_facts_carry_each_lines_services() -> None:
    lines = [
        {"line_id": "1", "sku": "SKU-TEE", "quantity": 1, "unit_price": 100},
        {
            "line_id": "2",
            "sku": "SKU-MUG",
            "quantity": 1,
            "unit_price": 100,
            "services": ["engraving"],
        },
    ]
    seen = OrderFacts.of(order("S1", lines=lines), {})

    assert [x.services for x in seen.lines] == [[], [Service.ENGRAVING]]
    assert [x.services for x in seen.without_services().lines] == [[], []]
