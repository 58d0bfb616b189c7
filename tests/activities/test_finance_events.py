"""Finance events (issue 13, ERP): a capture and a refund that go through each write what an
ERP books, once, with the ledger row that records them."""

from __future__ import annotations

import pytest
from sqlmodel import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.payments import PaymentActivities
from oms.connectors.payment_simulator import SimulatedPaymentGateway
from oms.contracts.payments import CaptureRequest, RefundRequest
from oms.db.engine import Database
from oms.db.tables import OutboxEvent
from oms.gateway_keys import return_refund_for
from tests.activities.test_payment_ledger import authorize, place


def events(db: Database, type_: str) -> list[OutboxEvent]:
    with db.reading() as s:
        return list(s.exec(select(OutboxEvent).where(OutboxEvent.type == type_)))


def test_a_capture_and_a_refund_each_write_their_finance_event_once(db: Database) -> None:
    place(db, "FIN1")
    acts = PaymentActivities(SimulatedPaymentGateway(), db, gateway_name="acmepay")
    env = ActivityEnvironment()
    auth = env.run(acts.authorize_payment, authorize("FIN1"))
    capture = CaptureRequest(
        order_id="FIN1",
        shipment_key="FIN1.F1",
        authorization_id=auth.authorization_id,
        amount=4897,
        currency="EUR",
    )
    refund = RefundRequest(
        order_id="FIN1",
        refund_for=return_refund_for("FIN1.R1", 1, "placeholder"),
        capture_id="placeholder",
        authorization_id=auth.authorization_id,
        amount=1999,
        currency="EUR",
    )

    cap = env.run(acts.capture_payment, capture)
    env.run(acts.capture_payment, capture)  # a retry after a lost answer
    refund = refund.model_copy(
        update={
            "capture_id": cap.capture_id,
            "refund_for": return_refund_for("FIN1.R1", 1, cap.capture_id),
        }
    )
    ref = env.run(acts.refund_payment, refund)
    env.run(acts.refund_payment, refund)

    [captured] = events(db, "payment.captured")
    [refunded] = events(db, "payment.refunded")
    assert events(db, "payment.authorized") == []
    assert captured.order_id == refunded.order_id == "FIN1"
    occurred = captured.payload.pop("occurred_at")
    assert occurred.endswith("+00:00")
    assert captured.payload == {
        "order_id": "FIN1",
        "channel": "web-fr",
        "fulfilment_id": "FIN1.F1",
        "amount": 4897,
        "currency": "EUR",
        "gateway": "acmepay",
        "gateway_reference": cap.capture_id,
        "authorization_id": auth.authorization_id,
        "idempotency_key": "FIN1:capture:FIN1.F1",
    }
    refunded.payload.pop("occurred_at")
    assert refunded.payload == {
        "order_id": "FIN1",
        "channel": "web-fr",
        "return_id": "FIN1.R1",
        "capture_id": cap.capture_id,
        "amount": 1999,
        "currency": "EUR",
        "gateway": "acmepay",
        "gateway_reference": ref.refund_id,
        "authorization_id": auth.authorization_id,
        "idempotency_key": f"FIN1:refund:FIN1.R1.1@{cap.capture_id}",
    }


def test_a_refused_capture_writes_no_finance_event(db: Database) -> None:
    place(db, "FIN2")
    gateway = SimulatedPaymentGateway()
    acts = PaymentActivities(gateway, db)
    env = ActivityEnvironment()
    auth = env.run(acts.authorize_payment, authorize("FIN2"))
    gateway.refuse_captures(1)

    with pytest.raises(ApplicationError, match="capture_refused"):
        env.run(
            acts.capture_payment,
            CaptureRequest(
                order_id="FIN2",
                shipment_key="FIN2.F1",
                authorization_id=auth.authorization_id,
                amount=4897,
                currency="EUR",
            ),
        )

    assert events(db, "payment.captured") == []
