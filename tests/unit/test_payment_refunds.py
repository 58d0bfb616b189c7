"""Refunds (issue 12): the simulator refunds part of a capture, once per idempotency key, never
more than the capture took; the HTTP client speaks the gateway's refund call."""

from __future__ import annotations

import json

import httpx
import pytest

from oms.connectors.payment_simulator import SimulatedPaymentGateway
from oms.connectors.payments import HttpPaymentGateway, PaymentError
from oms.contracts.payments import Capture, Refund
from oms.gateway_keys import payment_key_order_id, refund_key


def captured(gateway: SimulatedPaymentGateway, amount: int = 1_000) -> Capture:
    auth = gateway.authorize(
        idempotency_key="R-1:authorize", token="tok_ok", amount=amount, currency="EUR"
    )
    return gateway.capture(
        idempotency_key="R-1:capture:R-1.F1",
        authorization_id=auth.authorization_id,
        amount=amount,
        currency="EUR",
    )


def refund(gateway: SimulatedPaymentGateway, cap: Capture, amount: int, key: str) -> Refund:
    return gateway.refund(
        idempotency_key=key, capture_id=cap.capture_id, amount=amount, currency="EUR"
    )


def test_a_capture_is_refunded_in_parts_up_to_what_it_took() -> None:
    gateway = SimulatedPaymentGateway()
    cap = captured(gateway, 1_000)

    first = refund(gateway, cap, 300, "R-1:refund:RET-1")
    second = refund(gateway, cap, 700, "R-1:refund:RET-2")

    assert (first.amount, second.amount) == (300, 700)
    assert first.refund_id != second.refund_id
    assert gateway.state(cap.authorization_id).refunded == {cap.capture_id: 1_000}
    with pytest.raises(PaymentError) as refused:
        refund(gateway, cap, 1, "R-1:refund:RET-3")
    assert refused.value.code == "refund_exceeds_capture"


def test_a_retried_refund_refunds_once() -> None:
    gateway = SimulatedPaymentGateway()
    cap = captured(gateway, 1_000)

    answers = [refund(gateway, cap, 400, "R-1:refund:RET-1") for _ in range(3)]

    assert answers[0] == answers[1] == answers[2]
    assert gateway.state(cap.authorization_id).refunded == {cap.capture_id: 400}
    refunds = [t for t in gateway.transactions() if t.operation == "refund"]
    assert [(t.amount, t.authorization_id, t.reference) for t in refunds] == [
        (400, cap.authorization_id, answers[0].refund_id)
    ]


@pytest.mark.parametrize(
    ("capture_id", "amount", "currency", "code"),
    [
        ("sim_cap_unknown", 100, "EUR", "unknown_capture"),
        (None, 0, "EUR", "invalid_amount"),
        (None, 100, "GBP", "currency_mismatch"),
    ],
)
def test_a_refund_the_gateway_cannot_make_is_refused_with_its_code(
    capture_id: str | None, amount: int, currency: str, code: str
) -> None:
    gateway = SimulatedPaymentGateway()
    cap = captured(gateway, 1_000)

    with pytest.raises(PaymentError) as refused:
        gateway.refund(
            idempotency_key="R-1:refund:RET-9",
            capture_id=capture_id or cap.capture_id,
            amount=amount,
            currency=currency,
        )

    assert refused.value.code == code
    assert gateway.state(cap.authorization_id).refunded == {}


def test_refund_keys_name_their_order() -> None:
    key = refund_key("WEB-7", "RET-3")

    assert key == "WEB-7:refund:RET-3"
    assert payment_key_order_id(key) == "WEB-7"


def test_the_http_client_posts_the_refund_to_the_capture() -> None:
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(201, json={"id": "re_1", "amount": 250, "currency": "EUR"})

    transport = httpx.MockTransport(answer)
    with HttpPaymentGateway("https://pay.test", "sk", transport=transport) as gateway:
        done = gateway.refund(
            idempotency_key="O-1:refund:RET-1", capture_id="cap/9", amount=250, currency="EUR"
        )

    assert done == Refund(refund_id="re_1", capture_id="cap/9", amount=250, currency="EUR")
    (request,) = requests
    # The capture id stays one path segment.
    assert request.url.raw_path == b"/v1/captures/cap%2F9/refunds"
    assert json.loads(request.content) == {"amount": 250, "currency": "EUR"}
    assert request.headers["Idempotency-Key"] == "O-1:refund:RET-1"
