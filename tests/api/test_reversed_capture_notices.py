"""A gateway's notice about a capture it reversed, as people and ops see it through the API:
a notice of another amount or currency reverses nothing; the reversal shows in the order's
payment and its task is due, escalated by the sweep; a capture the gateway made again on its
own is booked again and closes the task; a decision sent while Temporal is away stays the
task's, carried out later; a second, different decision is refused."""

from __future__ import annotations

from datetime import timedelta

import httpx
from pydantic import SecretStr

from api.app import create_app
from oms.config import Settings
from oms.connectors.payment_notices import NoticeSender
from oms.db import tasks as task_repo
from oms.devserver import free_port
from oms.payload_keys import new_key
from oms.services.payment_reconcile import reconcile
from oms.services.task_escalation import escalate_overdue
from oms.temporal import connect
from tests.api.conftest import Api, Json, error_of
from tests.api.test_delivery_tracking import _shipped
from tests.api.test_payment_notices import _capture, _events, _notice, _register, _send


async def _reversed(api: Api) -> tuple[Json, Json, str, str, NoticeSender]:
    """A shipped order whose capture the simulated gateway fails after the fact: the order,
    its view, the capture's key, the reversed capture's task, the gateway's notices."""
    secret = await _register(api)
    body, view = await _shipped(api)
    capture = _capture(api, body["id"])
    gateway = NoticeSender(api.harness.payments, api.http, secret)
    answer = await gateway.reverse(capture.idempotency_key, "technical_error")
    assert answer.status_code == 200, answer.text
    return body, view, capture.idempotency_key, answer.json()["task_id"], gateway


async def _task(api: Api, task_id: str) -> Json:
    answer = await api.http.get(f"/tasks/{task_id}", headers=api.auth("analyst"))
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def test_a_notice_of_another_amount_or_currency_reverses_nothing(api: Api) -> None:
    secret = await _register(api)
    body, view = await _shipped(api)
    capture = _capture(api, body["id"])

    def failed(amount: int, currency: str = "EUR") -> bytes:
        return _notice(
            "capture.failed",
            idempotency_key=capture.idempotency_key,
            amount=amount,
            currency=currency,
            code="insufficient_funds",
        )

    short = await _send(api, secret, failed(capture.amount // 3), "ntc-amount")
    dollars = await _send(api, secret, failed(capture.amount, "USD"), "ntc-amount")

    assert short.status_code == 409, short.text
    assert (error_of(short)["code"], error_of(short)["field"]) == ("payment_mismatch", "amount")
    assert (error_of(dollars)["code"], error_of(dollars)["field"]) == (
        "payment_mismatch",
        "currency",
    )
    assert _capture(api, body["id"]).outcome == "succeeded"  # nothing reversed
    assert _events(api, "payment.capture_reversed") == []
    # The gateway corrects its notice under the same event id: applied then.
    right = await _send(api, secret, failed(capture.amount), "ntc-amount")
    assert right.json()["outcome"] == "reversed"
    assert view["total"] == capture.amount


async def test_a_reversal_shows_in_the_orders_payment_and_its_task_escalates_when_due(
    api: Api,
) -> None:
    body, view, _, task_id, _ = await _reversed(api)

    order = await api.http.get(f"/orders/{body['id']}", headers=api.auth("analyst"))
    task = await _task(api, task_id)

    payment = order.json()["payment"]
    fid = view["fulfilments"][0]["fulfilment_id"]
    assert (payment["captured"], payment["reversed"]) == (0, view["total"])
    assert payment["state"] != "captured"
    assert payment["exceptions"] == [
        {"fulfilment_id": fid, "amount": view["total"], "attempt": 0, "task_id": task_id}
    ]
    # No run watches the task: it is due, and the sweep escalates it once overdue.
    assert task["due_at"] is not None
    with api.db.reading() as s:
        row = task_repo.get_task(s, task_id)
        assert row is not None
        assert row.due_at is not None
        at = row.due_at
    assert escalate_overdue(api.db, now=at - timedelta(minutes=1)) == []
    assert escalate_overdue(api.db, now=at + timedelta(minutes=1)) == [task_id]


async def test_a_reversed_capture_the_gateway_captured_again_is_booked_again_and_closed(
    api: Api,
) -> None:
    body, view, key, task_id, gateway = await _reversed(api)

    answer = await gateway.recapture(key)

    assert (answer.status_code, answer.json()["outcome"]) == (200, "recaptured")
    assert _capture(api, body["id"]).outcome == "succeeded"
    booked = _events(api, "payment.captured")
    assert [e.payload.get("recaptured", False) for e in booked] == [False, True]
    assert {e.payload["idempotency_key"] for e in booked} == {key}
    assert (await _task(api, task_id))["status"] == "cancelled"  # nothing left to decide
    assert reconcile(api.db, api.harness.payments).differences == []
    order = await api.http.get(f"/orders/{body['id']}", headers=api.auth("analyst"))
    payment = order.json()["payment"]
    assert (payment["captured"], payment["exceptions"]) == (view["total"], [])
    assert order.json()["timeline"][-1]["type"] == "payment_capture_recaptured"


async def test_a_decision_sent_while_temporal_is_away_stays_the_tasks_and_one_only(
    api: Api,
) -> None:
    _, _, _, task_id, _ = await _reversed(api)
    # An API whose Temporal cannot be reached (nothing listens there), over the same data.
    settings = Settings(
        temporal_address=f"127.0.0.1:{free_port()}", payload_keys=SecretStr(new_key("k1"))
    )
    app = create_app(settings, db=api.db, client=await connect(settings, lazy=True))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    url = f"/tasks/{task_id}/complete"
    async with httpx.AsyncClient(transport=transport, base_url="http://oms") as away:
        retry = {"action": "retry", "reason": "the customer topped up"}
        done = await away.post(url, json=retry, headers=api.auth("analyst"))
        write_off = {"action": "write_off", "reason": "give up"}
        second = await away.post(url, json=write_off, headers=api.auth("analyst"))

    # The decision is kept (the worker's sweep starts its run); a second one is refused.
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["outcome"]) == ("completed", retry)
    assert (second.status_code, error_of(second)["code"]) == (409, "task_not_open")
    assert (await _task(api, task_id))["outcome"] == retry


async def test_a_different_decision_finds_the_first_under_way_and_the_task_says_the_first(
    api: Api,
) -> None:
    _, _, _, task_id, _ = await _reversed(api)
    url = f"/tasks/{task_id}/complete"
    retry = {"action": "retry", "reason": "the customer topped up"}
    first = await api.http.post(url, json=retry, headers=api.auth("analyst"))
    assert first.status_code == 200, first.text
    # An API of before opened the task again after a start it could not tell the end of.
    with api.db.session() as s:
        task_repo.reopen(s, task_id)
        s.commit()

    write_off = {"action": "write_off", "reason": "give up"}
    second = await api.http.post(url, json=write_off, headers=api.auth("analyst"))

    assert second.status_code == 409, second.text
    refused = second.json()
    assert (refused["code"], refused["field"]) == ("payment_decision_under_way", "action")
    assert refused["detail"]["under_way"] == retry  # the decision the run carries out
    task = await _task(api, task_id)
    assert (task["status"], task["outcome"]["action"]) == ("completed", "retry")
