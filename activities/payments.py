"""Payment activities: authorize, capture per shipment, void what was not captured."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from temporalio import activity
from temporalio.exceptions import ApplicationError

from oms.connectors.payments import (
    PaymentDeclined,
    PaymentError,
    PaymentGateway,
    PaymentUnavailable,
)
from oms.contracts.payments import (
    Authorization,
    AuthorizeRequest,
    Capture,
    CaptureRequest,
    Void,
    VoidRequest,
)
from oms.keys import authorize_key, capture_key, void_key
from oms.logging import get_logger

log = get_logger(__name__)


@contextmanager
def _gateway_refusals(order_id: str) -> Iterator[None]:
    """A refusal is final: a non-retryable ApplicationError whose type the workflow reads.
    PaymentUnavailable passes through: Temporal retries it with the same idempotency key."""
    try:
        yield
    except PaymentUnavailable:
        raise
    except PaymentError as exc:
        kind = "PaymentDeclined" if isinstance(exc, PaymentDeclined) else "PaymentError"
        log.info("payment_refused", order_id=order_id, code=exc.code, type=kind)
        raise ApplicationError(str(exc), exc.code, type=kind, non_retryable=True) from exc


class PaymentActivities:
    def __init__(self, gateway: PaymentGateway) -> None:
        self.gateway = gateway

    @activity.defn
    def authorize_payment(self, req: AuthorizeRequest) -> Authorization:
        with _gateway_refusals(req.order_id):
            auth = self.gateway.authorize(
                idempotency_key=authorize_key(req.order_id),
                token=req.token,
                amount=req.amount,
                currency=req.currency,
            )
        log.info("payment_authorized", order_id=req.order_id, amount=auth.amount)
        return auth

    @activity.defn
    def capture_payment(self, req: CaptureRequest) -> Capture:
        with _gateway_refusals(req.order_id):
            cap = self.gateway.capture(
                idempotency_key=capture_key(req.order_id, req.shipment_key),
                authorization_id=req.authorization_id,
                amount=req.amount,
                currency=req.currency,
            )
        log.info(
            "payment_captured", order_id=req.order_id, amount=cap.amount, shipment=req.shipment_key
        )
        return cap

    @activity.defn
    def void_payment(self, req: VoidRequest) -> Void:
        with _gateway_refusals(req.order_id):
            void = self.gateway.void(
                idempotency_key=void_key(req.order_id), authorization_id=req.authorization_id
            )
        log.info("payment_voided", order_id=req.order_id, amount=void.voided_amount)
        return void
