"""A payment gateway's signed notices (issue 13, events in): the late result of a capture or a
refund recorded in the payment ledger, a capture reversed after the fact opening a payment
exception, a chargeback opening a task, each event id applied once; and the finance event of
each capture (payment.captured), once."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlmodel import select

from oms.connectors.payment_notices import NoticeSender
from oms.db import payments
from oms.db import returns as return_repo
from oms.db.tables import OutboxEvent, PaymentLedgerEntry
from oms.services.payment_reconcile import reconcile
from oms.webhooks import sign
from tests.api.conftest import Api, Json, error_of
from tests.api.test_delivery_tracking import _shipped
from tests.api.test_returns import (
    MUG,
    TEE,
    _ask,
    _delivered,
    _grade,
    _qc_task,
    _refunds,
    _return,
    _until_return,
)

GATEWAY = "simulator"


async def _register(api: Api) -> str:
    answer = await api.http.put(
        f"/webhooks/senders/payments:{GATEWAY}", json={}, headers=api.auth("admin")
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["kind"] == "payment_gateway"
    secret: str = answer.json()["secret"]
    return secret


def _notice(type_: str, **fields: Any) -> bytes:
    body = {
        "type": type_,
        "currency": "EUR",
        "occurred_at": datetime(2026, 12, 9, 10, 0, tzinfo=UTC).isoformat(),
        **fields,
    }
    return json.dumps(body).encode()


async def _send(
    api: Api, secret: str, body: bytes, event_id: str, *, signature: str | None = None
) -> httpx.Response:
    headers = {
        "Content-Type": "application/json",
        "OMS-Signature": signature if signature is not None else sign(secret, body),
        "OMS-Event-Id": event_id,
    }
    return await api.http.post(f"/webhooks/payments/{GATEWAY}", content=body, headers=headers)


def _events(api: Api, type_: str) -> list[OutboxEvent]:
    with api.db.reading() as s:
        return list(s.exec(select(OutboxEvent).where(OutboxEvent.type == type_)))


def _capture(api: Api, order_id: str) -> PaymentLedgerEntry:
    with api.db.reading() as s:
        [row] = [e for e in payments.entries(s, order_id=order_id) if e.operation == "capture"]
    return row


async def _task(api: Api, kind: str) -> Json:
    listed = await api.http.get("/tasks", params={"kind": kind}, headers=api.auth("analyst"))
    [task] = listed.json()["items"]
    return task  # type: ignore[no-any-return]


async def test_a_capture_is_booked_once_and_a_notice_confirms_it_once(api: Api) -> None:
    secret = await _register(api)
    body, view = await _shipped(api)
    capture = _capture(api, body["id"])
    notice = _notice(
        "capture.succeeded", idempotency_key=capture.idempotency_key, amount=capture.amount
    )

    first = await _send(api, secret, notice, "ntc-1")
    replayed = await _send(api, secret, notice, "ntc-1")

    assert first.status_code == 200, first.text
    assert first.json()["outcome"] == "confirmed"
    assert (replayed.json()["applied"], replayed.json()["outcome"]) == (False, "duplicate")
    assert _capture(api, body["id"]).confirmed_at is not None
    [booked] = _events(api, "payment.captured")
    fulfilment_id = view["fulfilments"][0]["fulfilment_id"]
    assert booked.payload | {"occurred_at": None} == {
        "order_id": body["id"],
        "channel": body["channel"],
        "fulfilment_id": fulfilment_id,
        "amount": view["total"],
        "currency": "EUR",
        "gateway": "simulator",
        "gateway_reference": capture.gateway_reference,
        "authorization_id": capture.authorization_id,
        "idempotency_key": capture.idempotency_key,
        "occurred_at": None,
    }


async def test_a_capture_that_failed_after_the_fact_is_reversed_and_given_to_people(
    api: Api,
) -> None:
    secret = await _register(api)
    body, _ = await _shipped(api)
    capture = _capture(api, body["id"])
    notice = _notice(
        "capture.failed",
        reference=capture.gateway_reference,
        amount=capture.amount,
        code="insufficient_funds",
    )

    answer = await _send(api, secret, notice, "ntc-2")
    # The gateway sends the same notice again, signed anew under a new id.
    resigned = sign(secret, notice, timestamp=int(time.time()) - 5)
    again = await _send(api, secret, notice, "ntc-2b", signature=resigned)

    assert answer.json()["outcome"] == "reversed"
    assert again.json()["outcome"] == "confirmed"  # already refused: nothing more
    row = _capture(api, body["id"])
    assert (row.outcome, row.code) == ("refused", "insufficient_funds")
    assert row.reversed_at is not None
    [reversed_] = _events(api, "payment.capture_reversed")
    assert reversed_.payload["code"] == "insufficient_funds"
    task = await _task(api, "payment_exception")
    assert task["id"] == answer.json()["task_id"]
    assert task["payload"]["reversed"] is True
    # The order's timeline says so, after the run's own entries.
    view = await api.until(
        body["id"], lambda v: "payment_capture_reversed" in [t["type"] for t in v["timeline"]]
    )
    assert view["timeline"][-1]["type"] == "payment_capture_reversed"
    assert view["timeline"][-1]["detail"]["task_id"] == task["id"]
    done = await api.http.post(
        f"/tasks/{task['id']}/complete",
        json={"action": "write_off", "reason": "customer unreachable"},
        headers=api.auth("analyst"),
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"


async def test_a_chargeback_opens_a_task_whose_decision_is_announced(api: Api) -> None:
    secret = await _register(api)
    body, _ = await _shipped(api)
    capture = _capture(api, body["id"])
    notice = _notice(
        "chargeback.opened",
        reference=capture.gateway_reference,
        amount=1999,
        code="item_not_received",
        chargeback_id="cb_123",
    )

    answer = await _send(api, secret, notice, "ntc-3")
    replayed = await _send(api, secret, notice, "ntc-3")

    assert answer.json()["outcome"] == "chargeback"
    assert replayed.json()["applied"] is False
    task = await _task(api, "chargeback")
    assert task["payload"]["chargeback_id"] == "cb_123"
    assert task["due_at"] is not None
    [opened] = _events(api, "payment.chargeback")
    assert (opened.payload["amount"], opened.payload["reason"]) == (1999, "item_not_received")
    assert opened.payload["task_id"] == task["id"]
    url = f"/tasks/{task['id']}/complete"
    wrong = await api.http.post(
        url, json={"action": "retry", "reason": "x"}, headers=api.auth("analyst")
    )
    done = await api.http.post(
        url, json={"decision": "dispute", "note": "signed proof"}, headers=api.auth("analyst")
    )

    assert wrong.status_code == 422
    assert done.status_code == 200, done.text
    assert done.json()["outcome"] == {"decision": "dispute", "note": "signed proof"}
    [decided] = _events(api, "payment.chargeback_decided")
    assert decided.payload["decision"] == "dispute"


async def test_a_notice_not_signed_now_with_the_gateways_secret_is_refused(api: Api) -> None:
    secret = await _register(api)
    body, _ = await _shipped(api)
    capture = _capture(api, body["id"])
    notice = _notice("capture.failed", idempotency_key=capture.idempotency_key, amount=1)
    old = sign(secret, notice, timestamp=int(time.time()) - 301)

    mismatch = await _send(api, "whsec_not-the-gateways", notice, "ntc-4")
    expired = await _send(api, secret, notice, "ntc-4", signature=old)

    assert (mismatch.status_code, error_of(mismatch)["code"]) == (401, "signature_mismatch")
    assert (expired.status_code, error_of(expired)["code"]) == (401, "signature_expired")
    assert _capture(api, body["id"]).outcome == "succeeded"


async def test_a_notice_of_an_unknown_operation_is_404_and_applied_on_a_later_retry(
    api: Api,
) -> None:
    secret = await _register(api)
    unknown = _notice("refund.succeeded", reference="sim_ref_nobody", amount=100)
    body, _ = await _shipped(api)
    key = f"{body['id']}:refund:{body['id']}.R1@x"
    late = _notice("refund.succeeded", idempotency_key=key, reference="ref-9", amount=100)

    missing = await _send(api, secret, unknown, "ntc-5")
    recorded = await _send(api, secret, late, "ntc-5")  # the same id, now about a known order

    assert (missing.status_code, error_of(missing)["code"]) == (404, "payment_not_found")
    assert recorded.json()["outcome"] == "recorded"
    with api.db.reading() as s:
        row = payments.entry(s, key)
    assert row is not None
    assert (row.operation, row.outcome, row.amount) == ("refund", "succeeded", 100)
    [refunded] = _events(api, "payment.refunded")
    assert refunded.payload["return_id"] == f"{body['id']}.R1"


async def test_the_simulated_gateway_sends_its_notices_and_the_books_still_agree(
    api: Api,
) -> None:
    secret = await _register(api)
    body, _ = await _shipped(api)
    capture = _capture(api, body["id"])
    gateway = NoticeSender(api.harness.payments, api.http, secret)

    disputed = await gateway.chargeback(capture.idempotency_key, "cb_9", 899, "fraud")
    reversed_ = await gateway.reverse(capture.idempotency_key, "issuer_reversal")

    assert reversed_.json()["outcome"] == "reversed"
    assert disputed.json()["outcome"] == "chargeback"
    assert _capture(api, body["id"]).outcome == "refused"
    books = reconcile(api.db, api.harness.payments)
    assert books.differences == []
    assert books.matched >= 1  # the authorization (and the void) still on both sides


async def test_a_refund_that_failed_after_the_fact_gives_its_capture_room_back(api: Api) -> None:
    secret = await _register(api)
    order = await _delivered(api)
    ret = (await _return(api, order["order_id"], _ask([("1", 1)]))).json()
    received = await api.http.post(
        f"/returns/{ret['return_id']}/receive",
        json={"lines": [{"line_id": "1", "quantity": 1}]},
        headers=api.auth("opera"),
    )
    assert received.status_code == 200, received.text
    task = await _qc_task(api, ret["return_id"])
    assert (await _grade(api, task["id"], [("1", "qc_resellable", 1)])).status_code == 200
    await _until_return(api, ret["return_id"], "COMPLETED")
    [refund] = _refunds(api, order["order_id"])
    with api.db.reading() as s:
        before = return_repo.refund_parts(s, order["order_id"], "later", 10**6)

    notice = _notice(
        "refund.failed", reference=refund.gateway_reference, amount=refund.amount, code="closed"
    )
    answer = await _send(api, secret, notice, "ntc-refund-failed")

    assert answer.json()["outcome"] == "reversed"
    with api.db.reading() as s:
        after = return_repo.refund_parts(s, order["order_id"], "later", 10**6)
    # The failed refund no longer holds its part of the capture.
    assert sum(p.amount for p in before) == 2 * TEE + MUG - TEE
    assert sum(p.amount for p in after) == 2 * TEE + MUG
