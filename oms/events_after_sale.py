"""The after-sale's event types (returns, appeasements), in the registry of ``oms.events``,
which lists them in this order after the order's, the shipments' and the tasks'."""

from __future__ import annotations

from oms.event_schemas import APPEASEMENT, RETURN, RETURN_REFUND, EventType

AFTER_SALE_EVENTS: list[EventType] = [
    EventType(
        "return.requested", 1, "a return was accepted (a carrier return has a label)", RETURN
    ),  # fmt: skip
    EventType(
        "return.exchange_created",
        1,
        "the return asked for replacement lines: their order (`exchange_order_id`) was placed, "
        "paid first by the returned goods",
        RETURN,
    ),
    EventType("return.received", 1, "the parcel came back to the location", RETURN),
    EventType(
        "return.refunded",
        1,
        "what the policy refunds was refunded: once per refund (an instant refund and the rest "
        "after quality control are two), `refund_amount` this one's amount",
        RETURN_REFUND,
    ),
    EventType("return.refund_failed", 1, "the gateway refused the refund", RETURN_REFUND),
    EventType("return.completed", 1, "graded, stock moved, refunded", RETURN),
    EventType("return.expired", 1, "the parcel never came back in time", RETURN),
    # Goodwill refunds without a return (oms.db.appeasements).
    EventType(
        "order.appeasement_granted",
        1,
        "customer service gave money back without a return and the gateway refunded it "
        "(`refunded`; the refund's own `payment.refunded` per capture)",
        APPEASEMENT,
    ),
    EventType(
        "order.appeasement_failed",
        1,
        "the gateway refused an appeasement's refund (`code`; `refunded` what it paid before "
        "refusing), or its run was cancelled (`cancelled`)",
        APPEASEMENT,
    ),
]
