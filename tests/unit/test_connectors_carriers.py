from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from pydantic import ValidationError

from oms.connectors.carriers import (
    CarrierError,
    CarrierRejected,
    CarrierUnavailable,
    HttpCarrier,
    SimulatedCarrier,
)
from oms.contracts.shipping import Booking, Parcel, ShipmentRequest
from oms.domain.order import Address

Handler = Callable[[httpx.Request], httpx.Response]


def shipment(postal_code: str = "75001", service: str = "standard") -> ShipmentRequest:
    return ShipmentRequest.model_validate(
        {
            "shipment_id": "order-1:ship-1",
            "from_location_id": "wh-paris",
            "to": Address(
                name="Ada Lovelace",
                line1="1 Rue de Rivoli",
                city="Paris",
                postal_code=postal_code,
                country="FR",
            ),
            "parcels": [{"weight_grams": 1200, "reference": "box-1"}],
            "service": service,
        }
    )


# --- models ----------------------------------------------------------------------------------


def test_a_shipment_needs_at_least_one_parcel() -> None:
    with pytest.raises(ValidationError):
        ShipmentRequest.model_validate({**shipment().model_dump(), "parcels": []})


def test_a_parcel_must_weigh_something() -> None:
    with pytest.raises(ValidationError):
        Parcel(weight_grams=0)


# --- simulator -------------------------------------------------------------------------------


def test_booking_gives_a_deterministic_sim_tracking_number() -> None:
    carrier = SimulatedCarrier()

    booking = carrier.book(idempotency_key="order-1:ship-1", request=shipment(service="express"))

    assert booking.carrier == "simcarrier"
    assert booking.service == "express"
    assert booking.tracking_number.startswith("SIM")
    suffix = booking.tracking_number[3:]
    assert len(suffix) == 12
    assert suffix == suffix.upper()
    int(suffix, 16)
    again = SimulatedCarrier().book(idempotency_key="order-1:ship-1", request=shipment())
    assert again.tracking_number == booking.tracking_number


def test_the_same_idempotency_key_books_only_once() -> None:
    carrier = SimulatedCarrier(name="acme")

    first = carrier.book(idempotency_key="k", request=shipment())
    second = carrier.book(idempotency_key="k", request=shipment())
    other = carrier.book(idempotency_key="k2", request=shipment())

    assert second == first
    assert other.tracking_number != first.tracking_number
    assert [b.tracking_number for b in carrier.bookings()] == [
        first.tracking_number,
        other.tracking_number,
    ]
    assert {b.carrier for b in carrier.bookings()} == {"acme"}


def test_the_undeliverable_postal_code_is_rejected() -> None:
    carrier = SimulatedCarrier()

    with pytest.raises(CarrierRejected) as caught:
        carrier.book(idempotency_key="k", request=shipment(postal_code="00000"))

    assert caught.value.code == "undeliverable"
    assert carrier.bookings() == []


def test_cancelling_removes_the_booking_and_can_be_repeated() -> None:
    carrier = SimulatedCarrier()
    booking = carrier.book(idempotency_key="k", request=shipment())

    carrier.cancel(idempotency_key="c1", tracking_number=booking.tracking_number)
    carrier.cancel(idempotency_key="c2", tracking_number=booking.tracking_number)

    assert carrier.bookings() == []


def test_cancelling_a_sim_shipment_from_before_a_restart_is_accepted() -> None:
    booking = SimulatedCarrier().book(idempotency_key="k", request=shipment())
    restarted = SimulatedCarrier()

    restarted.cancel(idempotency_key="c1", tracking_number=booking.tracking_number)

    assert restarted.bookings() == []


def test_cancelling_a_shipment_the_simulator_never_booked_is_rejected() -> None:
    with pytest.raises(CarrierRejected) as caught:
        SimulatedCarrier().cancel(idempotency_key="c1", tracking_number="1Z999")

    assert caught.value.code == "unknown_shipment"


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


BOOKED = {
    "carrier": "dhl",
    "service": "express",
    "tracking_number": "JD0001",
    "label_url": "https://labels.test/JD0001.pdf",
}


def http_carrier(handler: Handler, timeout: float = 10.0) -> HttpCarrier:
    return HttpCarrier(
        "https://carrier.test", "ck_42", timeout=timeout, transport=httpx.MockTransport(handler)
    )


def test_book_posts_the_request_as_json_with_both_headers() -> None:
    recorder = Recorder(201, BOOKED)
    request = shipment(service="express")

    with http_carrier(recorder) as carrier:
        booking = carrier.book(idempotency_key="order-1:ship-1", request=request)

    assert booking == Booking.model_validate(BOOKED)
    (sent,) = recorder.requests
    assert sent.method == "POST"
    assert str(sent.url) == "https://carrier.test/v1/shipments"
    body = json.loads(sent.content)
    assert body == request.model_dump(mode="json")
    assert body["to"]["postal_code"] == "75001"
    assert body["parcels"] == [{"weight_grams": 1200, "reference": "box-1"}]
    assert sent.headers["Authorization"] == "Bearer ck_42"
    assert sent.headers["Idempotency-Key"] == "order-1:ship-1"


def test_a_booking_without_a_label_is_accepted() -> None:
    with http_carrier(Recorder(200, {**BOOKED, "label_url": None})) as carrier:
        booking = carrier.book(idempotency_key="k", request=shipment())

    assert booking.label_url is None
    assert booking.tracking_number == "JD0001"


def test_requests_carry_the_configured_timeout() -> None:
    recorder = Recorder(200, BOOKED)

    with http_carrier(recorder, timeout=3.0) as carrier:
        carrier.book(idempotency_key="k", request=shipment())

    assert recorder.requests[0].extensions["timeout"]["connect"] == 3.0


def test_cancel_posts_to_the_shipment_cancel_path() -> None:
    recorder = Recorder(204, content=b"")

    with http_carrier(recorder) as carrier:
        carrier.cancel(idempotency_key="order-1:cancel", tracking_number="JD/0001")

    (sent,) = recorder.requests
    assert sent.method == "POST"
    assert sent.url.raw_path == b"/v1/shipments/JD%2F0001/cancel"
    assert sent.headers["Idempotency-Key"] == "order-1:cancel"


@pytest.mark.parametrize(
    ("status", "body", "expected_code"),
    [
        (422, {"code": "address_invalid", "message": "no such street"}, "address_invalid"),
        (400, {"message": "bad"}, "rejected"),
        (400, None, "rejected"),
    ],
)
def test_a_refused_shipment_is_carrier_rejected(
    status: int, body: object, expected_code: str
) -> None:
    with http_carrier(Recorder(status, body)) as carrier:
        with pytest.raises(CarrierRejected) as caught:
            carrier.book(idempotency_key="k", request=shipment())

    assert caught.value.code == expected_code


@pytest.mark.parametrize("status", [401, 403, 404, 409])
def test_other_client_errors_are_permanent_carrier_errors(status: int) -> None:
    with http_carrier(Recorder(status, {"code": "nope"})) as carrier:
        with pytest.raises(CarrierError) as caught:
            carrier.cancel(idempotency_key="k", tracking_number="JD0001")

    assert type(caught.value) is CarrierError
    assert caught.value.code == "nope"


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_rate_limits_and_server_errors_are_transient(status: int) -> None:
    with http_carrier(Recorder(status, content=b"upstream down")) as carrier:
        with pytest.raises(CarrierUnavailable) as caught:
            carrier.book(idempotency_key="k", request=shipment())

    assert str(status) in caught.value.message


@pytest.mark.parametrize(
    ("error", "expected_code"),
    [
        (httpx.ConnectTimeout, "timeout"),
        (httpx.ReadTimeout, "timeout"),
        (httpx.ConnectError, "transport_error"),
        (httpx.RemoteProtocolError, "transport_error"),
    ],
)
def test_timeouts_and_connection_failures_are_transient(
    error: type[httpx.TransportError], expected_code: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("boom", request=request)

    with http_carrier(handler) as carrier:
        with pytest.raises(CarrierUnavailable) as caught:
            carrier.book(idempotency_key="k", request=shipment())

    assert caught.value.code == expected_code


@pytest.mark.parametrize(
    "content",
    [b"<html>OK</html>", b"{}", b'{"carrier": "dhl", "service": "standard"}', b"null"],
)
def test_a_malformed_success_body_is_a_transient_bad_response(content: bytes) -> None:
    with http_carrier(Recorder(200, content=content)) as carrier:
        with pytest.raises(CarrierUnavailable) as caught:
            carrier.book(idempotency_key="k", request=shipment())

    assert caught.value.code == "bad_response"
