from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from oms.domain.fraud import (
    CustomerHistory,
    FraudAssessment,
    FraudDecision,
    FraudPolicy,
    assess,
)
from oms.domain.order import OrderIn

CATEGORIES = {
    "TV-55": "electronics",
    "GIFT-50": "gift_cards",
    "WATCH-1": "luxury",
    "SOFA-3": "furniture",
    "MUG-1": "kitchen",
}
SEASONED = CustomerHistory(completed_orders=12)
POLICY = FraudPolicy()


def make_order(
    *,
    lines: list[tuple[str, int]] | None = None,
    tier: str = "standard",
    ship_country: str = "FR",
    billing_country: str | None = None,
    collect: bool = False,
) -> OrderIn:
    """A valid EUR order; `lines` are (sku, unit price in cents), one of each."""
    address: dict[str, Any] = {
        "name": "Ada Martin",
        "line1": "1 rue de la Paix",
        "city": "Paris",
        "postal_code": "75002",
        "country": ship_country,
    }
    body: dict[str, Any] = {
        "id": "ord-1",
        "channel": "web",
        "customer": {"id": "cus-1", "email": "ada@example.com", "tier": tier},
        "lines": [
            {"line_id": str(i), "sku": sku, "quantity": 1, "unit_price": price}
            for i, (sku, price) in enumerate(lines or [("MUG-1", 1_500)], start=1)
        ],
        "currency": "EUR",
        "delivery": {"method": "collect", "store_id": "store-1"}
        if collect
        else {"method": "ship", "address": address},
        "payment_token": "tok_ok",
    }
    if billing_country is not None:
        body["billing_address"] = {**address, "country": billing_country}
    return OrderIn.model_validate(body)


def run(
    order: OrderIn,
    history: CustomerHistory = SEASONED,
    policy: FraudPolicy = POLICY,
) -> FraudAssessment:
    return assess(order, categories=CATEGORIES, history=history, policy=policy)


def codes(assessment: FraudAssessment) -> list[str]:
    return [reason.code for reason in assessment.reasons]


def test_an_ordinary_order_from_a_known_standard_customer_is_approved_with_no_reasons() -> None:
    result = run(make_order())

    assert result.decision is FraudDecision.APPROVE
    assert result.score == 0
    assert result.reasons == []
    assert (result.review_threshold, result.reject_threshold) == (40, 80)


def test_a_big_electronics_order_from_a_new_customer_goes_to_review() -> None:
    order = make_order(lines=[("TV-55", 200_000)], tier="new")

    result = run(order, history=CustomerHistory())

    assert result.decision is FraudDecision.REVIEW
    assert result.score == 25 + 20 + 15 + 10
    assert codes(result) == [
        "high_order_value",
        "risky_category",
        "new_customer",
        "no_order_history",
    ]


def test_a_vip_with_history_and_a_big_basket_is_approved() -> None:
    order = make_order(lines=[("SOFA-3", 600_000)], tier="vip")

    result = run(order)

    assert result.decision is FraudDecision.APPROVE
    assert result.score == 45 - 25
    assert codes(result) == ["very_high_order_value", "trusted_customer"]


def test_an_order_above_the_high_value_explains_the_amounts_in_its_currency() -> None:
    result = run(make_order(lines=[("MUG-1", 125_000)]))

    assert codes(result) == ["high_order_value"]
    assert result.reasons[0].points == 25
    assert result.reasons[0].detail == "order value 1250.00 EUR is above 1000.00 EUR"


def test_an_order_exactly_at_the_high_value_raises_nothing() -> None:
    result = run(make_order(lines=[("MUG-1", 100_000)]))

    assert result.reasons == []


def test_only_the_very_high_value_rule_fires_for_a_very_large_order() -> None:
    result = run(make_order(lines=[("SOFA-3", 300_000), ("SOFA-3", 300_000)]))

    assert codes(result) == ["very_high_order_value"]
    assert result.score == 45
    assert result.reasons[0].detail == "order value 6000.00 EUR is above 5000.00 EUR"


def test_a_new_customer_adds_points() -> None:
    result = run(make_order(tier="new"))

    assert codes(result) == ["new_customer"]
    assert result.score == 15


@pytest.mark.parametrize(("tier", "points"), [("gold", -10), ("vip", -25)])
def test_trusted_tiers_subtract_points(tier: str, points: int) -> None:
    result = run(make_order(lines=[("TV-55", 150_000)], tier=tier))

    assert codes(result) == ["high_order_value", "risky_category", "trusted_customer"]
    assert result.reasons[-1].points == points
    assert result.reasons[-1].detail == f"customer tier is {tier}"
    assert result.score == 25 + 20 + points


def test_a_customer_without_completed_orders_has_no_history() -> None:
    result = run(make_order(), history=CustomerHistory(completed_orders=0))

    assert codes(result) == ["no_order_history"]
    assert result.score == 10


def test_billing_in_another_country_than_shipping_is_a_mismatch() -> None:
    result = run(make_order(ship_country="FR", billing_country="NG"))

    assert codes(result) == ["address_mismatch"]
    assert result.score == 25
    assert result.reasons[0].detail == "billing country NG differs from shipping country FR"


def test_billing_in_the_shipping_country_is_not_a_mismatch() -> None:
    result = run(make_order(ship_country="FR", billing_country="FR"))

    assert result.reasons == []


def test_a_collect_order_is_never_an_address_mismatch() -> None:
    result = run(make_order(collect=True, billing_country="NG"))

    assert result.reasons == []


def test_risky_categories_fire_once_and_list_each_category() -> None:
    order = make_order(
        lines=[("WATCH-1", 1_000), ("TV-55", 1_000), ("TV-55", 1_000), ("MUG-1", 1_000)]
    )

    result = run(order)

    assert codes(result) == ["risky_category"]
    assert result.score == 20
    assert result.reasons[0].detail == "basket contains risky categories: electronics, luxury"


def test_skus_without_a_category_or_in_safe_categories_are_not_risky() -> None:
    result = run(make_order(lines=[("UNKNOWN-9", 1_000), ("SOFA-3", 1_000)]))

    assert result.reasons == []


def test_risky_categories_come_from_the_policy() -> None:
    policy = FraudPolicy.model_validate({"risky_categories": ["kitchen"]})

    result = run(make_order(lines=[("MUG-1", 1_000), ("TV-55", 1_000)]), policy=policy)

    assert result.reasons[0].detail == "basket contains risky categories: kitchen"


def test_more_orders_than_the_velocity_limit_in_the_window_is_suspicious() -> None:
    result = run(make_order(), history=CustomerHistory(completed_orders=5, orders_in_window=4))

    assert codes(result) == ["order_velocity"]
    assert result.score == 35
    assert result.reasons[0].detail == "4 other orders in the last 60 minutes, limit is 3"


def test_orders_up_to_the_velocity_limit_are_fine() -> None:
    result = run(make_order(), history=CustomerHistory(completed_orders=5, orders_in_window=3))

    assert result.reasons == []


def test_a_customer_with_an_earlier_fraud_cancellation_goes_to_review() -> None:
    history = CustomerHistory(completed_orders=5, cancelled_for_fraud=2)

    result = run(make_order(), history=history)

    assert result.decision is FraudDecision.REVIEW
    assert codes(result) == ["previous_fraud"]
    assert result.reasons[0].detail == "2 earlier order(s) cancelled for fraud"


def test_a_score_exactly_at_the_review_threshold_is_reviewed() -> None:
    policy = FraudPolicy(review_threshold=35)

    result = run(
        make_order(), history=CustomerHistory(completed_orders=1, orders_in_window=9), policy=policy
    )

    assert result.score == 35
    assert result.decision is FraudDecision.REVIEW


def test_a_score_one_below_the_review_threshold_is_approved() -> None:
    policy = FraudPolicy(review_threshold=36)

    result = run(
        make_order(), history=CustomerHistory(completed_orders=1, orders_in_window=9), policy=policy
    )

    assert result.score == 35
    assert result.decision is FraudDecision.APPROVE


def test_a_score_exactly_at_the_reject_threshold_is_rejected_and_one_below_is_reviewed() -> None:
    order = make_order(lines=[("TV-55", 200_000)], tier="new")  # scores 70 without history

    at = run(order, history=CustomerHistory(), policy=FraudPolicy(reject_threshold=70))
    below = run(order, history=CustomerHistory(), policy=FraudPolicy(reject_threshold=71))

    assert (at.score, at.decision) == (70, FraudDecision.REJECT)
    assert (below.score, below.decision) == (70, FraudDecision.REVIEW)


def test_the_score_is_clamped_to_one_hundred() -> None:
    order = make_order(lines=[("TV-55", 900_000)], tier="new", billing_country="US")
    history = CustomerHistory(orders_in_window=10, cancelled_for_fraud=1)

    result = run(order, history=history)

    assert sum(reason.points for reason in result.reasons) == 45 + 15 + 10 + 25 + 20 + 35 + 60
    assert result.score == 100
    assert result.decision is FraudDecision.REJECT


def test_the_score_is_clamped_to_zero_for_a_trusted_customer() -> None:
    result = run(make_order(tier="vip"))

    assert codes(result) == ["trusted_customer"]
    assert result.score == 0
    assert result.decision is FraudDecision.APPROVE


def test_reasons_are_ordered_by_points_descending_then_by_code() -> None:
    order = make_order(lines=[("TV-55", 200_000)], billing_country="DE")
    history = CustomerHistory(completed_orders=3, orders_in_window=5)

    result = run(order, history=history)

    assert [(r.code, r.points) for r in result.reasons] == [
        ("order_velocity", 35),
        ("address_mismatch", 25),
        ("high_order_value", 25),
        ("risky_category", 20),
    ]


def test_point_values_come_from_the_policy() -> None:
    policy = FraudPolicy(points_new_customer=50)

    result = run(make_order(tier="new"), policy=policy)

    assert result.score == 50
    assert result.decision is FraudDecision.REVIEW


@pytest.mark.parametrize(("review", "reject"), [(80, 80), (90, 80)])
def test_a_policy_whose_review_threshold_is_not_below_reject_is_refused(
    review: int, reject: int
) -> None:
    with pytest.raises(ValidationError, match="review_threshold"):
        FraudPolicy(review_threshold=review, reject_threshold=reject)


def test_a_policy_whose_high_value_is_not_below_very_high_is_refused() -> None:
    with pytest.raises(ValidationError, match="high_value"):
        FraudPolicy(high_value=500_000, very_high_value=500_000)


def test_the_same_input_gives_the_same_assessment() -> None:
    order = make_order(lines=[("WATCH-1", 300_000), ("GIFT-50", 5_000)], billing_country="GB")
    history = CustomerHistory(orders_in_window=4)

    first = run(order, history=history)
    second = run(order.model_copy(deep=True), history=history.model_copy())

    assert first == second
    assert first.model_dump() == second.model_dump()
