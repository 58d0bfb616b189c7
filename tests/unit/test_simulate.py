"""`oms simulate`'s choices, without a stack: which orders go to fraud review, who the
customers are, where an order is collected, and how an ending is told."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from oms.domain.fraud import CustomerHistory, FraudDecision, FraudPolicy, assess
from oms.domain.order import OrderIn
from oms.seed import products
from oms.simulate import REVIEW_EVERY, collect_store, ending, new_order, ship_to

CATEGORIES = {p["sku"]: p["category"] for p in products()}


def _decision(body: dict[str, Any]) -> FraudDecision:
    body = {
        **body,
        "delivery": ship_to(random.Random(0), {"name": "Paris", "lat": 48.9, "lon": 2.3}),
    }
    return assess(
        OrderIn.model_validate(body),
        categories=CATEGORIES,
        history=CustomerHistory(),  # every simulated customer is new to the OMS
        policy=FraudPolicy(),
    ).decision


def test_every_fourth_order_is_held_for_review_and_no_order_is_rejected() -> None:
    rng = random.Random(7)
    decisions = [_decision(new_order(rng, "abc123", n)) for n in range(40)]

    assert [n for n, d in enumerate(decisions) if d is FraudDecision.REVIEW] == list(
        range(0, 40, REVIEW_EVERY)
    )
    assert FraudDecision.REJECT not in decisions


def test_customer_ids_carry_the_run_and_are_never_reused_within_it() -> None:
    rng = random.Random(1)
    customers = [new_order(rng, "abc123", n)["customer"]["id"] for n in range(50)]

    assert len(set(customers)) == 50
    assert all(c.startswith("SIM-abc123-CUST-") for c in customers)


def _store(location_id: str, **atp: int) -> dict[str, Any]:
    return {
        "location_id": location_id,
        "type": "store",
        "distance_km": 1.0,
        "lines": [{"sku": sku, "quantity": 1, "atp": n} for sku, n in atp.items()],
    }


def test_a_collect_order_goes_to_the_nearest_store_still_holding_the_cart() -> None:
    options = {"collect_at": [_store("ST-NEAR", A=2, B=1), _store("ST-FAR", A=5, B=5)]}

    assert collect_store(options, {"A": 2, "B": 1}, Counter()) == "ST-NEAR"
    # Units this run already ordered may come from that store: they are set aside.
    assert collect_store(options, {"A": 2, "B": 1}, Counter({"A": 1})) == "ST-FAR"
    assert collect_store(options, {"A": 2, "B": 1}, Counter({"B": 5})) is None
    assert collect_store({"collect_at": []}, {"A": 1}, Counter()) is None


def _view(status: str, **extra: Any) -> dict[str, Any]:
    return {"status": status, "lines": [], "timeline": [], **extra}


def test_a_cancelled_order_is_told_with_its_reason_and_who_cancelled_it() -> None:
    view = _view(
        "CANCELLED",
        cancel_reason="out_of_stock",
        timeline=[
            {"type": "order_received", "actor": "storefront"},
            {"type": "order_cancelled", "actor": "sourcing", "detail": {}},
        ],
    )

    assert ending(view, 300) == "CANCELLED, reason out_of_stock (by sourcing)"


def test_units_cancelled_in_a_completed_order_are_told_and_a_plain_completion_is_not() -> None:
    lines = [
        {"line_id": "1", "cancelled": 1, "cancel_reason": "out_of_stock"},
        {"line_id": "2", "cancelled": 0, "cancel_reason": None},
    ]

    assert ending(_view("COMPLETED", lines=lines), 300) == (
        "COMPLETED without line 1 1 unit(s) out_of_stock"
    )
    assert ending(_view("COMPLETED"), 300) is None


def test_an_order_still_running_at_the_deadline_says_where_it_stopped() -> None:
    view = _view("AWAITING_REVIEW", timeline=[{"type": "fraud_review_requested"}])

    assert (
        ending(view, 300)
        == "still AWAITING_REVIEW after 300 s (last event: fraud_review_requested)"
    )
    assert ending(None, 300) == "never answered GET /orders/{id}"
