"""A cancellation asked over the API, its reason taken from the taxonomy: the code must be one
for cancellations, and what it says as it stands now (its customer message key, its stock
effect on units already picked) travels with the request to the order's workflow."""

from __future__ import annotations

from sqlmodel import Session

from oms.contracts.orders import CancelRequest
from oms.db import outbox, reason_codes
from oms.domain import reason_codes as reasons
from oms.domain.errors import DomainError, ErrorCode
from oms.domain.order import CancelReason
from oms.domain.reason_codes import ReasonUsage

# The order's own reasons: the OMS gives them (fraud, stock, payment, operations), never a
# caller, though they are cancellation codes of the taxonomy.
OMS_OWN = frozenset(
    {
        CancelReason.FRAUD_REJECTED,
        CancelReason.REVIEW_TIMEOUT,
        CancelReason.OUT_OF_STOCK,
        CancelReason.PAYMENT_DECLINED,
        CancelReason.WORKFLOW_CANCELLED,
        CancelReason.FAILED,
        CancelReason.SHORT_PICK,
    }
)


def cancel_request(session: Session, *, reason: str, note: str | None, actor: str) -> CancelRequest:
    """The request to send for a cancellation given for ``reason``.

    Raises DomainError ``reason_not_allowed`` at ``reason`` for a code that is unknown,
    retired, not for a cancellation, or one of the OMS's own."""
    if reason in OMS_OWN:
        raise DomainError(
            ErrorCode.REASON_NOT_ALLOWED,
            f"{reason!r} is a reason the OMS gives itself: GET /reason-codes?usage=cancellation "
            "lists the others",
            "reason",
        )
    code = reason_codes.resolve(session, [reason]).get(reason)
    refusal = reasons.refusal(code, reason, ReasonUsage.CANCELLATION, "reason")
    if refusal is not None:
        raise DomainError(refusal.code, refusal.reason, refusal.field)
    assert code is not None  # no refusal: the code exists
    own = reason in {r.value for r in CancelReason}
    return CancelRequest(
        # The order keeps its own vocabulary: a code outside it is recorded as "other", and
        # named in the cancellation event.
        reason=CancelReason(reason) if own else CancelReason.OTHER,
        note=note,
        actor=actor,
        code=code.code,
        customer_message=code.customer_message,
        stock_effect=code.stock_effect,
    )


def cancelled_with(session: Session, order_id: str) -> str | None:
    """The code an order was cancelled with, as its ``order.cancelled`` event names it (the
    order's own reason for an event from before the taxonomy); None without the event."""
    for event in outbox.for_order(session, order_id):
        if event.type == "order.cancelled":
            code = event.payload.get("reason_code") or event.payload.get("reason")
            return str(code) if code else None
    return None
