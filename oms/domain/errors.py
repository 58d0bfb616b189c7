"""Stable error vocabulary: the codes the API returns verbatim."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class ErrorCode(StrEnum):
    """Why a request was refused, with the HTTP status it is answered with.

    Each member is ``(value, http_status)``: raising a code names its status. A ``*_not_found``
    code is 404 when the object the request acts on is missing (``GET /orders/{id}``). A 422
    answer lists every problem of the input, and a field's code there may be one of those
    (``location_not_found`` at ``locations[1]``): the input is at fault, so the answer stays 422.
    """

    http_status: int

    def __new__(cls, value: str, http_status: int | None = None) -> ErrorCode:
        # The default only lets a lookup by value (``ErrorCode("required")``) type-check: a
        # lookup never comes here, and a member declared without its status fails at import.
        if http_status is None:
            raise TypeError(f"error code {value!r} is declared without its HTTP status")
        member = str.__new__(cls, value)
        member._value_ = value
        member.http_status = http_status
        return member

    # Input shape (mapped from pydantic's error types).
    REQUIRED = "required", 422
    INVALID_TYPE = "invalid_type", 422
    INVALID_FORMAT = "invalid_format", 422
    OUT_OF_RANGE = "out_of_range", 422
    UNKNOWN_FIELD = "unknown_field", 422
    INVALID = "invalid", 422
    MALFORMED_JSON = "malformed_json", 422
    INVALID_CURSOR = "invalid_cursor", 422
    # Orders.
    UNKNOWN_CURRENCY = "unknown_currency", 422
    # An order in another currency than the one its channel sells in.
    CURRENCY_MISMATCH = "currency_mismatch", 422
    TOO_MANY_LINES = "too_many_lines", 422
    DUPLICATE_LINE_ID = "duplicate_line_id", 422
    INVALID_QUANTITY = "invalid_quantity", 422
    UNKNOWN_SKU = "unknown_sku", 422
    PRODUCT_INACTIVE = "product_inactive", 422
    SKU_NOT_FOUND = "sku_not_found", 404
    STALE_VERSION = "stale_version", 409  # a product row older than the stored one
    NOT_SOLD_IN_CHANNEL = "not_sold_in_channel", 422
    UNKNOWN_STORE = "unknown_store", 422
    NOT_A_STORE = "not_a_store", 422
    STORE_CLOSED = "store_closed", 422
    TAXES_EXCEED_AMOUNT = "taxes_exceed_amount", 422
    DUPLICATE_TAX_CODE = "duplicate_tax_code", 422
    NO_PRICE = "no_price", 422  # an exchange's replacement the catalogue has no price for
    PAYMENT_TOKEN_REQUIRED = "payment_token_required", 422  # a dearer exchange pays the rest
    SERVICE_NOT_OFFERED = "service_not_offered", 422
    NOT_AVAILABLE_AT_STORE = "not_available_at_store", 422
    ORDER_CONFLICT = "order_conflict", 409
    ORDER_NOT_FOUND = "order_not_found", 404
    CANCEL_REFUSED = "cancel_refused", 409
    # Order edits (oms.domain.order.edits.EditRefusal): refused with the reason as the code.
    LINE_NOT_FOUND = "line_not_found", 404
    ORDER_FINAL = "order_final", 409
    ORDER_BUSY = "order_busy", 409
    QUANTITY_EXCEEDS_OPEN = "quantity_exceeds_open", 409
    PAST_POINT_OF_NO_RETURN = "past_point_of_no_return", 409
    NOT_A_SHIPMENT = "not_a_shipment", 409
    NOT_A_COLLECTION = "not_a_collection", 409
    SERVICE_NOT_PERFORMED = "service_not_performed", 409
    SERVICE_ALREADY_ASKED = "service_already_asked", 409
    AWAITING_STOCK = "awaiting_stock", 409  # held units: changed once fulfilments start
    # Tasks and fulfilments.
    TASK_NOT_FOUND = "task_not_found", 404
    TASK_NOT_OPEN = "task_not_open", 409
    # A reversed capture's task whose recovery carries out another decision than the one sent.
    PAYMENT_DECISION_UNDER_WAY = "payment_decision_under_way", 409
    TASK_NOT_COMPLETABLE = "task_not_completable", 409
    TASK_CLAIMED = "task_claimed", 409  # someone else holds it
    # Signed webhooks in (oms.webhooks): a request whose signature does not hold.
    SIGNATURE_MISSING = "signature_missing", 401
    SIGNATURE_MALFORMED = "signature_malformed", 401
    SIGNATURE_EXPIRED = "signature_expired", 401
    SIGNATURE_MISMATCH = "signature_mismatch", 401
    SENDER_NOT_FOUND = "sender_not_found", 404
    # A WMS's or a POS's event names a location the sender does not speak for.
    LOCATION_NOT_ALLOWED = "location_not_allowed", 403
    # A gateway's notice names no operation of the payment ledger.
    PAYMENT_NOT_FOUND = "payment_not_found", 404
    # A gateway's notice names an operation of another amount or currency: nothing applied.
    PAYMENT_MISMATCH = "payment_mismatch", 409
    # A WMS ships a parcel under another carrier or tracking number than the one booked.
    TRACKING_MISMATCH = "tracking_mismatch", 409
    # Signed webhooks out (oms.domain.webhooks_out).
    UNSUPPORTED_URL = "unsupported_url", 422
    UNKNOWN_EVENT_TYPE = "unknown_event_type", 422  # a pattern no event the OMS sends matches
    SUBSCRIPTION_NOT_FOUND = "subscription_not_found", 404
    DELIVERY_NOT_FOUND = "delivery_not_found", 404
    # Customer messages (oms.domain.messages): one sent again on request.
    MESSAGE_NOT_FOUND = "message_not_found", 404
    MESSAGE_PENDING = "message_pending", 409  # it, or a copy of it, is still on its way
    MESSAGE_UNRENDERABLE = "message_unrenderable", 409  # its event no template can take
    # Returns (oms.domain.returns): a refusal names the line and the rule.
    NOT_RETURNABLE = "not_returnable", 422
    NOT_DELIVERED = "not_delivered", 422
    RETURN_WINDOW_CLOSED = "return_window_closed", 422
    EXCEEDS_RETURNABLE = "exceeds_returnable", 422
    RETURN_NOT_FOUND = "return_not_found", 404
    # Appeasements (oms.domain.appeasements): more than the order's captures have left.
    EXCEEDS_REFUNDABLE = "exceeds_refundable", 422
    APPEASEMENT_NOT_FOUND = "appeasement_not_found", 404
    SHIPMENT_NOT_FOUND = "shipment_not_found", 404
    FULFILMENT_NOT_FOUND = "fulfilment_not_found", 404
    INVALID_STATE = "invalid_state", 409
    UNKNOWN_LINE = "unknown_line", 422
    PICK_EXCEEDS_REQUESTED = "pick_exceeds_requested", 422
    REASON_REQUIRED = "reason_required", 422
    REASON_NOT_ALLOWED = "reason_not_allowed", 422
    LOCATION_NOT_FOUND = "location_not_found", 404
    # Pick waves.
    WAVE_NOT_FOUND = "wave_not_found", 404
    WAVE_CLAIMED = "wave_claimed", 409
    NOTHING_TO_PICK = "nothing_to_pick", 409
    WAVE_STRATEGY_REQUIRED = "wave_strategy_required", 422
    WRONG_ITEM = "wrong_item", 422
    UNKNOWN_BARCODE = "unknown_barcode", 422
    NOT_SCANNED = "not_scanned", 422
    BARCODE_TAKEN = "barcode_taken", 422
    LOCATION_EXISTS = "location_exists", 409
    NETWORK_NOT_FOUND = "network_not_found", 404
    ALREADY_EXISTS = "already_exists", 409
    IN_USE = "in_use", 409
    # Reason codes.
    REASON_CODE_NOT_FOUND = "reason_code_not_found", 404
    BUILT_IN = "built_in", 409
    # Availability.
    CHANNEL_NOT_FOUND = "channel_not_found", 404
    # A channel's or an exclusion's market that is no ISO 3166-1 country (oms.domain.countries).
    UNKNOWN_MARKET = "unknown_market", 422
    RULE_NOT_FOUND = "rule_not_found", 404
    EXCLUSION_NOT_FOUND = "exclusion_not_found", 404
    TOO_MANY_SKUS = "too_many_skus", 422
    # Sourcing profiles.
    PROFILE_NOT_FOUND = "profile_not_found", 404
    PROFILE_PUBLISHED = "profile_published", 409
    # Inventory syncs.
    SYNC_NOT_FOUND = "sync_not_found", 404
    KEY_NOT_FOUND = "key_not_found", 404
    PAYLOAD_TOO_LARGE = "payload_too_large", 413
    RATE_LIMITED = "rate_limited", 429
    DUPLICATE_ROW = "duplicate_row", 422
    # Cart holds.
    INSUFFICIENT_STOCK = "insufficient_stock", 409
    HOLD_NOT_FOUND = "hold_not_found", 404
    # Auth.
    UNAUTHENTICATED = "unauthenticated", 401
    FORBIDDEN = "forbidden", 403
    # Files.
    FILE_TOO_LARGE = "file_too_large", 413
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", 415
    # HTTP.
    NOT_FOUND = "not_found", 404
    METHOD_NOT_ALLOWED = "method_not_allowed", 405
    # An Idempotency-Key the caller first used for another request (api.idempotency).
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused", 422
    # Infrastructure.
    UNAVAILABLE = "unavailable", 503


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
