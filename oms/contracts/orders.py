"""The order workflow's input, its cancel update and what it answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from oms.domain.order import CancelReason, OrderIn, OrderPolicy, OrderStatus
from oms.domain.reason_codes import BUILT_IN_BY_CODE, StockEffect
from oms.domain.sourcing import Allocation


class OrderWorkflowInput(BaseModel):
    order: OrderIn
    received_at: datetime
    policy: OrderPolicy = Field(default_factory=OrderPolicy)
    # Runs started since 2026-12-07: the patches every order's path asks for are asked at the
    # start, before any local activity (workflows.order_patches). False in every run started
    # before. A run of a patch level asks none of them, and ignores it.
    patches_at_start: bool = False
    # The patches the run takes as given, with no marker (workflows.patch_levels): the
    # configured OMS_PATCH_LEVEL when it started. 0 in every run started before there were
    # levels.
    patch_level: int = 0


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: CancelReason = CancelReason.CUSTOMER_REQUEST
    note: str | None = Field(default=None, max_length=500)
    actor: str = "storefront"
    # The reason code as given, from the taxonomy (``reason`` is the order's own vocabulary:
    # ``other`` for a code outside it), with what the code said when it was given: the
    # customer message key for the event, and the stock effect on units already picked.
    # None in requests from before the taxonomy, and from callers that send none.
    code: str | None = None
    customer_message: str | None = None
    stock_effect: StockEffect | None = None

    @property
    def reason_code(self) -> str:
        """The code the cancellation is for: the taxonomy's as given, else the order's own
        reason (requests from before the taxonomy)."""
        return self.code or self.reason.value

    def same_cancellation(self, reason: CancelReason | None, code: str | None) -> bool:
        """Whether this asks the cancellation already applied for ``reason`` with ``code`` (the
        taxonomy's code, None when not known): a retry of it, or another caller asking the
        same."""
        return self.reason is reason and (code is None or code == self.reason_code)


class CancellationCode(BaseModel):
    """A cancellation's reason code as the cancellation applies it."""

    code: str
    customer_message: str | None = None
    stock_effect: StockEffect = StockEffect.NONE


def cancellation_code(reason: CancelReason, given: CancelRequest | None) -> CancellationCode:
    """The code a cancellation for ``reason`` applies: the one given with the cancel request,
    as it stood then; for a cancellation of the OMS's own (fraud, stock, payment...), its
    built-in code."""
    if given is not None and given.code is not None and given.reason is reason:
        return CancellationCode(
            code=given.code,
            customer_message=given.customer_message,
            stock_effect=given.stock_effect or StockEffect.NONE,
        )
    built = BUILT_IN_BY_CODE.get(reason.value)
    return CancellationCode(
        code=reason.value, customer_message=built.customer_message if built else None
    )


def cancelled_event(reason: CancelReason, code: CancellationCode | None) -> dict[str, Any]:
    """The ``order.cancelled`` event's payload: the order's reason and, since cancellations
    take their reason from the taxonomy, the code and its customer message key."""
    if code is None:
        return {"reason": reason.value}
    return {
        "reason": reason.value,
        "reason_code": code.code,
        "customer_message": code.customer_message,
    }


def confirmed_event(order: OrderIn, placed: dict[str, list[Allocation]]) -> dict[str, Any]:
    """The ``order.confirmed`` event's payload: the order as confirmed to the customer (paid
    for, its fulfilments started) and where each fulfilment ships from, so that a receiver (the
    customer messages, the recommendations) knows the locations without asking. No personal
    data: a receiver that needs the customer's address or email reads the order."""
    return {
        "channel": order.channel,
        "currency": order.currency,
        "total": order.total,
        "delivery_method": order.delivery.method.value,
        "store_id": order.delivery.store_id,
        "lines": [
            {"line_id": line.line_id, "sku": line.sku, "quantity": line.quantity}
            for line in order.lines
        ],
        "fulfilments": [
            {
                "fulfilment_id": fid,
                "location_id": allocs[0].location_id,
                "lines": [{"line_id": a.line_id, "sku": a.sku, "quantity": a.qty} for a in allocs],
            }
            for fid, allocs in placed.items()
            if allocs
        ],
    }


class CancelResult(BaseModel):
    accepted: bool
    status: OrderStatus
    reason: str | None = None
