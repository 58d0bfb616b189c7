"""A capture the gateway reverses after the order's end, collected again through the API: the
gateway's notice opens a payment exception, customer service completes it with a retry, and
the money is captured again once, the books and the gateway agreeing, the order's timeline
and the outbox telling it."""

from __future__ import annotations

from oms.connectors.payment_notices import NoticeSender
from oms.db import payments
from oms.services.payment_reconcile import reconcile
from tests.api.conftest import Api, error_of
from tests.api.test_delivery_tracking import _shipped
from tests.api.test_payment_notices import _events, _register

RECOVERED = "payment_exception_resolved"


async def test_a_reversed_capture_retried_by_customer_service_is_captured_again_once(
    api: Api,
) -> None:
    # Given a shipped order whose capture the gateway fails after the fact
    secret = await _register(api)
    body, view = await _shipped(api)
    order_id, fid = body["id"], view["fulfilments"][0]["fulfilment_id"]
    with api.db.reading() as s:
        [capture] = [e for e in payments.entries(s, order_id=order_id) if e.operation == "capture"]
    gateway = NoticeSender(api.harness.payments, api.http, secret)
    notice = await gateway.reverse(capture.idempotency_key, "insufficient_funds")
    task_id = notice.json()["task_id"]

    # When customer service retries it, and the same completion is sent again
    url = f"/tasks/{task_id}/complete"
    decision = {"action": "retry", "reason": "the customer topped the account up"}
    done = await api.http.post(url, json=decision, headers=api.auth("analyst"))
    again = await api.http.post(url, json=decision, headers=api.auth("analyst"))

    # Then the money is captured again, once, on the same authorization
    assert done.status_code == 200, done.text
    assert done.json()["outcome"] == decision
    assert (again.status_code, error_of(again)["code"]) == (409, "task_not_open")
    shown = await api.until(order_id, lambda v: RECOVERED in [t["type"] for t in v["timeline"]])
    with api.db.reading() as s:
        rows = [e for e in payments.entries(s, order_id=order_id) if e.operation == "capture"]
    assert [(e.outcome, e.amount) for e in rows] == [
        ("refused", view["total"]),
        ("succeeded", view["total"]),
    ]
    retried = rows[1]
    assert retried.idempotency_key.startswith(f"{order_id}:capture:{fid}~")
    assert retried.authorization_id == capture.authorization_id
    assert api.harness.payments.attempts(retried.idempotency_key) == 1
    books = reconcile(api.db, api.harness.payments)
    assert books.differences == []
    # And the outbox and the order's timeline tell it
    assert len(_events(api, "payment.capture_reversed")) == 1
    booked = _events(api, "payment.captured")
    assert sorted(e.payload["idempotency_key"] for e in booked) == sorted(
        [capture.idempotency_key, retried.idempotency_key]
    )
    assert [(t["type"], t["detail"].get("task_id")) for t in shown["timeline"][-3:]] == [
        ("payment_capture_reversed", task_id),
        ("payment_captured", task_id),
        (RECOVERED, task_id),
    ]
    assert shown["timeline"][-1]["detail"]["action"] == "retry"
    # And the order's payment: reversed, then collected again
    payment = shown["payment"]
    assert (payment["captured"], payment["reversed"]) == (view["total"], view["total"])
    assert payment["exceptions"] == []
