"""Appeasements: money customer service gives back on an order without a return ("the parcel
came late: keep it, here is 10 EUR"), a goodwill refund over the order's captures.

An appeasement names an amount in the order's currency, a reason code of usage
``appeasement`` and a note for whoever reads the order later; a line when it is about one. It
takes at most what the order may still refund: what its captures took less what refunds gave
back or claimed of them (returns and earlier appeasements, ``oms.domain.refunds``). It is
``pending`` until its run takes it, ``refunding`` while the gateway refunds it (it can no
longer be withdrawn), then ``refunded`` or ``failed`` (with the gateway's code). Pure: no I/O.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from oms.domain.delivery import Identifier
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.numbers import WholeNumber
from oms.domain.order.model import MAX_QUANTITY, MAX_UNIT_PRICE
from oms.domain.reason_codes import Code

# No order is worth more: its lines' prices at most.
MAX_AMOUNT = MAX_UNIT_PRICE * MAX_QUANTITY
# An appeasement whose run could not be started: failed with this code, nothing refunded.
NOT_STARTED = "not_started"
# Its run was cancelled, or failed, before the gateway answered its refund: what the gateway
# did with the parts it was asked for is not known, so their claims stay held.
CANCELLED = "cancelled"
RUN_FAILED = "failed"
UNANSWERED = frozenset({CANCELLED, RUN_FAILED})
# Its events, as its run ends.
APPEASEMENT_GRANTED = "order.appeasement_granted"
APPEASEMENT_FAILED = "order.appeasement_failed"


class AppeasementStatus(StrEnum):
    """Stored in ``appeasements.status``; lower case, as the refunds' states."""

    PENDING = "pending"  # granted, its run has not taken it yet
    REFUNDING = "refunding"  # its run has taken it: its refund is asked of the gateway
    REFUNDED = "refunded"
    FAILED = "failed"  # the gateway refused (its ``code``), or its run never started

    @property
    def is_final(self) -> bool:
        return self in (AppeasementStatus.REFUNDED, AppeasementStatus.FAILED)


class AppeasementRequest(BaseModel):
    """``POST /orders/{id}/appeasements``."""

    model_config = ConfigDict(extra="forbid")

    amount: WholeNumber = Field(
        ge=1, le=MAX_AMOUNT, description="Minor units of the order's currency, given back"
    )
    reason_code: Code = Field(description="A code of GET /reason-codes?usage=appeasement")
    note: str = Field(
        min_length=1,
        max_length=1000,
        description="Why, for customer service (kept on the appeasement; never sent on)",
    )
    line_id: Identifier | None = Field(
        default=None, description="The order's line it is about, when it is about one"
    )


def amount_refusal(amount: int, refundable: int, currency: str) -> FieldError | None:
    """Why ``amount`` cannot be given back when the order may still refund ``refundable``,
    or None when it can."""
    if amount <= refundable:
        return None
    return FieldError(
        field="amount",
        code=ErrorCode.EXCEEDS_REFUNDABLE,
        reason=(
            f"the order may refund {refundable} {currency} more (what its captures took less "
            f"what was refunded or is being refunded); {amount} asked"
        ),
    )


def line_refusal(line_id: str | None, line_ids: list[str]) -> FieldError | None:
    if line_id is None or line_id in line_ids:
        return None
    return FieldError(
        field="line_id", code=ErrorCode.UNKNOWN_LINE, reason=f"the order has no line {line_id}"
    )
