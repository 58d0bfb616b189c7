"""The payload shapes of the outbox's events, as JSON schemas (``oms.events`` names each
event type with its version and one of these)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oms.domain.returns import ReturnMethod
from oms.domain.shipments import ShipmentStatus

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
BOOL: Schema = {"type": "boolean"}
TIME: Schema = {"type": "string", "format": "date-time"}
LINES: Schema = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["line_id", "sku", "quantity"],
        "properties": {"line_id": STRING, "sku": STRING, "quantity": INT},
    },
}

# What the order's own fulfilment locations hold that goes with it (docs/recommendations.md).
RECOMMENDATIONS: Schema = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["sku", "score", "reason", "ships_from", "extra_shipment"],
        "properties": {
            "sku": STRING,
            "score": {"type": "number"},
            "reason": STRING,
            "ships_from": STRING,
            "extra_shipment": {"type": "boolean"},
        },
    },
}


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
    }


ORDER = {"order_id": STRING}
FULFILMENT = {"fulfilment_id": STRING, "order_id": STRING}
RETURN = obj(
    {
        "return_id": STRING,
        "order_id": STRING,
        "status": STRING,
        "method": {"enum": [m.value for m in ReturnMethod]},
        "location_id": STRING,
        "lines": {"type": "array", "items": {"type": "object"}},
        "refunded": INT,
        "currency": STRING,
    },
    {
        "grades": {"type": ["array", "null"], "items": {"type": "object"}},
        "shipping_refund": INT,
        "exchange_order_id": {"type": ["string", "null"]},
    },
)
# A refund's events: the return, and what this one refund gave back (``refunded`` is the
# return's total so far).
RETURN_REFUND = {
    **RETURN,
    "properties": {**RETURN["properties"], "refund_amount": INT},
}
SHIPMENT = obj(
    {
        **FULFILMENT,
        "carrier": STRING,
        "tracking_number": STRING,
        "status": {"enum": [s.value for s in ShipmentStatus]},
        "occurred_at": TIME,
    },
    {"location": STRING, "detail": STRING},
)
NULLABLE: Schema = {"type": ["string", "null"]}
# What an ERP books of a payment operation (oms.db.finance.booking).
BOOKING = {
    **ORDER,
    "channel": NULLABLE,
    "amount": INT,
    "currency": STRING,
    "gateway": STRING,
    "gateway_reference": NULLABLE,
    "authorization_id": NULLABLE,
    "idempotency_key": STRING,
    "occurred_at": TIME,
}
CAPTURED = {**BOOKING, "fulfilment_id": NULLABLE}
REFUNDED = {**BOOKING, "return_id": NULLABLE, "capture_id": NULLABLE}
# A goodwill refund without a return names its appeasement (``return_id`` then null).
REFUNDED_OPTIONAL = {"appeasement_id": STRING}
# An appeasement's end (oms.db.appeasements.payload): never its note.
APPEASEMENT = obj(
    {
        "appeasement_id": STRING,
        "order_id": STRING,
        "status": STRING,
        "amount": INT,
        "refunded": INT,
        "currency": STRING,
        "reason_code": STRING,
        "line_id": NULLABLE,
        "code": NULLABLE,
    }
)
TAXES: Schema = {
    "type": "array",
    "items": obj({"code": STRING, "rate": {"type": "number"}, "amount": INT}),
}
INVOICE = obj(
    {
        **ORDER,
        "invoice_number": STRING,
        "fulfilment_id": STRING,
        "channel": STRING,
        "customer_id": STRING,
        "currency": STRING,
        "issued_at": TIME,
        "lines": {
            "type": "array",
            "items": obj(
                {
                    "line_id": STRING,
                    "sku": STRING,
                    "quantity": INT,
                    "unit_price": INT,
                    "amount": INT,
                    "taxes": TAXES,
                }
            ),
        },
        "shipping": {
            "oneOf": [{"type": "null"}, obj({"amount": INT, "taxes": TAXES})],
        },
        "taxes": TAXES,
        "total": INT,
        "tax_total": INT,
        "net_total": INT,
    }
)
STOCK = obj({"channel": STRING, "sku": STRING, "previous_atp": INT, "atp": INT, "low_stock": INT})
# A try at collecting a reversed capture, refused again (PaymentRecoveryWorkflow).
RECOVERY_REFUSED = obj(
    {
        **ORDER,
        "fulfilment_id": STRING,
        "amount": INT,
        "attempt": INT,
        "action": STRING,
        "code": STRING,
        "task_id": STRING,
        "next_task_id": STRING,
        "reversed": BOOL,
    }
)


@dataclass(frozen=True)
class EventType:
    name: str  # a ``<...>`` part stands for an id the type carries
    version: int
    about: str
    payload: Schema
