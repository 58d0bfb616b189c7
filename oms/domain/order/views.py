"""The order as the API, the `status` query and the read model show it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from oms.domain.fraud import FraudDecision, ReviewDecision
from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.order.charges import Shipping, Tax
from oms.domain.order.status import CancelReason, LineState, OrderStatus, PaymentState
from oms.domain.shipments import ShipmentStatus


class LineAllocationView(BaseModel):
    fulfilment_id: str
    location_id: str
    qty: int
    picked: int | None = None
    status: FulfilmentStatus
    # Units the customer took, for a collection counted by line (partial collection).
    collected: int | None = None


class LineView(BaseModel):
    line_id: str
    sku: str
    quantity: int
    unit_price: int
    taxes: list[Tax] = Field(default_factory=list, description="per unit, in the unit price")
    state: LineState
    shipped: int = 0
    cancelled: int = 0
    cancel_reason: CancelReason | None = None
    allocations: list[LineAllocationView] = Field(default_factory=list)


class FraudView(BaseModel):
    score: int
    decision: FraudDecision
    reasons: list[dict[str, Any]] = Field(default_factory=list)
    reviewed_by: str | None = None
    review_decision: ReviewDecision | None = None
    review_reason: str | None = None


class PaymentException(BaseModel):
    """A capture the gateway refused, waiting for customer service's decision."""

    fulfilment_id: str
    amount: int
    attempt: int = 0  # 0: the first capture; n: the n-th try customer service asked for
    task_id: str


class PaymentView(BaseModel):
    state: PaymentState = PaymentState.NONE
    authorization_id: str | None = None
    authorized: int = 0
    captured: int = 0
    voided: int = 0
    currency: str
    decline_code: str | None = None
    capture_failures: list[str] = Field(
        default_factory=list, description="Fulfilments shipped whose capture the gateway refused"
    )
    authorized_at: datetime | None = None
    written_off: int = Field(default=0, description="Refused captures given up by customer service")
    reversed: int = Field(
        default=0,
        description="Captures the gateway reversed after the fact (already taken out of "
        "`captured`; collected again, they count there once more)",
    )
    exceptions: list[PaymentException] = Field(
        default_factory=list, description="Refused captures waiting for customer service"
    )
    credited: int = Field(
        default=0, description="What an exchange's returned goods paid of this order's captures"
    )
    shipping_fulfilment_id: str | None = Field(
        default=None, description="The fulfilment whose capture took the shipping charge"
    )


class FulfilmentSummary(BaseModel):
    fulfilment_id: str
    location_id: str
    status: FulfilmentStatus
    tracking_number: str | None = None
    carrier: str | None = None
    # Carrier tracking after handover (the read model's; the run has ended by then).
    delivery_status: ShipmentStatus | None = None
    delivered_at: datetime | None = None


class TimelineEntry(BaseModel):
    at: datetime
    type: str
    status: OrderStatus | None = None
    actor: str
    detail: dict[str, Any] = Field(default_factory=dict)


class SourcingSummary(BaseModel):
    """One sourcing decision in short; the whole explanation: GET /orders/{id}/sourcing."""

    step: str
    profile: str
    strategy: str | None
    locations: list[str]
    unplaced_units: int
    decided_at: datetime


class OrderView(BaseModel):
    order_id: str
    workflow_id: str
    status: OrderStatus
    cancel_reason: CancelReason | None = None
    channel: str
    customer_id: str
    customer_tier: str
    currency: str
    total: int = Field(description="the goods and the shipping charge, taxes included")
    shipping: Shipping | None = None
    exchange_of: str | None = Field(
        default=None, description="The return whose exchange placed this order"
    )
    delivery_method: str
    store_id: str | None = Field(
        default=None, description="A collection's store (after an edit, the new one)"
    )
    lines: list[LineView]
    fraud: FraudView | None = None
    payment: PaymentView
    fulfilments: list[FulfilmentSummary] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    sourcing: list[SourcingSummary] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None = None
