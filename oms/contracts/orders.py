"""The order workflow's input, its cancel update and what it answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from oms.domain.order import CancelReason, OrderIn, OrderPolicy, OrderStatus


class OrderWorkflowInput(BaseModel):
    order: OrderIn
    received_at: datetime
    policy: OrderPolicy = Field(default_factory=OrderPolicy)


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: CancelReason = CancelReason.CUSTOMER_REQUEST
    note: str | None = Field(default=None, max_length=500)
    actor: str = "storefront"


class CancelResult(BaseModel):
    accepted: bool
    status: OrderStatus
    reason: str | None = None
