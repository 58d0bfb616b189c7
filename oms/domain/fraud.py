"""Rule-based fraud scoring of an incoming order.

Pure and deterministic so that the order workflow can call it directly inside the Temporal
sandbox: everything it needs (catalogue categories, the customer's history) is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from oms.domain.delivery import DeliveryMethod
from oms.domain.money import format_minor
from oms.domain.order.model import CustomerTier, OrderIn

MIN_SCORE = 0
MAX_SCORE = 100


class FraudDecision(StrEnum):
    """The rules' decision, or the analyst's after a review (``ReviewDecision`` is its
    subset): stored in ``orders.fraud_decision``, shown by the order view and the order list;
    lower case."""

    APPROVE = "approve"
    REVIEW = "review"
    REJECT = "reject"


class ReviewDecision(StrEnum):
    """An analyst's answer to a fraud review."""

    APPROVE = "approve"
    REJECT = "reject"


class FraudReviewDecision(BaseModel):
    """The analyst's decision, signalled to the order workflow."""

    model_config = ConfigDict(extra="forbid")

    decision: ReviewDecision
    reason: str = Field(min_length=1, max_length=500)
    actor: str = "analyst"


class FraudReason(BaseModel):
    """One rule that fired: a stable code, its weight and an explanation for an analyst."""

    code: str
    points: int
    detail: str


class FraudPolicy(BaseModel):
    """Thresholds and weights. Amounts are minor units of the order's currency."""

    # A typo in a configured weight would otherwise silently fall back to the default.
    model_config = ConfigDict(extra="forbid", frozen=True)

    review_threshold: int = 40
    reject_threshold: int = 80
    high_value: int = Field(default=100_000, ge=0)
    very_high_value: int = Field(default=500_000, ge=0)
    risky_categories: frozenset[str] = frozenset({"electronics", "gift_cards", "luxury"})
    velocity_window_minutes: int = Field(default=60, gt=0)
    velocity_limit: int = Field(default=3, ge=0)

    points_high_value: int = 25
    points_very_high_value: int = 45
    points_new_customer: int = 15
    points_no_history: int = 10
    points_address_mismatch: int = 25
    points_risky_category: int = 20
    points_velocity: int = 35
    points_previous_fraud: int = 60
    points_trusted_gold: int = -10
    points_trusted_vip: int = -25

    @model_validator(mode="after")
    def _thresholds_are_ordered(self) -> FraudPolicy:
        # With review >= reject the review band is empty and no order would ever reach a human.
        if self.review_threshold >= self.reject_threshold:
            raise ValueError(
                f"review_threshold ({self.review_threshold}) must be below "
                f"reject_threshold ({self.reject_threshold})"
            )
        if self.high_value >= self.very_high_value:
            raise ValueError(
                f"high_value ({self.high_value}) must be below "
                f"very_high_value ({self.very_high_value})"
            )
        return self


class CustomerHistory(BaseModel):
    """What the OMS already knows about the customer, looked up by an activity beforehand."""

    completed_orders: int = Field(default=0, ge=0)
    cancelled_for_fraud: int = Field(default=0, ge=0)
    orders_in_window: int = Field(
        default=0, ge=0, description="Other orders by this customer in the velocity window"
    )


class FraudAssessment(BaseModel):
    score: int = Field(ge=MIN_SCORE, le=MAX_SCORE)
    decision: FraudDecision
    reasons: list[FraudReason]
    review_threshold: int
    reject_threshold: int


def assess(
    order: OrderIn,
    *,
    categories: Mapping[str, str],
    history: CustomerHistory,
    policy: FraudPolicy,
) -> FraudAssessment:
    """Score an order against the policy's rules and decide what happens to it.

    Args:
        order: The order as the storefront placed it.
        categories: Catalogue category of each SKU; SKUs missing here count as not risky.
        history: The customer's past orders, excluding this one.
        policy: Thresholds and weights.

    Returns:
        The clamped score, the decision and the rules that fired, heaviest first.
    """
    reasons = [
        reason
        for reason in (
            _order_value(order, policy),
            _customer_tier(order, policy),
            _no_history(history, policy),
            _address_mismatch(order, policy),
            _risky_category(order, categories, policy),
            _velocity(history, policy),
            _previous_fraud(history, policy),
        )
        if reason is not None
    ]
    # Ties broken by code so that the analyst sees the same list for the same order every time.
    reasons.sort(key=lambda r: (-r.points, r.code))
    score = min(MAX_SCORE, max(MIN_SCORE, sum(r.points for r in reasons)))
    if score >= policy.reject_threshold:
        decision = FraudDecision.REJECT
    elif score >= policy.review_threshold:
        decision = FraudDecision.REVIEW
    else:
        decision = FraudDecision.APPROVE
    return FraudAssessment(
        score=score,
        decision=decision,
        reasons=reasons,
        review_threshold=policy.review_threshold,
        reject_threshold=policy.reject_threshold,
    )


def _order_value(order: OrderIn, policy: FraudPolicy) -> FraudReason | None:
    total = order.total
    # Only the highest band fires: the very-high weight already prices in the high one.
    if total > policy.very_high_value:
        code, limit = "very_high_order_value", policy.very_high_value
        points = policy.points_very_high_value
    elif total > policy.high_value:
        code, limit = "high_order_value", policy.high_value
        points = policy.points_high_value
    else:
        return None
    detail = (
        f"order value {format_minor(total, order.currency)} is above "
        f"{format_minor(limit, order.currency)}"
    )
    return FraudReason(code=code, points=points, detail=detail)


def _customer_tier(order: OrderIn, policy: FraudPolicy) -> FraudReason | None:
    tier = order.customer.tier
    if tier is CustomerTier.NEW:
        return FraudReason(
            code="new_customer", points=policy.points_new_customer, detail="customer tier is new"
        )
    if tier is CustomerTier.GOLD:
        points = policy.points_trusted_gold
    elif tier is CustomerTier.VIP:
        points = policy.points_trusted_vip
    else:
        return None
    return FraudReason(code="trusted_customer", points=points, detail=f"customer tier is {tier}")


def _no_history(history: CustomerHistory, policy: FraudPolicy) -> FraudReason | None:
    if history.completed_orders > 0:
        return None
    return FraudReason(
        code="no_order_history",
        points=policy.points_no_history,
        detail="customer has no completed orders",
    )


def _address_mismatch(order: OrderIn, policy: FraudPolicy) -> FraudReason | None:
    billing, shipping = order.billing_address, order.delivery.address
    # Click-and-collect has no shipping address to compare, and the pickup checks identity.
    if order.delivery.method is not DeliveryMethod.SHIP or billing is None or shipping is None:
        return None
    if billing.country == shipping.country:
        return None
    return FraudReason(
        code="address_mismatch",
        points=policy.points_address_mismatch,
        detail=(
            f"billing country {billing.country} differs from shipping country {shipping.country}"
        ),
    )


def _risky_category(
    order: OrderIn, categories: Mapping[str, str], policy: FraudPolicy
) -> FraudReason | None:
    risky = sorted(
        {
            category
            for line in order.lines
            if (category := categories.get(line.sku)) in policy.risky_categories
        }
    )
    if not risky:
        return None
    return FraudReason(
        code="risky_category",
        points=policy.points_risky_category,
        detail=f"basket contains risky categories: {', '.join(risky)}",
    )


def _velocity(history: CustomerHistory, policy: FraudPolicy) -> FraudReason | None:
    if history.orders_in_window <= policy.velocity_limit:
        return None
    return FraudReason(
        code="order_velocity",
        points=policy.points_velocity,
        detail=(
            f"{history.orders_in_window} other orders in the last "
            f"{policy.velocity_window_minutes} minutes, limit is {policy.velocity_limit}"
        ),
    )


def _previous_fraud(history: CustomerHistory, policy: FraudPolicy) -> FraudReason | None:
    if history.cancelled_for_fraud == 0:
        return None
    return FraudReason(
        code="previous_fraud",
        points=policy.points_previous_fraud,
        detail=f"{history.cancelled_for_fraud} earlier order(s) cancelled for fraud",
    )
