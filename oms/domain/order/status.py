"""The order's status vocabulary: what the API, the read model and search attributes show."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    """Where an order is in its life. Values are what the API and search attributes show."""

    RECEIVED = "RECEIVED"
    FRAUD_CHECK = "FRAUD_CHECK"
    AWAITING_REVIEW = "AWAITING_REVIEW"
    SOURCING = "SOURCING"
    AWAITING_STOCK = "AWAITING_STOCK"
    AUTHORIZING_PAYMENT = "AUTHORIZING_PAYMENT"
    IN_FULFILMENT = "IN_FULFILMENT"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        return self in (OrderStatus.COMPLETED, OrderStatus.CANCELLED)


class CancelReason(StrEnum):
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


class LineState(StrEnum):
    """Where the units of one order line are."""

    PENDING = "pending"
    RESERVED = "reserved"
    PICKED = "picked"
    PACKED = "packed"
    SHIPPED = "shipped"
    READY_FOR_COLLECTION = "ready_for_collection"
    COLLECTED = "collected"
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
