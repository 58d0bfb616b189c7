"""Webhook subscriptions and deliveries through the API, with the relay the API starts running
on the test's worker and a real local receiver that checks every signature."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError

from bench.webhook_receiver import Receiver
from oms.db import outbox
from oms.keys import WEBHOOK_RELAY_WORKFLOW_ID
from tests.api.conftest import Api, error_of
from tests.workflows.harness import eventually
from workflows.webhook_relay import WebhookRelayWorkflow

ADMIN = "admin"


@pytest.fixture
async def relay_ends(api: Api) -> AsyncIterator[None]:
    """The relay the API starts has a fixed id: one left by an earlier test (its worker gone)
    is ended first, and this test's with the test."""
    handle: WorkflowHandle[WebhookRelayWorkflow, None] = api.harness.client.get_workflow_handle(
        WEBHOOK_RELAY_WORKFLOW_ID
    )
    with contextlib.suppress(RPCError):
        await handle.terminate(reason="left by an earlier test")
    yield
    await handle.terminate(reason="test finished")


async def delivered(api: Api, subscription: str) -> httpx.Response:
    return await api.http.get(
        "/webhooks/deliveries",
        params={"subscription": subscription, "status": "delivered"},
        headers=api.auth(ADMIN),
    )


def emit(api: Api, event_id: str, order_id: str) -> None:
    with api.db.session() as s:
        outbox.emit(
            s,
            event_id=event_id,
            type="order.cancelled",
            order_id=order_id,
            payload={"order_id": order_id, "reason": "customer_request"},
        )


async def test_a_subscriber_receives_signed_events_across_a_rotation_and_a_redelivery(
    api: Api, relay_ends: None
) -> None:
    receiver = Receiver([])
    with receiver:
        created = await api.http.post(
            "/webhooks/subscriptions",
            json={"url": receiver.url, "events": ["order.*"]},
            headers=api.auth(ADMIN),
        )
        assert created.status_code == 201, created.text
        sub = created.json()
        receiver.secrets = [sub["secret"]]
        emit(api, "ev-1", "O-1")
        await eventually(lambda: len(receiver.accepted) == 1, seconds=20)

        rotated = await api.http.post(
            f"/webhooks/subscriptions/{sub['id']}/rotate-secret", headers=api.auth(ADMIN)
        )
        emit(api, "ev-2", "O-2")  # the receiver still knows the old secret only
        await eventually(lambda: len(receiver.accepted) == 2, seconds=20)
        receiver.secrets = [rotated.json()["secret"]]  # and now the new one only

        # The receiver answers before the relay records the delivery as delivered.
        listed = await delivered(api, sub["id"])
        for _ in range(200):
            if len(listed.json()["items"]) == 2:
                break
            await asyncio.sleep(0.05)
            listed = await delivered(api, sub["id"])
        assert len(listed.json()["items"]) == 2, f"not both recorded delivered: {listed.text}"
        first = listed.json()["items"][0]
        again = await api.http.post(
            f"/webhooks/deliveries/{first['id']}/redeliver", headers=api.auth(ADMIN)
        )
        await eventually(lambda: len(receiver.accepted) == 3, seconds=20)
        shown = await api.http.get(f"/webhooks/subscriptions/{sub['id']}", headers=api.auth(ADMIN))
        removed = await api.http.delete(
            f"/webhooks/subscriptions/{sub['id']}", headers=api.auth(ADMIN)
        )
        gone = await api.http.get(f"/webhooks/subscriptions/{sub['id']}", headers=api.auth(ADMIN))

    assert sub["secret"].startswith("whsec_")
    assert rotated.status_code == 200
    assert rotated.json()["secret"] != sub["secret"]
    assert rotated.json()["previous_secret_until"] is not None
    assert [r.event_id for r in receiver.accepted] == ["ev-1", "ev-2", "ev-1"]
    assert receiver.refused == []
    assert receiver.accepted[0].event["data"]["reason"] == "customer_request"
    assert [d["event_id"] for d in listed.json()["items"]] == ["ev-1", "ev-2"]
    assert (first["attempts"], first["last_status_code"], first["status"]) == (1, 200, "delivered")
    assert (again.status_code, again.json()["status"]) == (202, "pending")
    assert "secret" not in shown.json()
    assert shown.json()["events"] == ["order.*"]
    assert removed.status_code == 204
    assert (gone.status_code, error_of(gone)["code"]) == (404, "subscription_not_found")


async def test_a_given_secret_is_kept_and_not_answered_back(api: Api, relay_ends: None) -> None:
    created = await api.http.post(
        "/webhooks/subscriptions",
        json={"url": "http://127.0.0.1:9/hooks", "events": ["*"], "secret": "k" * 32},
        headers=api.auth(ADMIN),
    )
    listed = await api.http.get("/webhooks/subscriptions", headers=api.auth(ADMIN))

    assert created.status_code == 201
    assert created.json()["secret"] is None
    assert [s["url"] for s in listed.json()["items"]] == ["http://127.0.0.1:9/hooks"]


async def test_a_pattern_that_matches_no_event_type_is_refused_naming_close_ones(api: Api) -> None:
    body = {
        "url": "http://127.0.0.1:9/",
        "events": ["order.*", "orders.created", "shipment.delivred"],
    }

    answer = await api.http.post("/webhooks/subscriptions", json=body, headers=api.auth(ADMIN))

    assert answer.status_code == 422, answer.text
    errors = error_of(answer)["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("events[1]", "unknown_event_type"),
        ("events[2]", "unknown_event_type"),
    ]
    assert "order.confirmed" in errors[0]["reason"]
    assert "did you mean shipment.delivered" in errors[1]["reason"]
    listed = await api.http.get("/webhooks/subscriptions", headers=api.auth(ADMIN))
    assert listed.json()["items"] == []


async def test_wildcards_and_types_the_oms_sends_are_taken(api: Api) -> None:
    events = ["*", "payment.*", "payment.capture_failed.*", "order.completed"]
    body = {"url": "http://127.0.0.1:9/", "events": events}

    answer = await api.http.post("/webhooks/subscriptions", json=body, headers=api.auth(ADMIN))

    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"url": "ftp://127.0.0.1/x", "events": ["*"]}, "unsupported_url", "url"),
        ({"url": "https://user:pw@127.0.0.1/", "events": ["*"]}, "unsupported_url", "url"),
        ({"url": "https:///nohost", "events": ["*"]}, "unsupported_url", "url"),
        ({"url": "https://erp.example/", "events": ["*"]}, "unsupported_url", "url"),
        ({"url": "http://127.0.0.1:9/", "events": []}, "out_of_range", "events"),
        ({"url": "http://127.0.0.1:9/", "events": ["Order completed"]}, None, "events[0]"),
        ({"url": "http://127.0.0.1:9/", "events": ["*"], "secret": "short"}, None, "secret"),
    ],
)
async def test_a_subscription_that_cannot_receive_is_refused_with_the_field(
    api: Api, body: dict[str, object], code: str | None, field: str
) -> None:
    answer = await api.http.post("/webhooks/subscriptions", json=body, headers=api.auth(ADMIN))

    assert answer.status_code == 422
    error = error_of(answer)
    assert error["field"] == field
    if code is not None:
        assert error["code"] == code


async def test_unknown_subscriptions_and_deliveries_are_404_with_their_code(api: Api) -> None:
    rotate = await api.http.post(
        "/webhooks/subscriptions/whsub_none/rotate-secret", headers=api.auth(ADMIN)
    )
    redeliver = await api.http.post("/webhooks/deliveries/999/redeliver", headers=api.auth(ADMIN))
    listing = await api.http.get(
        "/webhooks/deliveries", params={"subscription": "whsub_none"}, headers=api.auth(ADMIN)
    )
    bad_status = await api.http.get(
        "/webhooks/deliveries", params={"status": "lost"}, headers=api.auth(ADMIN)
    )

    assert (rotate.status_code, error_of(rotate)["code"]) == (404, "subscription_not_found")
    assert (redeliver.status_code, error_of(redeliver)["code"]) == (404, "delivery_not_found")
    assert (listing.status_code, error_of(listing)["code"]) == (404, "subscription_not_found")
    assert (bad_status.status_code, error_of(bad_status)["field"]) == (422, "status")
