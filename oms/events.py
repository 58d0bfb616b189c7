"""Every event type the OMS writes to its outbox (and so sends to webhook subscribers), with
its version and the JSON schema of its payload (the envelope's ``data``).

docs/events.md shows this registry (``python -m oms.events`` prints its sections); a test
checks that every type the code emits is here and that the page says what this says. A change
a receiver could notice in a payload bumps that type's version.
"""

from __future__ import annotations

import json

from oms.domain.availability import StockEvent
from oms.domain.shipments import EVENT_OF, ShipmentStatus
from oms.event_schemas import (
    BOOKING,
    BOOL,
    CAPTURED,
    FULFILMENT,
    INT,
    INVOICE,
    LINES,
    NULLABLE,
    ORDER,
    RECOMMENDATIONS,
    RECOVERY_REFUSED,
    REFUNDED,
    REFUNDED_OPTIONAL,
    SHIPMENT,
    STOCK,
    STRING,
    TIME,
    EventType,
    Schema,
    obj,
)
from oms.events_after_sale import AFTER_SALE_EVENTS

_SHIPMENT_ABOUT = {
    ShipmentStatus.IN_TRANSIT: "the carrier has the parcel",
    ShipmentStatus.OUT_FOR_DELIVERY: "the parcel is out for delivery",
    ShipmentStatus.DELIVERED: "the parcel was delivered",
    ShipmentStatus.DELIVERY_EXCEPTION: "the carrier could not deliver (a task opens)",
}
_STOCK_ABOUT = {
    StockEvent.OUT_OF_STOCK: "a SKU's channel ATP fell to zero",
    StockEvent.LOW_STOCK: "a SKU's channel ATP fell to the channel's low-stock mark",
    StockEvent.BACK_IN_STOCK: "a SKU's channel ATP rose from zero",
}

EVENTS: list[EventType] = [
    EventType(
        "order.confirmed",
        1,
        "the order is paid for (authorized) and its fulfilments started: where each ships from",
        obj(
            {
                **ORDER,
                "channel": STRING,
                "currency": STRING,
                "total": INT,
                "delivery_method": {"enum": ["ship", "collect"]},
                "store_id": {"type": ["string", "null"]},
                "lines": LINES,
                "fulfilments": {
                    "type": "array",
                    "items": obj({"fulfilment_id": STRING, "location_id": STRING, "lines": LINES}),
                },
            },
            {"recommendations": RECOMMENDATIONS},
        ),
    ),
    EventType(
        "order.completed",
        1,
        "every fulfilment is over and paid",
        obj({**ORDER, "captured": INT}),
    ),
    EventType(
        "order.invoiced",
        1,
        "a fulfilment's goods were captured: its invoice for the ERP (lines that left at their "
        "tax-inclusive prices, the storefront's taxes, the shipping charge on the invoice whose "
        "capture took it, totals); one per fulfilment, numbered `INV-<fulfilment_id>`",
        INVOICE,
    ),
    EventType(
        "order.cancelled",
        1,
        "the order was cancelled (reason: a cancel reason code)",
        obj({**ORDER, "reason": STRING}),
    ),
    EventType(
        "order.line_cancelled",
        1,
        "customer service cancelled units of a line before their pick (edit: the order's n-th "
        "edit; reason_code: a cancel reason code)",
        obj(
            {**ORDER, "edit": INT, "line_id": STRING, "quantity": INT, "reason_code": STRING},
            {"customer_message": {"type": ["string", "null"]}},
        ),
    ),
    EventType(
        "order.delivery_changed",
        1,
        "the order ships to another address, express or not (resourced: the fulfilments "
        "moved for it)",
        obj(
            {**ORDER, "edit": INT, "country": STRING, "express": {"type": "boolean"}},
            {"resourced": {"type": "array", "items": STRING}},
        ),
    ),
    EventType(
        "order.pickup_store_changed",
        1,
        "a collection is to be collected at another store (from, to: store ids; resourced: the "
        "fulfilments moved for it, sourced again for the new store)",
        obj(
            {**ORDER, "edit": INT, "from": STRING, "to": STRING},
            {"resourced": {"type": "array", "items": STRING}},
        ),
    ),
    EventType(
        "order.service_added",
        1,
        "a value-added service was added to a line before its pick",
        obj({**ORDER, "edit": INT, "line_id": STRING, "service": STRING}),
    ),
    EventType(
        "order.delivered",
        1,
        "every shipment of the order was delivered",
        obj({**ORDER, "delivered_at": TIME, "shipments": {"type": "array", "items": STRING}}),
    ),
    EventType(
        "fraud_review.requested",
        1,
        "the order waits for an analyst (task_id)",
        obj({**ORDER, "task_id": STRING}),
    ),
    EventType(
        "fraud_review.escalated",
        1,
        "the review passed its first deadline",
        obj({**ORDER, "task_id": STRING}),
    ),
    EventType(
        "payment.capture_failed.<fulfilment_id>",
        1,
        "a shipped fulfilment's capture failed; a payment_exception task opens. A try customer "
        "service asked for that the gateway refused in turn is `payment.capture_failed."
        "<fulfilment_id>.<attempt>`",
        obj({**ORDER, "fulfilment_id": STRING, "amount": INT}, {"attempt": INT}),
    ),
    EventType(
        "payment.recovery_refused.<task_id>",
        1,
        "a try at collecting a capture the gateway reversed after the fact (customer service's "
        "decision on task `task_id`, carried out by a PaymentRecoveryWorkflow) was refused in "
        "turn; the next payment_exception task (`next_task_id`) opens",
        RECOVERY_REFUSED,
    ),
    EventType(
        "payment.written_off.<fulfilment_id>",
        1,
        "customer service gave up a refused capture, or one the gateway reversed after the "
        "fact (then with the task decided and `reversed`): the goods are gone, the money too",
        obj(
            {**ORDER, "fulfilment_id": STRING, "amount": INT, "by": STRING},
            {"task_id": STRING, "reversed": BOOL},
        ),
    ),
    EventType(
        "payment.captured",
        1,
        "a capture went through (a fulfilment left): what the ERP books. A capture the gateway "
        "reversed after the fact, then made again on its own, is booked once more, after its "
        "`payment.capture_reversed`, with `recaptured`",
        obj(CAPTURED, {"recaptured": BOOL}),
    ),
    EventType(
        "payment.refunded",
        1,
        "a refund went through (a return's, or an appeasement's: `appeasement_id`): what the "
        "ERP books",
        obj(REFUNDED, REFUNDED_OPTIONAL),
    ),
    EventType(
        "payment.capture_reversed",
        1,
        "the gateway says a capture it had answered as done failed; a payment_exception task "
        "opens, whose decision a PaymentRecoveryWorkflow carries out",
        obj({**CAPTURED, "code": STRING}),
    ),
    EventType(
        "payment.refund_failed",
        1,
        "the gateway says a refund it had answered as done failed (an appeasement's: "
        "`appeasement_id`, the appeasement then `failed` with `code`)",
        obj({**REFUNDED, "code": STRING}, REFUNDED_OPTIONAL),
    ),
    EventType(
        "payment.chargeback",
        1,
        "a card holder disputes a capture (amount: what is disputed); a chargeback task opens",
        obj(
            {
                **BOOKING,
                "fulfilment_id": NULLABLE,
                "chargeback_id": STRING,
                "capture_key": STRING,
                "reason": NULLABLE,
                "task_id": STRING,
            }
        ),
    ),
    EventType(
        "payment.chargeback_decided",
        1,
        "customer service accepted or disputed a chargeback",
        obj(
            {
                **ORDER,
                "task_id": STRING,
                "chargeback_id": NULLABLE,
                "gateway": NULLABLE,
                "amount": {"type": ["integer", "null"]},
                "currency": NULLABLE,
                "decision": {"enum": ["accept", "dispute"]},
                "note": STRING,
                "by": STRING,
            }
        ),
    ),
    EventType(
        "fulfilment.transfer_shipped",
        1,
        "a ship-to-store transfer left its source for the collection store",
        obj(
            {
                **FULFILMENT,
                "from_location_id": STRING,
                "to_location_id": STRING,
                "carrier": STRING,
                "tracking_number": STRING,
            }
        ),
    ),
    EventType(
        "fulfilment.transfer_received",
        1,
        "a ship-to-store transfer was scanned in at its collection store",
        obj(
            {
                **FULFILMENT,
                "from_location_id": STRING,
                "to_location_id": STRING,
                "received_by": STRING,
            }
        ),
    ),
    EventType(
        "fulfilment.overdue",
        1,
        "a pick or service step passed its due time",
        obj({**FULFILMENT, "step": STRING, "due_at": TIME}),
    ),
    EventType(
        "fulfilment.ready_for_collection",
        2,
        "the customer may collect it: with the code, or on the order's number where the "
        "location runs no fulfilment profile (collection_code null; a string in version 1)",
        obj({**FULFILMENT, "location_id": STRING, "collection_code": NULLABLE}),
    ),
    EventType(
        "fulfilment.collection_reminder",
        1,
        "the parcel still waits at the store",
        obj(
            {
                **FULFILMENT,
                "location_id": STRING,
                "collection_code": STRING,
                "customer_message": STRING,
                "hold_until": TIME,
            }
        ),
    ),  # fmt: skip
    EventType(
        "fulfilment.collected",
        1,
        "the customer took some or all of it",
        obj(
            {
                **FULFILMENT,
                "location_id": STRING,
                "collection": INT,
                "lines": LINES,
                "complete": {"type": "boolean"},
            }
        ),
    ),  # fmt: skip
    EventType(
        "fulfilment.not_collected",
        1,
        "the hold is over; what was left goes back to stock",
        obj(
            {
                **FULFILMENT,
                "location_id": STRING,
                "reason": STRING,
                "customer_message": STRING,
                "lines": LINES,
            }
        ),
    ),  # fmt: skip
    *[EventType(EVENT_OF[s], 1, _SHIPMENT_ABOUT[s], SHIPMENT) for s in ShipmentStatus],
    EventType(
        "task.escalated",
        1,
        "an open task passed its first deadline",
        obj(
            {"task_id": STRING, "kind": STRING},
            {
                "order_id": {"type": ["string", "null"]},
                "location_id": {"type": ["string", "null"]},
                "assignee": {"type": ["string", "null"]},
                "due_at": {"type": ["string", "null"]},
            },
        ),
    ),  # fmt: skip
    *AFTER_SALE_EVENTS,
    *[
        EventType(f"inventory.{k.value}", 1, _STOCK_ABOUT[k], STOCK)
        for k in (StockEvent.OUT_OF_STOCK, StockEvent.LOW_STOCK, StockEvent.BACK_IN_STOCK)
    ],
    EventType(
        "inventory.discrepancy",
        1,
        "a till sold more than the OMS held on hand at its store: on hand fell to zero; count it",
        obj(
            {
                "location_id": STRING,
                "sku": STRING,
                "recorded_on_hand": INT,
                "sold": INT,
                "shortfall": INT,
                "source": STRING,
                "reference": STRING,
            }
        ),
    ),
]


def named(event_type: str) -> EventType | None:
    """The registry's entry for a type as emitted (``payment.capture_failed.F1`` too)."""
    for e in EVENTS:
        prefix, _, rest = e.name.partition("<")
        if e.name == event_type or (rest and event_type.startswith(prefix)):
            return e
    return None


def _schema_text(schema: Schema) -> str:
    """The payload's schema as JSON, one property a line."""
    props = schema.get("properties", {})
    inner = ",\n".join(f"    {json.dumps(k)}: {json.dumps(v)}" for k, v in props.items())
    head = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in schema.items() if k != "properties"]
    return "{\n" + ",\n".join([*head, '  "properties": {\n' + inner + "\n  }"]) + "\n}"


def section(e: EventType) -> str:
    schema = _schema_text(e.payload)
    about = e.about[0].upper() + e.about[1:]
    return f"### `{e.name}` (version {e.version})\n\n{about}.\n\n```json\n{schema}\n```\n"


if __name__ == "__main__":
    print("\n".join(section(e) for e in EVENTS))
