"""Stable error vocabulary: the codes the API returns verbatim."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class ErrorCode(StrEnum):
    # Input shape (mapped from pydantic's error types).
    REQUIRED = "required"
    INVALID_TYPE = "invalid_type"
    INVALID_FORMAT = "invalid_format"
    OUT_OF_RANGE = "out_of_range"
    UNKNOWN_FIELD = "unknown_field"
    INVALID = "invalid"
    MALFORMED_JSON = "malformed_json"
    # Orders.
    UNKNOWN_CURRENCY = "unknown_currency"
    TOO_MANY_LINES = "too_many_lines"
    DUPLICATE_LINE_ID = "duplicate_line_id"
    INVALID_QUANTITY = "invalid_quantity"
    UNKNOWN_SKU = "unknown_sku"
    NOT_SOLD_IN_CHANNEL = "not_sold_in_channel"
    UNKNOWN_STORE = "unknown_store"
    NOT_A_STORE = "not_a_store"
    STORE_CLOSED = "store_closed"
    ORDER_CONFLICT = "order_conflict"
    ORDER_NOT_FOUND = "order_not_found"
    CANCEL_REFUSED = "cancel_refused"
    # Tasks and fulfilments.
    TASK_NOT_FOUND = "task_not_found"
    TASK_NOT_OPEN = "task_not_open"
    TASK_NOT_COMPLETABLE = "task_not_completable"
    FULFILMENT_NOT_FOUND = "fulfilment_not_found"
    INVALID_STATE = "invalid_state"
    UNKNOWN_LINE = "unknown_line"
    PICK_EXCEEDS_REQUESTED = "pick_exceeds_requested"
    REASON_REQUIRED = "reason_required"
    LOCATION_NOT_FOUND = "location_not_found"
    LOCATION_EXISTS = "location_exists"
    NETWORK_NOT_FOUND = "network_not_found"
    ALREADY_EXISTS = "already_exists"
    IN_USE = "in_use"
    # Availability.
    CHANNEL_NOT_FOUND = "channel_not_found"
    RULE_NOT_FOUND = "rule_not_found"
    EXCLUSION_NOT_FOUND = "exclusion_not_found"
    TOO_MANY_SKUS = "too_many_skus"
    # Sourcing profiles.
    PROFILE_NOT_FOUND = "profile_not_found"
    PROFILE_PUBLISHED = "profile_published"
    # Inventory syncs.
    SYNC_NOT_FOUND = "sync_not_found"
    DUPLICATE_ROW = "duplicate_row"
    # Cart holds.
    INSUFFICIENT_STOCK = "insufficient_stock"
    HOLD_NOT_FOUND = "hold_not_found"
    # Auth.
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    INVALID_CURSOR = "invalid_cursor"
    # HTTP.
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    # Infrastructure.
    UNAVAILABLE = "unavailable"


class FieldError(BaseModel):
    """One problem with one field of a request."""

    field: str
    code: ErrorCode
    reason: str


class DomainError(Exception):
    """A business rule refused something; carries the stable code and the field at fault."""

    def __init__(self, code: ErrorCode, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.field = field
