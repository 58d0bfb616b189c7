"""Payment gateways that misbehave in one precise way, for workflow tests and recorders."""

from __future__ import annotations

import threading

from oms.connectors.payment_simulator import SimulatedPaymentGateway
from oms.connectors.payments import PaymentError, PaymentUnavailable
from oms.contracts.payments import Authorization, Capture, Refund, Void


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


class RefundsLater(SimulatedPaymentGateway):
    """Unavailable for refunds until the caller sets ``back`` (never, if it does not): each
    attempt counted in ``refund_calls``."""

    def __init__(self, back_after: int | None = None) -> None:
        super().__init__()
        self.refund_calls = 0
        self.back_after = back_after

    def refund(
        self, *, idempotency_key: str, capture_id: str, amount: int, currency: str
    ) -> Refund:
        self.refund_calls += 1
        if self.back_after is None or self.refund_calls <= self.back_after:
            raise PaymentUnavailable("gateway_timeout", "no answer in time")
        return super().refund(
            idempotency_key=idempotency_key, capture_id=capture_id, amount=amount, currency=currency
        )


class CapturesUnanswered(SimulatedPaymentGateway):
    """Captures get no answer (the gateway is down) while ``down`` is set; ``calls`` counts
    them."""

    def __init__(self) -> None:
        super().__init__()
        self.down = threading.Event()
        self.calls = 0

    def capture(
        self, *, idempotency_key: str, authorization_id: str, amount: int, currency: str
    ) -> Capture:
        if self.down.is_set():
            self.calls += 1
            raise PaymentUnavailable("gateway_timeout", "no answer in time")
        return super().capture(
            idempotency_key=idempotency_key,
            authorization_id=authorization_id,
            amount=amount,
            currency=currency,
        )


class RefundsWhenLetGo(SimulatedPaymentGateway):
    """A refund is held (the gateway thinking) until the caller sets ``go``, then paid;
    ``asked`` is set once one is held."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = threading.Event()
        self.go = threading.Event()

    def refund(
        self, *, idempotency_key: str, capture_id: str, amount: int, currency: str
    ) -> Refund:
        self.asked.set()
        self.go.wait(timeout=20)
        return super().refund(
            idempotency_key=idempotency_key, capture_id=capture_id, amount=amount, currency=currency
        )


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
