"""A return's run: what starts it, what people tell it (the parcel received, the grades), what
it asks of activities, and how it shows itself."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from oms.domain.order import Address
from oms.domain.returns import (
    GradedLine,
    RefundState,
    ReturnLineIn,
    ReturnMethod,
    ReturnPolicy,
    ReturnStatus,
)


class ReturnLine(BaseModel):
    line_id: str
    sku: str
    quantity: int
    unit_price: int


class ReturnInput(BaseModel):
    """Everything the run needs, fixed when the return was asked (the policy of that day)."""

    return_id: str
    order_id: str
    channel: str
    customer_tier: str
    currency: str
    method: ReturnMethod
    location_id: str
    reason_code: str
    lines: list[ReturnLine]
    policy: ReturnPolicy
    # Where a carrier return's label picks the parcel up (the order's delivery address).
    sender: Address | None = None
    # The order's shipping charge, refunded with the goods when the policy says so (0: not).
    shipping_refund: int = 0
    # An exchange: its replacement order, and what of it the returned goods pay (not refunded).
    exchange_order_id: str | None = None
    exchange_credit: int = 0
    # The patches the run takes as given, with no marker (workflows.patch_levels): the
    # configured OMS_PATCH_LEVEL, set by ``start_return``. 0 in every run started before there
    # were levels.
    patch_level: int = 0


class Receipt(BaseModel):
    """Units scanned in at the location (``POST /returns/{id}/receive``)."""

    location_id: str
    lines: list[ReturnLineIn] = Field(min_length=1)
    actor: str


class QcResult(BaseModel):
    """The quality-control task's outcome: a grade for every received unit."""

    grades: list[GradedLine] = Field(min_length=1)
    actor: str


class RecordReturn(BaseModel):
    return_id: str
    status: ReturnStatus
    event: str
    received: list[ReturnLineIn] | None = None
    grades: list[GradedLine] | None = None
    label: dict[str, str | None] | None = None
    refund_state: RefundState | None = None
    refunded: int | None = None
    # A refund's event: which attempt of the return's refunds, and what that one refunded.
    refund_attempt: int | None = None
    refund_amount: int | None = None


class ApplyGrades(BaseModel):
    return_id: str
    location_id: str
    skus: dict[str, str]
    grades: list[GradedLine]


class RefundReturn(BaseModel):
    order_id: str
    return_id: str
    amount: int
    currency: str
    # 0: the return's refund; n: the n-th more (what an earlier one could not pay).
    attempt: int = 0


class ReplacementEnded(BaseModel):
    """An exchange's replacement order ended (completed or cancelled): what of the returned
    goods' credit its captures took. The rest is the return's to refund."""

    order_id: str
    credited: int = Field(ge=0)


class RefundOutcome(BaseModel):
    refunded: int
    refused: str | None = None  # the gateway's code when it refused


class ReturnView(BaseModel):
    return_id: str
    order_id: str
    status: ReturnStatus
    method: ReturnMethod
    location_id: str
    lines: list[ReturnLine]
    received: list[ReturnLineIn] = Field(default_factory=list)
    grades: list[GradedLine] = Field(default_factory=list)
    label: dict[str, str | None] | None = None
    refund_state: RefundState = RefundState.NONE
    refunded: int = 0
    currency: str
    since: datetime | None = None
