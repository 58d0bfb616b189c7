"""Payment activities: authorize, capture per shipment, void what was not captured."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from oms.connectors.payments import (
    Authorization,
    Capture,
    PaymentDeclined,
    PaymentError,
    PaymentGateway,
    PaymentUnavailable,
    Void,
)
from oms.logging import get_logger

log = get_logger(__name__)


class AuthorizeRequest(BaseModel):
    order_id: str
    token: str
    amount: int
    currency: str


class CaptureRequest(BaseModel):
    order_id: str
    shipment_key: str
    authorization_id: str
    amount: int
    currency: str


class VoidRequest(BaseModel):
    order_id: str
    authorization_id: str


class PaymentActivities:
    def __init__(self, gateway: PaymentGateway) -> None:
        self.gateway = gateway

    @activity.defn
    def authorize_payment(self, req: AuthorizeRequest) -> Authorization:
        try:
            auth = self.gateway.authorize(
                idempotency_key=f"{req.order_id}:authorize",
                token=req.token,
                amount=req.amount,
                currency=req.currency,
            )
        except PaymentDeclined as exc:
            log.info("payment_declined", order_id=req.order_id, code=exc.code)
            raise ApplicationError(
                str(exc), exc.code, type="PaymentDeclined", non_retryable=True
            ) from exc
        except PaymentUnavailable:
            raise  # transient: Temporal retries with the same idempotency key
        except PaymentError as exc:
            raise ApplicationError(
                str(exc), exc.code, type="PaymentError", non_retryable=True
            ) from exc
        log.info("payment_authorized", order_id=req.order_id, amount=auth.amount)
        return auth

    @activity.defn
    def capture_payment(self, req: CaptureRequest) -> Capture:
        try:
            cap = self.gateway.capture(
                idempotency_key=f"{req.order_id}:capture:{req.shipment_key}",
                authorization_id=req.authorization_id,
                amount=req.amount,
                currency=req.currency,
            )
        except PaymentUnavailable:
            raise
        except PaymentError as exc:
            raise ApplicationError(
                str(exc), exc.code, type="PaymentError", non_retryable=True
            ) from exc
        log.info(
            "payment_captured", order_id=req.order_id, amount=cap.amount, shipment=req.shipment_key
        )
        return cap

    @activity.defn
    def void_payment(self, req: VoidRequest) -> Void:
        try:
            void = self.gateway.void(
                idempotency_key=f"{req.order_id}:void", authorization_id=req.authorization_id
            )
        except PaymentUnavailable:
            raise
        except PaymentError as exc:
            raise ApplicationError(
                str(exc), exc.code, type="PaymentError", non_retryable=True
            ) from exc
        log.info("payment_voided", order_id=req.order_id, amount=void.voided_amount)
        return void
