"""The order's status vocabulary: what the API, the read model and search attributes show."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    """Where an order is in its life: stored in ``orders.status`` and ``order_events.status``,
    shown verbatim by the API and the ``OrderStatus`` search attribute.

    Upper case, as is ``FulfilmentStatus``: the two workflows' own statuses. Every other
    vocabulary (line and payment states, reasons, task, hold, sync and profile statuses,
    fraud decisions, reservations) is lower case. Each vocabulary keeps one casing in the
    database, the API and the workflows' views; the values stay as first written because they
    are stored and recorded in workflow histories (a change needs a migration and breaks the
    replay of every recorded history).
    """

    RECEIVED = "RECEIVED"
    FRAUD_CHECK = "FRAUD_CHECK"
    AWAITING_REVIEW = "AWAITING_REVIEW"
    SOURCING = "SOURCING"
    AWAITING_STOCK = "AWAITING_STOCK"
    AUTHORIZING_PAYMENT = "AUTHORIZING_PAYMENT"
    IN_FULFILMENT = "IN_FULFILMENT"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    # After the run: every shipment delivered, as carrier tracking says (oms.domain.shipments).
    # Only the read model holds it; the run's OrderStatus search attribute stays COMPLETED.
    DELIVERED = "DELIVERED"

    @property
    def is_final(self) -> bool:
        return self in (OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.DELIVERED)


class CancelReason(StrEnum):
    """Why an order or a line was cancelled: stored in ``orders.cancel_reason``; lower case."""

    CUSTOMER_REQUEST = "customer_request"
    DUPLICATE_ORDER = "duplicate_order"
    OTHER = "other"
    FRAUD_REJECTED = "fraud_rejected"
    REVIEW_TIMEOUT = "review_timeout"
    OUT_OF_STOCK = "out_of_stock"
    PAYMENT_DECLINED = "payment_declined"
    WORKFLOW_CANCELLED = "workflow_cancelled"
    FAILED = "failed"
    SHORT_PICK = "short_pick"
    NOT_COLLECTED = "not_collected"


class LineState(StrEnum):
    """Where the units of one order line are (the order view's ``lines[].state``); lower
    case, unlike ``OrderStatus`` (see there)."""

    PENDING = "pending"
    RESERVED = "reserved"
    PICKED = "picked"
    PACKED = "packed"
    SHIPPED = "shipped"
    READY_FOR_COLLECTION = "ready_for_collection"
    COLLECTED = "collected"
    IN_TRANSIT = "in_transit"  # on its way to the collection store (a transfer)
    PARTIALLY_SHIPPED = "partially_shipped"
    CANCELLED = "cancelled"


class PaymentState(StrEnum):
    """Where the order's money is at the gateway."""

    NONE = "none"
    AUTHORIZED = "authorized"
    PARTIALLY_CAPTURED = "partially_captured"
    CAPTURED = "captured"
    VOIDED = "voided"
    DECLINED = "declined"
