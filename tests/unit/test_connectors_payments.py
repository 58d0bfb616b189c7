from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable

import httpx
import pytest

from oms.connectors.payment_simulator import SimulatedPaymentGateway
from oms.connectors.payments import (
    HttpPaymentGateway,
    PaymentDeclined,
    PaymentError,
    PaymentUnavailable,
)
from oms.contracts.payments import Authorization, Capture, Void

Handler = Callable[[httpx.Request], httpx.Response]


def authorize_ok(
    gateway: SimulatedPaymentGateway, key: str = "order-1:authorize", amount: int = 10_000
) -> Authorization:
    return gateway.authorize(idempotency_key=key, token="tok_ok", amount=amount, currency="EUR")


# --- simulator -------------------------------------------------------------------------------


def test_an_ok_token_authorizes_the_full_amount() -> None:
    gateway = SimulatedPaymentGateway()

    auth = authorize_ok(gateway, amount=12_345)

    assert auth.amount == 12_345
    assert auth.currency == "EUR"
    state = gateway.state(auth.authorization_id)
    assert (state.amount, state.captured, state.voided) == (12_345, 0, False)


def test_authorization_ids_are_derived_from_the_idempotency_key() -> None:
    gateway = SimulatedPaymentGateway()

    auth = authorize_ok(gateway, key="order-7:authorize")

    expected = "sim_auth_" + hashlib.sha256(b"order-7:authorize").hexdigest()[:16]
    assert auth.authorization_id == expected


def test_a_declined_card_is_a_payment_declined_error() -> None:
    gateway = SimulatedPaymentGateway()

    with pytest.raises(PaymentDeclined) as caught:
        gateway.authorize(idempotency_key="k", token="tok_decline", amount=100, currency="EUR")

    assert caught.value.code == "card_declined"


def test_an_unknown_token_is_declined_as_invalid() -> None:
    gateway = SimulatedPaymentGateway()

    with pytest.raises(PaymentDeclined) as caught:
        gateway.authorize(idempotency_key="k", token="tok_nope", amount=100, currency="EUR")

    assert caught.value.code == "invalid_token"


def test_a_flaky_token_is_unavailable_twice_then_authorizes() -> None:
    gateway = SimulatedPaymentGateway()

    def attempt() -> Authorization:
        return gateway.authorize(idempotency_key="k", token="tok_flaky", amount=500, currency="EUR")

    for _ in range(2):
        with pytest.raises(PaymentUnavailable):
            attempt()
    auth = attempt()

    assert auth.amount == 500
    assert gateway.attempts("k") == 3


def test_flakiness_is_counted_per_idempotency_key() -> None:
    gateway = SimulatedPaymentGateway()
    for _ in range(2):
        with pytest.raises(PaymentUnavailable):
            gateway.authorize(idempotency_key="a", token="tok_flaky", amount=1, currency="EUR")

    with pytest.raises(PaymentUnavailable):
        gateway.authorize(idempotency_key="b", token="tok_flaky", amount=1, currency="EUR")


def test_the_same_idempotency_key_returns_the_same_authorization_without_a_second_hold() -> None:
    gateway = SimulatedPaymentGateway()
    first = authorize_ok(gateway, key="k", amount=1_000)

    second = authorize_ok(gateway, key="k", amount=1_000)
    other = authorize_ok(gateway, key="other", amount=1_000)

    assert second == first
    assert other.authorization_id != first.authorization_id
    assert gateway.attempts("k") == 2
    assert gateway.state(first.authorization_id).amount == 1_000


def test_a_capture_is_recorded_against_its_authorization() -> None:
    gateway = SimulatedPaymentGateway()
    auth = authorize_ok(gateway, amount=1_000)

    capture = gateway.capture(
        idempotency_key="cap-1", authorization_id=auth.authorization_id, amount=400, currency="EUR"
    )

    assert capture.capture_id.startswith("sim_cap_")
    assert capture.amount == 400
    state = gateway.state(auth.authorization_id)
    assert state.captured == 400
    assert state.captures == [capture]


def test_retrying_a_capture_with_its_key_does_not_capture_twice() -> None:
    gateway = SimulatedPaymentGateway()
    auth = authorize_ok(gateway, amount=1_000)

    captures = [
        gateway.capture(
            idempotency_key="cap-1",
            authorization_id=auth.authorization_id,
            amount=600,
            currency="EUR",
        )
        for _ in range(3)
    ]

    assert captures[0] == captures[1] == captures[2]
    assert gateway.state(auth.authorization_id).captured == 600


def test_partial_captures_may_add_up_to_the_authorized_amount() -> None:
    gateway = SimulatedPaymentGateway()
    auth = authorize_ok(gateway, amount=1_000)

    for i, amount in enumerate([300, 700]):
        gateway.capture(
            idempotency_key=f"cap-{i}",
            authorization_id=auth.authorization_id,
            amount=amount,
            currency="EUR",
        )

    assert gateway.state(auth.authorization_id).captured == 1_000


def test_capturing_above_the_authorized_amount_is_refused() -> None:
    gateway = SimulatedPaymentGateway()
    auth = authorize_ok(gateway, amount=1_000)
    gateway.capture(
        idempotency_key="cap-1", authorization_id=auth.authorization_id, amount=800, currency="EUR"
    )

    with pytest.raises(PaymentError) as caught:
        gateway.capture(
            idempotency_key="cap-2",
            authorization_id=auth.authorization_id,
            amount=201,
            currency="EUR",
        )

    assert caught.value.code == "capture_exceeds_authorization"
    assert not isinstance(caught.value, PaymentUnavailable)
    assert gateway.state(auth.authorization_id).captured == 800


def test_a_capture_reversed_after_the_fact_can_be_captured_again_under_a_new_key() -> None:
    gateway = SimulatedPaymentGateway()
    auth = authorize_ok(gateway, amount=1_000)
    gateway.capture(
        idempotency_key="cap-1",
        authorization_id=auth.authorization_id,
        amount=1_000,
        currency="EUR",
    )

    gateway.reverse("cap-1", "insufficient_funds")
    again = gateway.capture(
        idempotency_key="cap-2",
        authorization_id=auth.authorization_id,
        amount=1_000,
        currency="EUR",
    )

    assert again.amount == 1_000
    assert gateway.state(auth.authorization_id).captured == 1_000
    assert [t.idempotency_key for t in gateway.transactions() if t.operation == "capture"] == [
        "cap-2"
    ]


def test_void_releases_only_what_is_not_captured() -> None:
    gateway = SimulatedPaymentGateway()
    auth = authorize_ok(gateway, amount=1_000)
    gateway.capture(
        idempotency_key="cap-1", authorization_id=auth.authorization_id, amount=250, currency="EUR"
    )

    void = gateway.void(idempotency_key="void-1", authorization_id=auth.authorization_id)

    assert void == Void(authorization_id=auth.authorization_id, voided_amount=750)
    assert gateway.state(auth.authorization_id).voided is True


def test_voiding_twice_is_harmless() -> None:
    gateway = SimulatedPaymentGateway()
    auth = authorize_ok(gateway, amount=1_000)
    first = gateway.void(idempotency_key="void-1", authorization_id=auth.authorization_id)

    replay = gateway.void(idempotency_key="void-1", authorization_id=auth.authorization_id)
    again = gateway.void(idempotency_key="void-2", authorization_id=auth.authorization_id)

    assert replay == first
    assert first.voided_amount == 1_000
    assert again.voided_amount == 0


def test_capturing_a_voided_authorization_is_refused() -> None:
    gateway = SimulatedPaymentGateway()
    auth = authorize_ok(gateway, amount=1_000)
    gateway.void(idempotency_key="void-1", authorization_id=auth.authorization_id)

    with pytest.raises(PaymentError) as caught:
        gateway.capture(
            idempotency_key="cap-1",
            authorization_id=auth.authorization_id,
            amount=100,
            currency="EUR",
        )

    assert caught.value.code == "authorization_voided"
    assert gateway.state(auth.authorization_id).captured == 0


def test_a_simulated_authorization_from_before_a_restart_is_still_accepted() -> None:
    auth = authorize_ok(SimulatedPaymentGateway(), amount=1_000)
    restarted = SimulatedPaymentGateway()

    capture = restarted.capture(
        idempotency_key="cap-1", authorization_id=auth.authorization_id, amount=400, currency="EUR"
    )
    void = restarted.void(idempotency_key="void-1", authorization_id=auth.authorization_id)

    assert capture.authorization_id == auth.authorization_id
    assert capture.amount == 400
    assert void.voided_amount == 0


def test_an_authorization_id_the_simulator_never_issued_is_an_error() -> None:
    gateway = SimulatedPaymentGateway()

    with pytest.raises(PaymentError) as caught:
        gateway.capture(
            idempotency_key="cap-1", authorization_id="ch_123", amount=100, currency="EUR"
        )

    assert caught.value.code == "unknown_authorization"


def test_concurrent_captures_never_exceed_the_authorization() -> None:
    gateway = SimulatedPaymentGateway()
    auth = authorize_ok(gateway, amount=100)
    outcomes: list[str] = []

    def capture(i: int) -> None:
        try:
            gateway.capture(
                idempotency_key=f"cap-{i}",
                authorization_id=auth.authorization_id,
                amount=20,
                currency="EUR",
            )
            outcomes.append("ok")
        except PaymentError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=capture, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("ok") == 5
    assert outcomes.count("capture_exceeds_authorization") == 5
    assert gateway.state(auth.authorization_id).captured == 100


# --- HTTP client -----------------------------------------------------------------------------


class Recorder:
    """A MockTransport handler that answers with a fixed response and keeps the requests."""

    def __init__(self, status: int = 200, body: object = None, content: bytes | None = None):
        self.requests: list[httpx.Request] = []
        self._status = status
        self._body = body
        self._content = content

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self._content is not None:
            return httpx.Response(self._status, content=self._content)
        return httpx.Response(self._status, json=self._body)


def http_gateway(handler: Handler, timeout: float = 10.0) -> HttpPaymentGateway:
    return HttpPaymentGateway(
        "https://pay.test", "sk_test_123", timeout=timeout, transport=httpx.MockTransport(handler)
    )


def test_authorize_sends_the_token_amount_currency_and_both_headers() -> None:
    recorder = Recorder(201, {"id": "auth_1", "amount": 999, "currency": "GBP"})

    with http_gateway(recorder) as gateway:
        auth = gateway.authorize(
            idempotency_key="o-1:auth", token="tok", amount=999, currency="GBP"
        )

    assert auth == Authorization(authorization_id="auth_1", amount=999, currency="GBP")
    (request,) = recorder.requests
    assert request.method == "POST"
    assert str(request.url) == "https://pay.test/v1/authorizations"
    assert json.loads(request.content) == {"token": "tok", "amount": 999, "currency": "GBP"}
    assert request.headers["Authorization"] == "Bearer sk_test_123"
    assert request.headers["Idempotency-Key"] == "o-1:auth"


def test_requests_carry_the_configured_timeout() -> None:
    recorder = Recorder(200, {"id": "auth_1", "amount": 1, "currency": "EUR"})

    with http_gateway(recorder, timeout=2.5) as gateway:
        gateway.authorize(idempotency_key="k", token="tok", amount=1, currency="EUR")

    assert recorder.requests[0].extensions["timeout"]["read"] == 2.5


def test_capture_posts_to_the_authorizations_captures() -> None:
    recorder = Recorder(200, {"id": "cap_9", "amount": 400, "currency": "EUR"})

    with http_gateway(recorder) as gateway:
        capture = gateway.capture(
            idempotency_key="o-1:cap", authorization_id="auth_1", amount=400, currency="EUR"
        )

    assert capture == Capture(
        capture_id="cap_9", authorization_id="auth_1", amount=400, currency="EUR"
    )
    (request,) = recorder.requests
    assert request.url.path == "/v1/authorizations/auth_1/captures"
    assert json.loads(request.content) == {"amount": 400, "currency": "EUR"}
    assert request.headers["Idempotency-Key"] == "o-1:cap"


def test_void_posts_to_the_void_path_and_reads_the_released_amount() -> None:
    recorder = Recorder(200, {"voided_amount": 600})

    with http_gateway(recorder) as gateway:
        void = gateway.void(idempotency_key="o-1:void", authorization_id="auth_1")

    assert void == Void(authorization_id="auth_1", voided_amount=600)
    (request,) = recorder.requests
    assert request.url.path == "/v1/authorizations/auth_1/void"
    assert request.headers["Idempotency-Key"] == "o-1:void"


def test_an_authorization_id_cannot_escape_its_path_segment() -> None:
    recorder = Recorder(200, {"voided_amount": 0})

    with http_gateway(recorder) as gateway:
        gateway.void(idempotency_key="k", authorization_id="../admin")

    assert recorder.requests[0].url.raw_path == b"/v1/authorizations/..%2Fadmin/void"


@pytest.mark.parametrize(
    ("body", "content", "expected_code"),
    [
        ({"code": "insufficient_funds", "message": "no money"}, None, "insufficient_funds"),
        ({"message": "no"}, None, "declined"),
        (None, b"<html>Payment Required</html>", "declined"),
    ],
)
def test_a_402_is_a_decline_with_the_gateway_code(
    body: object, content: bytes | None, expected_code: str
) -> None:
    with http_gateway(Recorder(402, body, content)) as gateway:
        with pytest.raises(PaymentDeclined) as caught:
            gateway.authorize(idempotency_key="k", token="tok", amount=1, currency="EUR")

    assert caught.value.code == expected_code


@pytest.mark.parametrize(
    ("status", "body", "expected_code"),
    [
        (400, {"code": "invalid_currency"}, "invalid_currency"),
        (404, {"message": "no such authorization"}, "rejected"),
        (409, {"code": "already_captured"}, "already_captured"),
        (422, None, "rejected"),
    ],
)
def test_other_client_errors_are_permanent_payment_errors(
    status: int, body: object, expected_code: str
) -> None:
    with http_gateway(Recorder(status, body)) as gateway:
        with pytest.raises(PaymentError) as caught:
            gateway.capture(idempotency_key="k", authorization_id="a", amount=1, currency="EUR")

    assert type(caught.value) is PaymentError
    assert caught.value.code == expected_code


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_rate_limits_and_server_errors_are_transient(status: int) -> None:
    with http_gateway(Recorder(status, {"message": "try later"})) as gateway:
        with pytest.raises(PaymentUnavailable) as caught:
            gateway.authorize(idempotency_key="k", token="tok", amount=1, currency="EUR")

    assert caught.value.message == "try later"


@pytest.mark.parametrize(
    ("error", "expected_code"),
    [(httpx.ReadTimeout, "timeout"), (httpx.ConnectError, "transport_error")],
)
def test_timeouts_and_connection_failures_are_transient(
    error: type[httpx.TransportError], expected_code: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("boom", request=request)

    with http_gateway(handler) as gateway:
        with pytest.raises(PaymentUnavailable) as caught:
            gateway.void(idempotency_key="k", authorization_id="a")

    assert caught.value.code == expected_code
    assert isinstance(caught.value.__cause__, error)


@pytest.mark.parametrize(
    "content",
    [
        b"OK",
        b"[]",
        b'{"amount": 1, "currency": "EUR"}',
        b'{"id": "auth_1", "amount": "1", "currency": "EUR"}',
        b"",
    ],
)
def test_a_malformed_success_body_is_a_transient_bad_response(content: bytes) -> None:
    with http_gateway(Recorder(200, content=content)) as gateway:
        with pytest.raises(PaymentUnavailable) as caught:
            gateway.authorize(idempotency_key="k", token="tok", amount=1, currency="EUR")

    assert caught.value.code == "bad_response"


def test_leaving_the_context_closes_the_transport() -> None:
    closed: list[bool] = []

    class ClosingTransport(httpx.MockTransport):
        def close(self) -> None:
            closed.append(True)

    gateway = HttpPaymentGateway(
        "https://pay.test", "k", transport=ClosingTransport(Recorder(200, {}))
    )
    with gateway:
        assert closed == []

    assert closed == [True]


def test_transactions_are_read_page_by_page_with_the_cursor() -> None:
    seen: list[httpx.Request] = []

    def txn(key: str, amount: int) -> dict[str, object]:
        return {
            "idempotency_key": key,
            "operation": "authorize",
            "reference": f"ch_{key}",
            "authorization_id": f"ch_{key}",
            "amount": amount,
            "currency": "EUR",
            "created_at": "2026-12-07T12:00:00+00:00",
        }

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.params.get("cursor") == "p2":
            return httpx.Response(200, json={"data": [txn("B", 2)], "next_cursor": None})
        return httpx.Response(200, json={"data": [txn("A", 1)], "next_cursor": "p2"})

    with http_gateway(handler) as gateway:
        found = [(t.idempotency_key, t.amount) for t in gateway.transactions()]

    assert found == [("A", 1), ("B", 2)]
    assert [r.method for r in seen] == ["GET", "GET"]
    assert [r.url.path for r in seen] == ["/v1/transactions", "/v1/transactions"]
    assert seen[0].headers["Authorization"] == "Bearer sk_test_123"


@pytest.mark.parametrize(("status", "error"), [(503, PaymentUnavailable), (403, PaymentError)])
def test_a_transactions_page_the_gateway_refuses_is_an_error(
    status: int, error: type[PaymentError]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"code": "nope", "message": "not now"})

    with http_gateway(handler) as gateway, pytest.raises(error) as caught:
        list(gateway.transactions())

    assert caught.value.code == "nope"


def test_a_capture_reversed_twice_gives_its_amount_back_once() -> None:
    gateway = SimulatedPaymentGateway()
    auth = authorize_ok(gateway, amount=1_000)
    gateway.capture(
        idempotency_key="cap-1", authorization_id=auth.authorization_id, amount=600, currency="EUR"
    )

    gateway.reverse("cap-1", "insufficient_funds")
    gateway.reverse("cap-1", "insufficient_funds")  # the notice's sender asked twice

    assert gateway.state(auth.authorization_id).captured == 0
    with pytest.raises(PaymentError) as caught:
        gateway.capture(
            idempotency_key="cap-2",
            authorization_id=auth.authorization_id,
            amount=1_001,
            currency="EUR",
        )
    assert caught.value.code == "capture_exceeds_authorization"


def test_a_reversed_capture_recaptured_by_the_gateway_counts_and_is_listed_again() -> None:
    gateway = SimulatedPaymentGateway()
    auth = authorize_ok(gateway, amount=1_000)
    gateway.capture(
        idempotency_key="cap-1", authorization_id=auth.authorization_id, amount=600, currency="EUR"
    )
    gateway.reverse("cap-1", "technical_error")

    gateway.recapture("cap-1")

    assert gateway.state(auth.authorization_id).captured == 600
    assert [t.idempotency_key for t in gateway.transactions() if t.operation == "capture"] == [
        "cap-1"
    ]
    with pytest.raises(KeyError):
        gateway.recapture("cap-1")  # no longer reversed
