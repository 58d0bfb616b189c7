"""The order workflow's input, its cancel update and what it answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from oms.domain.order import CancelReason, OrderIn, OrderStatus


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


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: CancelReason = CancelReason.CUSTOMER_REQUEST
    note: str | None = Field(default=None, max_length=500)
    actor: str = "storefront"


class CancelResult(BaseModel):
    accepted: bool
    status: OrderStatus
    reason: str | None = None
