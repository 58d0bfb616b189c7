"""Delivery (issue 12): carriers' signed tracking webhooks move each shipment on, a failed
delivery opens a task, and the order is DELIVERED once every shipment is."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlmodel import select

from oms.connectors.carrier_tracking import TrackingSender
from oms.db.tables import OutboxEvent
from oms.services.task_escalation import escalate_overdue
from oms.webhooks import sign
from tests.api.conftest import Api, Json, error_of, full_pick, order_body

CARRIER = "simcarrier"
PARCELS = {"parcels": [{"weight_grams": 900, "reference": "BOX-1"}]}


async def _register(api: Api, sender: str = f"carrier:{CARRIER}") -> str:
    response = await api.http.put(f"/webhooks/senders/{sender}", json={}, headers=api.auth("admin"))
    assert response.status_code in (200, 201), response.text
    secret: str = response.json()["secret"]
    return secret


async def _shipped(api: Api) -> tuple[Json, Json]:
    """A placed order, picked and packed at the Opéra: (order body, the order's view)."""
    body = order_body()
    fulfilment = await api.awaiting_pick(body)
    url = f"/fulfilments/{fulfilment['id']}"
    for step, payload in (("pick", full_pick(fulfilment)), ("pack", PARCELS)):
        done = await api.http.post(f"{url}/{step}", json=payload, headers=api.auth("opera"))
        assert done.status_code == 200, done.text
    # With its fulfilments: a query that timed out on a busy machine is answered by the
    # read model's view, which has none.
    view = await api.until(body["id"], lambda v: v["status"] == "COMPLETED" and v["fulfilments"])
    return body, view


def _update(tracking: str, status: str, minutes: int = 0, **extra: Any) -> bytes:
    at = datetime(2026, 12, 8, 9, 0, tzinfo=UTC) + timedelta(minutes=minutes)
    payload = {"tracking_number": tracking, "status": status, "occurred_at": at.isoformat()}
    return json.dumps(payload | extra).encode()


async def _send(
    api: Api,
    secret: str,
    body: bytes,
    event_id: str,
    *,
    carrier: str = CARRIER,
    signature: str | None = None,
) -> httpx.Response:
    headers = {
        "Content-Type": "application/json",
        "OMS-Signature": signature if signature is not None else sign(secret, body),
        "OMS-Event-Id": event_id,
    }
    return await api.http.post(f"/webhooks/carriers/{carrier}", content=body, headers=headers)


def _events(api: Api, type_: str) -> list[OutboxEvent]:
    with api.db.reading() as s:
        return list(s.exec(select(OutboxEvent).where(OutboxEvent.type == type_)))


async def test_tracking_moves_the_shipment_on_and_delivers_the_order(api: Api) -> None:
    secret = await _register(api)
    body, view = await _shipped(api)
    tracking = view["fulfilments"][0]["tracking_number"]

    for n, (status, minutes) in enumerate(
        (("IN_TRANSIT", 0), ("OUT_FOR_DELIVERY", 60), ("DELIVERED", 120))
    ):
        answer = await _send(api, secret, _update(tracking, status, minutes), f"evt-{n}")
        assert answer.status_code == 200, answer.text
        assert answer.json()["outcome"] == "applied"

    assert answer.json()["order_delivered"] is True
    order = await api.until(body["id"], lambda v: v["status"] == "DELIVERED")
    (shipment,) = order["fulfilments"]
    assert shipment["delivery_status"] == "DELIVERED"
    assert shipment["delivered_at"] == "2026-12-08T11:00:00Z"
    assert order["delivered_at"] == "2026-12-08T11:00:00Z"
    carrier_steps = [e["type"] for e in order["timeline"] if e["actor"] == f"carrier:{CARRIER}"]
    assert carrier_steps == [
        "shipment.in_transit",
        "shipment.out_for_delivery",
        "shipment.delivered",
    ]
    (delivered,) = _events(api, "order.delivered")
    assert delivered.order_id == body["id"]
    listed = await api.http.get(
        "/orders", params={"status": "DELIVERED"}, headers=api.auth("analyst")
    )
    assert [o["order_id"] for o in listed.json()["items"]] == [body["id"]]


async def test_a_replayed_event_is_ignored_and_a_late_one_only_joins_the_history(
    api: Api,
) -> None:
    secret = await _register(api)
    body, view = await _shipped(api)
    tracking = view["fulfilments"][0]["tracking_number"]
    delivered = _update(tracking, "DELIVERED", 120)

    first = await _send(api, secret, delivered, "evt-d")
    replayed = await _send(api, secret, delivered, "evt-d")
    late = await _send(api, secret, _update(tracking, "IN_TRANSIT", 0), "evt-t")

    assert first.json()["applied"] is True
    assert (replayed.status_code, replayed.json()["applied"]) == (200, False)
    assert replayed.json()["outcome"] == "duplicate"
    assert (late.status_code, late.json()["outcome"]) == (200, "recorded")
    order = await api.until(body["id"], lambda v: v["status"] == "DELIVERED")
    assert order["fulfilments"][0]["delivery_status"] == "DELIVERED"
    assert len(_events(api, "shipment.delivered")) == 1
    assert _events(api, "shipment.in_transit") == []


async def test_a_bad_signature_is_401_and_changes_nothing(api: Api) -> None:
    secret = await _register(api)
    body, view = await _shipped(api)
    payload = _update(view["fulfilments"][0]["tracking_number"], "DELIVERED")
    old = int(time.time()) - 301

    cases = {
        "signature_mismatch": await _send(api, "whsec_not-the-right-one", payload, "e1"),
        "signature_expired": await _send(
            api, secret, payload, "e2", signature=sign(secret, payload, timestamp=old)
        ),
        "signature_malformed": await _send(api, secret, payload, "e3", signature="v1=abc"),
        "signature_missing": await _send(api, secret, payload, "e4", signature=""),
    }
    unknown_carrier = await _send(api, secret, payload, "e5", carrier="othercarrier")

    for code, answer in cases.items():
        assert answer.status_code == 401, answer.text
        assert (error_of(answer)["code"], error_of(answer)["field"]) == (code, "OMS-Signature")
    # An unregistered carrier learns no more than a wrong signature tells.
    assert error_of(unknown_carrier)["code"] == "signature_mismatch"
    order = await api.until(body["id"], lambda v: v["status"] == "COMPLETED")
    assert order["fulfilments"][0]["delivery_status"] is None
    # The refused ids were not used up: the genuine request is applied.
    good = await _send(api, secret, payload, "e1")
    assert good.json()["applied"] is True


async def test_a_failed_delivery_opens_a_task_the_carrier_closes_by_delivering(api: Api) -> None:
    secret = await _register(api)
    body, view = await _shipped(api)
    tracking = view["fulfilments"][0]["tracking_number"]
    fid = view["fulfilments"][0]["fulfilment_id"]

    failed = await _send(
        api, secret, _update(tracking, "DELIVERY_EXCEPTION", 30, detail="address unknown"), "x1"
    )

    assert failed.status_code == 200, failed.text
    tasks = await api.http.get(
        "/tasks", params={"kind": "delivery_exception"}, headers=api.auth("analyst")
    )
    (task,) = tasks.json()["items"]
    assert (task["id"], task["status"], task["order_id"]) == (
        f"delivery-exception-{fid}",
        "open",
        body["id"],
    )
    assert task["payload"]["detail"] == "address unknown"
    assert task["due_at"] is not None
    order = await api.until(
        body["id"], lambda v: v["fulfilments"][0]["delivery_status"] == "DELIVERY_EXCEPTION"
    )
    assert order["status"] == "COMPLETED"

    await _send(api, secret, _update(tracking, "DELIVERED", 600), "x2")

    await api.until(body["id"], lambda v: v["status"] == "DELIVERED")
    tasks = await api.http.get(
        "/tasks", params={"kind": "delivery_exception"}, headers=api.auth("analyst")
    )
    (task,) = tasks.json()["items"]
    assert task["status"] == "completed"
    assert task["completed_by"] == f"carrier:{CARRIER}"


async def test_tracking_for_an_unknown_parcel_is_404_and_can_be_sent_again(api: Api) -> None:
    secret = await _register(api)

    unknown = await _send(api, secret, _update("SIMNOPE", "IN_TRANSIT"), "u1")

    assert unknown.status_code == 404, unknown.text
    assert (error_of(unknown)["code"], error_of(unknown)["field"]) == (
        "shipment_not_found",
        "tracking_number",
    )
    again = await _send(api, secret, _update("SIMNOPE", "IN_TRANSIT"), "u1")
    assert again.status_code == 404  # not swallowed as a duplicate


async def test_a_malformed_tracking_body_is_422_with_the_field(api: Api) -> None:
    secret = await _register(api)
    payload = json.dumps({"tracking_number": "SIM1", "status": "LOST"}).encode()

    answer = await _send(api, secret, payload, "m1")
    no_id = await api.http.post(
        f"/webhooks/carriers/{CARRIER}",
        content=payload,
        headers={"OMS-Signature": sign(secret, payload)},
    )

    assert answer.status_code == 422, answer.text
    fields = {e["field"] for e in error_of(answer)["errors"]}
    assert fields == {"status", "occurred_at"}
    assert (no_id.status_code, error_of(no_id)["field"]) == (422, "OMS-Event-Id")


async def test_senders_are_registered_rotated_and_removed_by_an_admin(api: Api) -> None:
    first = await api.http.put(
        "/webhooks/senders/wms", json={"secret": "s" * 32}, headers=api.auth("admin")
    )
    rotated = await api.http.put("/webhooks/senders/wms", json={}, headers=api.auth("admin"))
    listed = await api.http.get("/webhooks/senders", headers=api.auth("admin"))
    refused = await api.http.put("/webhooks/senders/wms", json={}, headers=api.auth("analyst"))
    short = await api.http.put(
        "/webhooks/senders/pos", json={"secret": "short"}, headers=api.auth("admin")
    )
    removed = await api.http.delete("/webhooks/senders/wms", headers=api.auth("admin"))
    gone = await api.http.delete("/webhooks/senders/wms", headers=api.auth("admin"))

    assert (first.status_code, first.json()["secret"], first.json()["created"]) == (
        201,
        "s" * 32,
        True,
    )
    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != "s" * 32
    (sender,) = listed.json()["items"]
    assert sender["sender"] == "wms"
    assert sender["rotated_at"] is not None
    assert "secret" not in sender
    assert refused.status_code == 403
    assert (short.status_code, error_of(short)["field"]) == (422, "secret")
    assert removed.status_code == 204
    assert (gone.status_code, error_of(gone)["code"]) == (404, "sender_not_found")


async def test_the_simulated_carrier_delivers_through_the_webhook_like_a_real_one(
    api: Api,
) -> None:
    secret = await _register(api)
    api.harness.carrier.pace = timedelta(0)  # as `oms dev` runs it, minus the waiting
    body, view = await _shipped(api)

    sender = TrackingSender(api.harness.carrier, api.http, secret)
    taken = await sender.send_due(datetime.now(UTC) + timedelta(minutes=1))

    assert taken == 3
    order = await api.until(body["id"], lambda v: v["status"] == "DELIVERED")
    steps = [e["type"] for e in order["timeline"] if e["actor"] == f"carrier:{CARRIER}"]
    assert steps == ["shipment.in_transit", "shipment.out_for_delivery", "shipment.delivered"]
    assert order["fulfilments"][0]["tracking_number"] == view["fulfilments"][0]["tracking_number"]


async def test_customer_service_closes_a_failed_delivery_with_what_it_did(api: Api) -> None:
    secret = await _register(api)
    _, view = await _shipped(api)
    tracking = view["fulfilments"][0]["tracking_number"]
    await _send(api, secret, _update(tracking, "DELIVERY_EXCEPTION", 30, detail="lost"), "l1")
    listed = await api.http.get(
        "/tasks", params={"kind": "delivery_exception"}, headers=api.auth("analyst")
    )
    (task,) = listed.json()["items"]
    url = f"/tasks/{task['id']}/complete"

    wrong = await api.http.post(
        url, json={"decision": "approve", "reason": "x"}, headers=api.auth("analyst")
    )
    done = await api.http.post(
        url,
        json={"resolution": "reshipped", "note": "sent a new one"},
        headers=api.auth("analyst"),
    )

    assert (wrong.status_code, error_of(wrong)["field"]) == (422, "resolution")
    assert done.status_code == 200, done.text
    assert done.json()["outcome"] == {"resolution": "reshipped", "note": "sent a new one"}
    assert done.json()["status"] == "completed"


async def test_the_store_gets_the_carriers_label_once_the_parcel_is_booked(api: Api) -> None:
    body = order_body()
    fulfilment = await api.awaiting_pick(body)
    url = f"/fulfilments/{fulfilment['id']}/label"
    early = await api.http.get(url, headers=api.auth("opera"))
    _, view = await _shipped(api)

    # (the shipped order is another one: this one is still to pick)
    assert (early.status_code, error_of(early)["code"]) == (409, "invalid_state")
    fid = view["fulfilments"][0]["fulfilment_id"]
    label = await api.http.get(f"/fulfilments/{fid}/label", headers=api.auth("opera"))
    elsewhere = await api.http.get(f"/fulfilments/{fid}/label", headers=api.auth("bastille"))
    assert label.status_code == 200, label.text
    tracking = view["fulfilments"][0]["tracking_number"]
    assert label.json() == {
        "fulfilment_id": fid,
        "carrier": CARRIER,
        "tracking_number": tracking,
        "label_url": f"sim://labels/{tracking}.pdf",
    }
    assert elsewhere.status_code == 404


async def test_a_captured_request_sent_again_under_another_event_id_is_not_applied(
    api: Api,
) -> None:
    secret = await _register(api)
    _, view = await _shipped(api)
    tracking = view["fulfilments"][0]["tracking_number"]
    failed = _update(tracking, "DELIVERY_EXCEPTION", 30, detail="nobody home")
    signature = sign(secret, failed)

    first = await _send(api, secret, failed, "r1", signature=signature)
    replay = await _send(api, secret, failed, "r2", signature=signature)

    assert first.json()["applied"] is True
    assert (replay.status_code, replay.json()["outcome"]) == (200, "duplicate")
    assert len(_events(api, "shipment.delivery_exception")) == 1


async def test_a_failed_delivery_left_past_its_due_time_is_escalated_once(api: Api) -> None:
    secret = await _register(api)
    _, view = await _shipped(api)
    tracking = view["fulfilments"][0]["tracking_number"]
    await _send(api, secret, _update(tracking, "DELIVERY_EXCEPTION", 30, detail="lost"), "e1")
    listed = await api.http.get(
        "/tasks", params={"kind": "delivery_exception"}, headers=api.auth("analyst")
    )
    (task,) = listed.json()["items"]
    due = datetime.fromisoformat(task["due_at"])

    early = escalate_overdue(api.db, now=due - timedelta(minutes=1))
    late = escalate_overdue(api.db, now=due + timedelta(minutes=1))
    again = escalate_overdue(api.db, now=due + timedelta(hours=1))

    assert (early, late, again) == ([], [task["id"]], [])
    listed = await api.http.get(
        "/tasks", params={"kind": "delivery_exception"}, headers=api.auth("analyst")
    )
    assert [t["escalated"] for t in listed.json()["items"]] == [True]
    assert [e.payload["task_id"] for e in _events(api, "task.escalated")] == [task["id"]]
