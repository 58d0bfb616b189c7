"""The simulated carrier reports each parcel's journey as a real one would: planned at
booking, sent once due to the OMS's webhook, signed, until the OMS takes it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlmodel import SQLModel

from oms.config import Settings
from oms.connectors.carrier_tracking import TrackingSender, tracking_sender, with_dev_tracking
from oms.connectors.carriers import EXCEPTION_POSTAL_CODE, SimulatedCarrier
from oms.db import inbound
from oms.db.engine import Database
from oms.webhooks import verify
from tests.unit.test_connectors_carriers import shipment

PACE = timedelta(minutes=10)
LATER = datetime.now(UTC) + timedelta(days=1)


def booked(postal_code: str = "75001") -> tuple[SimulatedCarrier, str]:
    carrier = SimulatedCarrier(pace=PACE)
    booking = carrier.book(idempotency_key="O-1.F1:book", request=shipment(postal_code))
    return carrier, booking.tracking_number


def test_a_booking_plans_the_journey_one_pace_apart() -> None:
    carrier, tracking = booked()

    plan = carrier.due(LATER)

    assert [(u.seq, u.status.value) for u in plan] == [
        (1, "IN_TRANSIT"),
        (2, "OUT_FOR_DELIVERY"),
        (3, "DELIVERED"),
    ]
    assert {u.tracking_number for u in plan} == {tracking}
    assert [
        later.due_at - earlier.due_at for earlier, later in zip(plan, plan[1:], strict=False)
    ] == [
        PACE,
        PACE,
    ]
    assert carrier.due(plan[0].due_at - timedelta(seconds=1)) == []
    assert carrier.due(plan[0].due_at) == plan[:1]


def test_nobody_home_at_the_exception_postal_code_then_delivered() -> None:
    carrier, _ = booked(EXCEPTION_POSTAL_CODE)

    statuses = [u.status.value for u in carrier.due(LATER)]

    assert statuses == ["IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERY_EXCEPTION", "DELIVERED"]


def test_a_cancelled_parcel_reports_nothing_and_a_carrier_without_pace_plans_nothing() -> None:
    carrier, tracking = booked()
    quiet = SimulatedCarrier()
    quiet.book(idempotency_key="O-2.F1:book", request=shipment())

    carrier.cancel(idempotency_key="O-1.F1:cancel", tracking_number=tracking)

    assert carrier.due(LATER) == []
    assert quiet.due(LATER) == []


async def test_due_updates_are_sent_signed_and_a_refused_one_is_sent_again() -> None:
    carrier, tracking = booked()
    seen: list[httpx.Request] = []
    refuse = {"first": True}

    def oms(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if refuse["first"]:  # the booking is not on its fulfilment yet
            refuse["first"] = False
            return httpx.Response(404, json={"code": "shipment_not_found"})
        return httpx.Response(200, json={"applied": True})

    async with httpx.AsyncClient(
        base_url="http://oms", transport=httpx.MockTransport(oms)
    ) as client:
        sender = TrackingSender(carrier, client, "whsec_test")
        first = await sender.send_due(LATER)
        second = await sender.send_due(LATER)
        third = await sender.send_due(LATER)

    assert (first, second, third) == (2, 1, 0)
    assert [r.headers["OMS-Event-Id"] for r in seen] == [
        f"{tracking}:1",
        f"{tracking}:2",
        f"{tracking}:3",
        f"{tracking}:1",
    ]
    for request in seen:
        assert request.url.path == "/webhooks/carriers/simcarrier"
        verify("whsec_test", request.headers["OMS-Signature"], request.content)
    body = json.loads(seen[-1].content)
    assert (body["tracking_number"], body["status"]) == (tracking, "IN_TRANSIT")
    assert carrier.due(LATER) == []


async def test_an_unreachable_oms_keeps_every_update_for_later() -> None:
    carrier, _ = booked()

    def away(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with httpx.AsyncClient(
        base_url="http://oms", transport=httpx.MockTransport(away)
    ) as client:
        assert await TrackingSender(carrier, client, "k").send_due(LATER) == 0

    assert len(carrier.due(LATER)) == 3


def test_oms_dev_registers_the_simulated_carrier_once_and_reports_to_its_api(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path)
    db = Database(settings.db_url)
    SQLModel.metadata.create_all(db.engine)

    first = with_dev_tracking(settings, "http://127.0.0.1:8000")
    again = with_dev_tracking(settings, "http://127.0.0.1:8000")

    assert first.carrier_tracking_url == "http://127.0.0.1:8000"
    assert first.carrier_tracking_secret is not None
    assert again.carrier_tracking_secret is not None
    secret = first.carrier_tracking_secret.get_secret_value()
    assert again.carrier_tracking_secret.get_secret_value() == secret
    with db.reading() as s:
        assert inbound.secret_of(s, "carrier:simcarrier") == secret
        (sender,) = inbound.senders(s)
    assert sender.rotated_at is None  # the second start changed nothing
    assert (tmp_path / "carrier-webhook-secret").stat().st_mode & 0o777 == 0o600
    assert tracking_sender(first, SimulatedCarrier(pace=PACE)) is not None
    assert tracking_sender(settings, SimulatedCarrier(pace=PACE)) is None
    real = settings.model_copy(update={"carrier_url": "https://carrier.test"})
    assert with_dev_tracking(real, "http://127.0.0.1:8000").carrier_tracking_url is None
    db.dispose()
