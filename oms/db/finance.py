"""Finance events: what an ERP books of each payment operation, written to the outbox with
the ledger row that records it (``payment.captured``, ``payment.refunded``: a return's or an
appeasement's), and the reversal
events a gateway's late notice makes (``payment.capture_reversed``, ``payment.refund_failed``).

Each once per idempotency key: the event id names the operation's key.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from oms.db import outbox
from oms.db.tables import Order, PaymentLedgerEntry
from oms.db.tables.base import as_utc
from oms.gateway_keys import (
    capture_fulfilment,
    refund_appeasement,
    refund_return,
    refunded_capture,
)

PAYMENT_CAPTURED = "payment.captured"
PAYMENT_REFUNDED = "payment.refunded"
CAPTURE_REVERSED = "payment.capture_reversed"
REFUND_FAILED = "payment.refund_failed"


def booking(session: Session, entry: PaymentLedgerEntry, gateway: str) -> dict[str, Any]:
    """Everything an ERP needs to book one operation of the ledger."""
    order = session.get(Order, entry.order_id)
    payload: dict[str, Any] = {
        "order_id": entry.order_id,
        "channel": order.channel if order is not None else None,
        "amount": entry.amount,
        "currency": entry.currency,
        "gateway": gateway,
        "gateway_reference": entry.gateway_reference,
        "authorization_id": entry.authorization_id,
        "idempotency_key": entry.idempotency_key,
        "occurred_at": as_utc(entry.recorded_at).isoformat(),
    }
    if entry.operation == "capture":
        payload["fulfilment_id"] = capture_fulfilment(entry.idempotency_key)
    else:
        payload["return_id"] = refund_return(entry.idempotency_key)
        payload["capture_id"] = refunded_capture(entry.idempotency_key)
        appeasement_id = refund_appeasement(entry.idempotency_key)
        if appeasement_id is not None:  # a goodwill refund, no return
            payload["appeasement_id"] = appeasement_id
    return payload


def _emit(session: Session, type_: str, entry: PaymentLedgerEntry, payload: dict[str, Any]) -> bool:
    return outbox.emit(
        session,
        event_id=f"{type_}:{entry.idempotency_key}",
        type=type_,
        order_id=entry.order_id,
        payload=payload,
    )


def booked(session: Session, entry: PaymentLedgerEntry, gateway: str) -> bool:
    """A capture or a refund that succeeded: its finance event, once. True if it was new."""
    if entry.outcome != "succeeded" or entry.operation not in ("capture", "refund"):
        return False
    type_ = PAYMENT_CAPTURED if entry.operation == "capture" else PAYMENT_REFUNDED
    return _emit(session, type_, entry, booking(session, entry, gateway))


def rebooked(session: Session, entry: PaymentLedgerEntry, gateway: str) -> bool:
    """A capture reversed, then made again by the gateway on its own: booked once more
    (``payment.captured`` with ``"recaptured": true``, ``occurred_at`` when the OMS heard it),
    once per key, after its ``payment.capture_reversed``."""
    payload = {**booking(session, entry, gateway), "recaptured": True}
    if entry.confirmed_at is not None:
        payload["occurred_at"] = as_utc(entry.confirmed_at).isoformat()
    return outbox.emit(
        session,
        event_id=f"{PAYMENT_CAPTURED}:{entry.idempotency_key}:recaptured",
        type=PAYMENT_CAPTURED,
        order_id=entry.order_id,
        payload=payload,
    )


def unbooked(session: Session, entry: PaymentLedgerEntry, gateway: str, code: str) -> bool:
    """A capture or a refund booked as done that the gateway says failed: the event that
    takes it back, once (``occurred_at``: when the OMS heard it failed)."""
    type_ = CAPTURE_REVERSED if entry.operation == "capture" else REFUND_FAILED
    payload = {**booking(session, entry, gateway), "code": code}
    if entry.reversed_at is not None:
        payload["occurred_at"] = as_utc(entry.reversed_at).isoformat()
    return _emit(session, type_, entry, payload)
