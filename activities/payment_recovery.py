"""A reversed capture's recovery at the gateway (``PaymentRecoveryWorkflow``): its own
activities, named apart from the order's (``authorize_recovery``, ``void_recovery``,
``release_reversed``, ``recaptured_by_gateway``), so that a worker of a release before them
fails the call as "not registered" and Temporal hands it to a worker that knows them, instead
of running it as the order's own authorization or void under the order's keys.

Each keys its call with the try (``oms.gateway_keys.recovery_try``) and writes the payment
ledger as the order's payment activities do (``LedgerAttempt``): once per key, refusals as
non-retryable ``ApplicationError``s, an unavailable gateway retried by Temporal under the same
key.
"""

from __future__ import annotations

from temporalio import activity

from activities.payments import LedgerAttempt, PaymentActivities
from oms.contracts.payment_recovery import RecoveryInput, RecoveryPayment, Released
from oms.contracts.payments import Authorization, Void
from oms.db import orders as order_repo
from oms.db import payments as ledger
from oms.domain.order import STORED_PAYMENT_TOKEN, OrderStatus
from oms.gateway_keys import recovery_authorize_key, recovery_release_key, recovery_void_key
from oms.logging import get_logger

log = get_logger(__name__)


class PaymentRecoveryActivities:
    def __init__(self, payments: PaymentActivities) -> None:
        self.payments = payments
        self.gateway = payments.gateway
        self.db = payments.db

    @activity.defn
    def authorize_recovery(self, req: RecoveryPayment) -> Authorization:
        """Authorize the reversed amount afresh with the order's stored payment token
        (``payment_token_missing`` once the order is over: its token went with it)."""
        key = recovery_authorize_key(req.order_id, req.try_)
        attempt = LedgerAttempt(
            self.payments, "authorize", key, req.order_id, req.amount, req.currency
        )
        with attempt.refusals():
            token = self.payments.stored_token(req.order_id, STORED_PAYMENT_TOKEN)
            auth = self.gateway.authorize(
                idempotency_key=key, token=token, amount=req.amount, currency=req.currency
            )
        attempt.succeeded(auth.amount, auth.authorization_id, auth.authorization_id)
        log.info("recovery_authorized", order_id=req.order_id, amount=auth.amount, key=key)
        return auth

    @activity.defn
    def void_recovery(self, req: RecoveryPayment) -> Void:
        """Void the fresh authorization whose capture was refused all the same."""
        assert req.authorization_id is not None
        key = recovery_void_key(req.order_id, req.try_)
        attempt = LedgerAttempt(self.payments, "void", key, req.order_id, 0, req.currency)
        with attempt.refusals(req.authorization_id):
            void = self.gateway.void(idempotency_key=key, authorization_id=req.authorization_id)
        attempt.succeeded(void.voided_amount, req.authorization_id, req.authorization_id)
        log.info("recovery_voided", order_id=req.order_id, amount=void.voided_amount)
        return void

    @activity.defn
    def release_reversed(self, req: RecoveryPayment) -> Released | None:
        """Let go of the reversed amount on the reversed capture's authorization, which the
        gateway gave it back to, once the money is collected on a fresh one or written off:
        part of it while the order runs (its next captures still need the rest), the whole
        authorization once the order is over (nothing more is captured on it). None when
        there is nothing to let go of here: no authorization known, or a gateway that cannot
        let go of part of one while the order runs (its own void at its end, or the
        authorization's expiry, releases it)."""
        if req.authorization_id is None:
            return None
        with self.db.reading() as s:
            row = order_repo.get_order(s, req.order_id)
        over = row is not None and OrderStatus(row.status).is_final
        if not over and not self.gateway.partial_voids:
            log.info("recovery_release_skipped", order_id=req.order_id, reason="no_partial_voids")
            return None
        key = recovery_release_key(req.order_id, req.try_, partial=not over)
        if over:
            attempt = LedgerAttempt(self.payments, "void", key, req.order_id, 0, req.currency)
            with attempt.refusals(req.authorization_id):
                void = self.gateway.void(idempotency_key=key, authorization_id=req.authorization_id)
            voided = void.voided_amount
        else:
            attempt = LedgerAttempt(
                self.payments, "partial_void", key, req.order_id, req.amount, req.currency
            )
            with attempt.refusals(req.authorization_id):
                done = self.gateway.void_part(
                    idempotency_key=key,
                    authorization_id=req.authorization_id,
                    amount=req.amount,
                    currency=req.currency,
                )
            voided = done.voided_amount
        attempt.succeeded(voided, req.authorization_id, req.authorization_id)
        log.info("recovery_released", order_id=req.order_id, amount=voided, partial=not over)
        return Released(voided_amount=voided, partial=not over)

    @activity.defn
    def recaptured_by_gateway(self, req: RecoveryInput) -> bool:
        """The reversed capture's ledger row says succeeded again: the gateway captured it on
        its own meanwhile (its notice applied), so the recovery must not capture it twice."""
        with self.db.reading() as s:
            row = ledger.entry(s, req.reversed_key)
        return row is not None and row.outcome == "succeeded"
