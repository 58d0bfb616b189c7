"""Payment activities: authorize, capture per shipment, void what was not captured, refund
part of a capture.

Each records what the gateway answered in the payment ledger (``oms.db.payments``), once per
idempotency key, so that ``oms payments reconcile`` can compare the OMS's record with the
gateway's; a capture or a refund that went through writes its finance event with its row
(``oms.db.finance``). The authorization takes the payment token the API keeps: the workflow
only carries a reference to it (``STORED_PAYMENT_TOKEN``); runs started before that carry the
token itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from temporalio import activity
from temporalio.exceptions import ApplicationError

from oms.connectors.payments import (
    PaymentDeclined,
    PaymentError,
    PaymentGateway,
    PaymentOperation,
    PaymentUnavailable,
)
from oms.contracts.payments import (
    Authorization,
    AuthorizeRequest,
    Capture,
    CaptureRequest,
    PartialVoid,
    PartialVoidRequest,
    Refund,
    RefundRequest,
    Void,
    VoidRequest,
)
from oms.db import finance
from oms.db import payments as ledger
from oms.db.engine import Database
from oms.db.tables import PaymentLedgerEntry
from oms.domain.order import STORED_PAYMENT_TOKEN
from oms.gateway_keys import (
    authorize_key,
    capture_key,
    extra_void_key,
    partial_void_key,
    reauthorize_key,
    refund_key,
    void_key,
)
from oms.logging import get_logger

log = get_logger(__name__)


class PaymentActivities:
    def __init__(
        self, gateway: PaymentGateway, db: Database, *, gateway_name: str = "simulator"
    ) -> None:
        self.gateway = gateway
        self.db = db
        self.gateway_name = gateway_name

    @activity.defn
    def authorize_payment(self, req: AuthorizeRequest) -> Authorization:
        if req.attempt:
            key = reauthorize_key(req.order_id, req.attempt)
        else:
            key = authorize_key(req.order_id)
        attempt = LedgerAttempt(self, "authorize", key, req.order_id, req.amount, req.currency)
        with attempt.refusals():
            auth = self.gateway.authorize(
                idempotency_key=key,
                token=self._token(req),
                amount=req.amount,
                currency=req.currency,
            )
        attempt.succeeded(auth.amount, auth.authorization_id, auth.authorization_id)
        log.info("payment_authorized", order_id=req.order_id, amount=auth.amount)
        return auth

    @activity.defn
    def capture_payment(self, req: CaptureRequest) -> Capture:
        key = capture_key(req.order_id, req.shipment_key)
        attempt = LedgerAttempt(self, "capture", key, req.order_id, req.amount, req.currency)
        with attempt.refusals(req.authorization_id):
            cap = self.gateway.capture(
                idempotency_key=key,
                authorization_id=req.authorization_id,
                amount=req.amount,
                currency=req.currency,
            )
        attempt.succeeded(cap.amount, req.authorization_id, cap.capture_id)
        log.info(
            "payment_captured", order_id=req.order_id, amount=cap.amount, shipment=req.shipment_key
        )
        return cap

    @activity.defn
    def void_payment(self, req: VoidRequest) -> Void:
        if req.attempt:
            key = extra_void_key(req.order_id, req.attempt)
        else:
            key = void_key(req.order_id)
        # A void names no amount or currency: the ledger takes the authorization's.
        with self.db.reading() as s:
            authorized = ledger.entry(s, authorize_key(req.order_id))
        currency = authorized.currency if authorized else ""
        attempt = LedgerAttempt(self, "void", key, req.order_id, 0, currency)
        with attempt.refusals(req.authorization_id):
            void = self.gateway.void(idempotency_key=key, authorization_id=req.authorization_id)
        attempt.succeeded(void.voided_amount, req.authorization_id, req.authorization_id)
        log.info("payment_voided", order_id=req.order_id, amount=void.voided_amount)
        return void

    @activity.defn
    def void_part(self, req: PartialVoidRequest) -> PartialVoid | None:
        """Let go of part of an authorization; None when the gateway cannot (the order then
        authorizes the lower amount afresh)."""
        if not self.gateway.partial_voids:
            return None
        key = partial_void_key(req.order_id, req.edit)
        attempt = LedgerAttempt(self, "partial_void", key, req.order_id, req.amount, req.currency)
        with attempt.refusals(req.authorization_id):
            done = self.gateway.void_part(
                idempotency_key=key,
                authorization_id=req.authorization_id,
                amount=req.amount,
                currency=req.currency,
            )
        attempt.succeeded(done.voided_amount, req.authorization_id, req.authorization_id)
        log.info("payment_partly_voided", order_id=req.order_id, amount=done.voided_amount)
        return done

    @activity.defn
    def refund_payment(self, req: RefundRequest) -> Refund:
        key = refund_key(req.order_id, req.refund_for)
        attempt = LedgerAttempt(self, "refund", key, req.order_id, req.amount, req.currency)
        with attempt.refusals(req.authorization_id):
            refund = self.gateway.refund(
                idempotency_key=key,
                capture_id=req.capture_id,
                amount=req.amount,
                currency=req.currency,
            )
        attempt.succeeded(refund.amount, req.authorization_id, refund.refund_id)
        log.info(
            "payment_refunded", order_id=req.order_id, amount=refund.amount, refund=req.refund_for
        )
        return refund

    def _token(self, req: AuthorizeRequest) -> str:
        return self.stored_token(req.order_id, req.token)

    def stored_token(self, order_id: str, token: str) -> str:
        """The payment token a run's reference stands for (``PaymentError``
        ``payment_token_missing`` once the order's end forgot it)."""
        if token != STORED_PAYMENT_TOKEN:
            return token  # a run started before the API kept tokens
        with self.db.reading() as s:
            stored = ledger.token_for(s, order_id)
        if stored is None:
            raise PaymentError("payment_token_missing", f"no payment token for {order_id}")
        return stored


class LedgerAttempt:
    """One payment operation's ledger row, written once the gateway has answered."""

    def __init__(
        self,
        owner: PaymentActivities,
        operation: PaymentOperation,
        key: str,
        order_id: str,
        amount: int,
        currency: str,
    ) -> None:
        self.db = owner.db
        self.gateway_name = owner.gateway_name
        self.entry = PaymentLedgerEntry(
            idempotency_key=key,
            order_id=order_id,
            operation=operation,
            outcome="succeeded",
            amount=amount,
            currency=currency,
        )

    def succeeded(self, amount: int, authorization_id: str, reference: str) -> None:
        self.entry.amount = amount
        self.entry.authorization_id = authorization_id
        self.entry.gateway_reference = reference
        self._write()

    @contextmanager
    def refusals(self, authorization_id: str | None = None) -> Iterator[None]:
        """A refusal is final: recorded, then raised as a non-retryable ApplicationError
        whose type the workflow reads. PaymentUnavailable passes through unrecorded: Temporal
        retries it with the same idempotency key."""
        try:
            yield
        except PaymentUnavailable:
            raise
        except PaymentError as exc:
            kind = "PaymentDeclined" if isinstance(exc, PaymentDeclined) else "PaymentError"
            log.info("payment_refused", order_id=self.entry.order_id, code=exc.code, type=kind)
            self.entry.outcome = "refused"
            self.entry.code = exc.code[:64]
            self.entry.authorization_id = authorization_id
            self._write()
            raise ApplicationError(str(exc), exc.code, type=kind, non_retryable=True) from exc

    def _write(self) -> None:
        """The ledger row and, for a capture or a refund that went through, its finance
        event (payment.captured, payment.refunded), in one transaction: once each."""
        with self.db.session() as s:
            if ledger.record(s, self.entry):
                finance.booked(s, self.entry, self.gateway_name)
