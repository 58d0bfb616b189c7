"""Payment gateways that misbehave in one precise way, for workflow tests and recorders."""

from __future__ import annotations

import threading

from oms.connectors.payment_simulator import SimulatedPaymentGateway
from oms.connectors.payments import PaymentError, PaymentUnavailable
from oms.contracts.payments import Authorization, Capture, Void


class RefusesCaptures(SimulatedPaymentGateway):
    def capture(
        self, *, idempotency_key: str, authorization_id: str, amount: int, currency: str
    ) -> Capture:
        raise PaymentError("capture_refused", "the issuer refused the capture")


class SlowToAuthorize(SimulatedPaymentGateway):
    """Times out once (so the run retries as a regular activity), then authorizes only once
    the caller sets ``answer``: the answer can come after a cancel."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.answer = threading.Event()

    def authorize(
        self, *, idempotency_key: str, token: str, amount: int, currency: str
    ) -> Authorization:
        self.calls += 1
        if self.calls == 1:
            raise PaymentUnavailable("gateway_timeout", "no answer in time")
        assert self.answer.wait(30), "the gateway was never let answer"
        return super().authorize(
            idempotency_key=idempotency_key, token=token, amount=amount, currency=currency
        )


class VoidsWholeOnly(SimulatedPaymentGateway):
    """A gateway that cannot let go of part of an authorization."""

    partial_voids = False


class SlowToVoid(SimulatedPaymentGateway):
    """Times out once (so the run retries as a regular activity), then voids only once the
    caller sets ``answer``: the order stays being cancelled until then."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.answer = threading.Event()

    def void(self, *, idempotency_key: str, authorization_id: str) -> Void:
        self.calls += 1
        if self.calls == 1:
            raise PaymentUnavailable("gateway_timeout", "no answer in time")
        assert self.answer.wait(30), "the gateway was never let answer"
        return super().void(idempotency_key=idempotency_key, authorization_id=authorization_id)


class SlowToReauthorize(SimulatedPaymentGateway):
    """Voids whole authorizations only, and is slow to authorize again: the order's own
    authorization is answered at once; the next one times out once (the run retries it as a
    regular activity), then is answered once an authorization is voided, or after
    ``answer_after`` seconds. ``held``: the authorizations not voided."""

    partial_voids = False

    def __init__(self, answer_after: float = 2.0) -> None:
        super().__init__()
        self.calls = 0
        self.answer_after = answer_after
        self.voided = threading.Event()
        self.held: set[str] = set()

    def authorize(
        self, *, idempotency_key: str, token: str, amount: int, currency: str
    ) -> Authorization:
        self.calls += 1
        if self.calls == 2:
            raise PaymentUnavailable("gateway_timeout", "no answer in time")
        if self.calls > 2:
            self.voided.wait(self.answer_after)
        auth = super().authorize(
            idempotency_key=idempotency_key, token=token, amount=amount, currency=currency
        )
        self.held.add(auth.authorization_id)
        return auth

    def void(self, *, idempotency_key: str, authorization_id: str) -> Void:
        done = super().void(idempotency_key=idempotency_key, authorization_id=authorization_id)
        self.held.discard(authorization_id)
        self.voided.set()
        return done
