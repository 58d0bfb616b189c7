"""Letting go of part of an authorization (an order edit lowered the amount): the simulator
does it once per key and never past what is held; the HTTP client sends it only to a gateway
said to support it."""

from __future__ import annotations

import json

import httpx
import pytest

from oms.connectors.payment_simulator import SimulatedPaymentGateway
from oms.connectors.payments import HttpPaymentGateway, PaymentError
from oms.contracts.payments import PartialVoid


def _authorized(gateway: SimulatedPaymentGateway, amount: int = 1_000) -> str:
    auth = gateway.authorize(
        idempotency_key="auth-1", token="tok_ok", amount=amount, currency="EUR"
    )
    return auth.authorization_id


def test_a_partial_void_lowers_what_can_be_captured_once_per_key() -> None:
    gateway = SimulatedPaymentGateway()
    auth_id = _authorized(gateway)

    first = gateway.void_part(
        idempotency_key="pv-1", authorization_id=auth_id, amount=300, currency="EUR"
    )
    replay = gateway.void_part(
        idempotency_key="pv-1", authorization_id=auth_id, amount=300, currency="EUR"
    )

    assert first == replay == PartialVoid(authorization_id=auth_id, voided_amount=300)
    state = gateway.state(auth_id)
    assert (state.amount, state.released) == (700, 300)
    with pytest.raises(PaymentError) as too_much:
        gateway.capture(
            idempotency_key="cap-1", authorization_id=auth_id, amount=800, currency="EUR"
        )
    assert too_much.value.code == "capture_exceeds_authorization"
    void = gateway.void(idempotency_key="void-1", authorization_id=auth_id)
    assert void.voided_amount == 700
    assert [t.operation for t in gateway.transactions()] == ["authorize", "partial_void", "void"]


def test_a_partial_void_never_lets_go_of_what_was_captured() -> None:
    gateway = SimulatedPaymentGateway()
    auth_id = _authorized(gateway)
    gateway.capture(idempotency_key="cap-1", authorization_id=auth_id, amount=800, currency="EUR")

    with pytest.raises(PaymentError) as refused:
        gateway.void_part(
            idempotency_key="pv-1", authorization_id=auth_id, amount=300, currency="EUR"
        )

    assert refused.value.code == "void_exceeds_authorization"


def test_the_http_client_sends_the_amount_to_the_partial_voids_endpoint() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"voided_amount": 300})

    gateway = HttpPaymentGateway(
        "https://pay.test",
        "sk_test_123",
        transport=httpx.MockTransport(answer),
        partial_voids=True,
    )

    done = gateway.void_part(
        idempotency_key="O1:partial-void:1", authorization_id="auth_1", amount=300, currency="EUR"
    )

    assert done == PartialVoid(authorization_id="auth_1", voided_amount=300)
    [request] = seen
    assert request.url.path == "/v1/authorizations/auth_1/partial-voids"
    assert request.headers["Idempotency-Key"] == "O1:partial-void:1"
    assert json.loads(request.content) == {"amount": 300, "currency": "EUR"}


def test_a_gateway_not_said_to_support_partial_voids_is_never_asked() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    gateway = HttpPaymentGateway(
        "https://pay.test", "sk_test_123", transport=httpx.MockTransport(answer)
    )

    with pytest.raises(PaymentError) as refused:
        gateway.void_part(
            idempotency_key="k", authorization_id="auth_1", amount=300, currency="EUR"
        )

    assert gateway.partial_voids is False
    assert refused.value.code == "partial_void_unsupported"
