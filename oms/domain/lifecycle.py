"""The order workflow's inputs, messages and the order view its `status` query returns."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from oms.domain.fulfilment import FulfilmentStatus, FulfilmentView
from oms.domain.orders import CancelReason, OrderIn, OrderStatus


class OrderPolicy(BaseModel):
    """Per-order settings fixed when the order starts, so a run never changes rules mid-way."""

    review_escalate_after_s: float = 4 * 3600.0
    review_timeout_after_s: float = 24 * 3600.0
    pick_escalate_after_s: float = 2 * 3600.0
    max_reroutes: int = 1
    # Units a profile backorders or holds: sourced again every stock_retry_s, for at most
    # stock_wait_s, then cancelled as out of stock.
    stock_retry_s: float = 3600.0
    stock_wait_s: float = 3 * 24 * 3600.0


class OrderWorkflowInput(BaseModel):
    order: OrderIn
    received_at: datetime
    policy: OrderPolicy = Field(default_factory=OrderPolicy)


class LineState(StrEnum):
    PENDING = "pending"
    RESERVED = "reserved"
    PICKED = "picked"
    PACKED = "packed"
    SHIPPED = "shipped"
    READY_FOR_COLLECTION = "ready_for_collection"
    COLLECTED = "collected"
    PARTIALLY_SHIPPED = "partially_shipped"
    CANCELLED = "cancelled"


class LineAllocationView(BaseModel):
    fulfilment_id: str
    location_id: str
    qty: int
    picked: int | None = None
    status: FulfilmentStatus


class LineView(BaseModel):
    line_id: str
    sku: str
    quantity: int
    unit_price: int
    state: LineState
    shipped: int = 0
    cancelled: int = 0
    cancel_reason: str | None = None
    allocations: list[LineAllocationView] = Field(default_factory=list)


class FraudView(BaseModel):
    score: int
    decision: str
    reasons: list[dict[str, Any]] = Field(default_factory=list)
    reviewed_by: str | None = None
    review_decision: str | None = None
    review_reason: str | None = None


class PaymentState(StrEnum):
    NONE = "none"
    AUTHORIZED = "authorized"
    PARTIALLY_CAPTURED = "partially_captured"
    CAPTURED = "captured"
    VOIDED = "voided"
    DECLINED = "declined"


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


class FulfilmentSummary(BaseModel):
    fulfilment_id: str
    location_id: str
    status: FulfilmentStatus
    tracking_number: str | None = None
    carrier: str | None = None


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
    total: int
    delivery_method: str
    lines: list[LineView]
    fraud: FraudView | None = None
    payment: PaymentView
    fulfilments: list[FulfilmentSummary] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    sourcing: list[SourcingSummary] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class FraudReviewDecision(BaseModel):
    """The analyst's decision, signalled to the order workflow."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    reason: str = Field(min_length=1, max_length=500)
    actor: str = "analyst"


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: CancelReason = CancelReason.CUSTOMER_REQUEST
    note: str | None = Field(default=None, max_length=500)
    actor: str = "storefront"


class CancelResult(BaseModel):
    accepted: bool
    status: OrderStatus
    reason: str | None = None


class FulfilmentProgress(BaseModel):
    """A child fulfilment tells its order where it is, so the order view stays live."""

    fulfilment_id: str
    location_id: str
    status: FulfilmentStatus
    picked: dict[str, int] = Field(default_factory=dict)
    tracking_number: str | None = None
    carrier: str | None = None

    @classmethod
    def of(cls, view: FulfilmentView) -> FulfilmentProgress:
        return cls(
            fulfilment_id=view.fulfilment_id,
            location_id=view.location_id,
            status=view.status,
            picked={line.line_id: line.picked for line in view.lines if line.picked is not None},
            tracking_number=view.tracking_number,
            carrier=view.carrier,
        )
