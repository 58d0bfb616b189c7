"""What a click & collect customer is told by email once the collection waits at the store,
end to end: a fulfilment profile published through the API, the store's pick and the
customer's visits at the counter over HTTP, the reminder and the end of the hold on the
time-skipping server, and the messages through a real SMTP server (docs/messages.md)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from oms.db.engine import Database
from oms.db.tables import OutboxEvent
from oms.keys import order_workflow_id
from tests.api.conftest import Api, Json, collect_body, full_pick, serving
from tests.api.test_order_messages import body_of, send_by_smtp
from tests.mail import MailServer, html_of
from workflows.order import OrderWorkflow

# The finding's profile: reminded after a minute, let go after two.
COUNTER = {
    "id": "counter",
    "name": "Picked, then waiting at the counter",
    "applies_to": {"location_type": "store", "delivery_method": "collect"},
    "steps": [{"type": "pick"}, {"type": "ready_for_collection"}, {"type": "collected"}],
    "collection": {"remind_after": "PT1M", "hold_for": "PT2M"},
}
TEES = [{"line_id": "1", "sku": "SKU-TEE", "quantity": 2, "unit_price": 1999}]


@pytest.fixture
async def api(time_env: WorkflowEnvironment, db: Database) -> AsyncIterator[Api]:
    """The API over the time-skipping server: a hold of minutes passes at once."""
    async with serving(time_env, db) as served:
        admin = served.auth("admin")
        made = await served.http.post("/fulfilment/profiles", json=COUNTER, headers=admin)
        assert made.status_code == 201, made.text
        published = await served.http.post(
            "/fulfilment/profiles/counter/versions/1/publish", headers=admin
        )
        assert published.status_code == 200, published.text
        yield served


def events(api: Api, order_id: str, type_: str) -> list[Json]:
    with api.db.reading() as s:
        found = s.exec(
            select(OutboxEvent).where(OutboxEvent.order_id == order_id, OutboxEvent.type == type_)
        )
        return [e.payload for e in found]


async def first_event(api: Api, order_id: str, type_: str) -> Json:
    for _ in range(600):
        found = events(api, order_id, type_)
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {type_} for {order_id}")


async def ready(api: Api, lines: list[Json] = TEES) -> tuple[str, str, str]:
    """A collection at the Opéra store, picked by the store and waiting at the counter:
    (order id, fulfilment id, collection code)."""
    body = collect_body()
    body["lines"] = lines
    await api.place(body)
    # The harness ends it if a test leaves it waiting: a run left on the time-skipping server
    # would hold its clock for the next test.
    run = api.harness.client.get_workflow_handle_for(
        OrderWorkflow.run, order_workflow_id(body["id"])
    )
    api.harness.started.append(run)
    fulfilment = await api.until_step(body["id"], "pick")
    picked = await api.http.post(
        f"/fulfilments/{fulfilment['id']}/pick",
        json=full_pick(fulfilment),
        headers=api.auth("opera"),
    )
    assert picked.status_code == 200, picked.text
    shown = await first_event(api, body["id"], "fulfilment.ready_for_collection")
    return body["id"], fulfilment["id"], str(shown["collection_code"])


async def collect(api: Api, fid: str, code: str, **units: int) -> Any:
    """The customer at the counter, taking ``line1=1``... (nothing named: everything)."""
    taken = [{"line_id": k.removeprefix("line"), "quantity": n} for k, n in units.items()]
    body = {"code": code, "lines": taken} if taken else {"code": code}
    answer = await api.http.post(
        f"/fulfilments/{fid}/collect", json=body, headers=api.auth("opera")
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def told(api: Api, order_id: str) -> dict[str, Json]:
    """The order's messages by kind, as customer service reads them."""
    listed = await api.http.get(f"/orders/{order_id}/messages", headers=api.auth("analyst"))
    assert listed.status_code == 200, listed.text
    return {m["kind"]: m for m in listed.json()["items"]}


async def test_a_customer_who_took_part_of_a_collection_is_reminded_of_what_still_waits(
    api: Api, time_env: WorkflowEnvironment
) -> None:
    oid, fid, code = await ready(api)
    part = await collect(api, fid, code, line1=1)
    assert part["status"] == "PARTIALLY_COLLECTED"

    with MailServer() as mail:
        await time_env.sleep(timedelta(minutes=1, seconds=10))  # past remind_after
        await first_event(api, oid, "fulfilment.collection_reminder")
        send_by_smtp(api, mail.url)
        [reminder] = [m for m in mail.received if "still waiting" in m["Subject"]]

    assert reminder["Subject"] == f"The rest of your order {oid} is still waiting for you"
    text = body_of(reminder)
    assert "You have collected part of your order" in text
    # What still waits, and only that: one of the two tees.
    assert "- 1 x Tee shirt (SKU-TEE)\n" in text
    assert "2 x" not in text
    assert f"Your collection code: {code}" in text
    assert "1 &times; Tee shirt" in html_of(reminder)
    message = (await told(api, oid))["collection_reminder"]
    assert (message["status"], message["last_error"]) == ("sent", None)


async def test_what_was_left_at_the_counter_is_cancelled_and_the_customer_told_it_is_not_charged(
    api: Api, time_env: WorkflowEnvironment
) -> None:
    oid, fid, code = await ready(api)
    await collect(api, fid, code, line1=1)

    with MailServer() as mail:
        await time_env.sleep(timedelta(minutes=2, seconds=10))  # the hold is over
        await first_event(api, oid, "fulfilment.not_collected")
        order = await api.until(oid, lambda v: v["status"] == "COMPLETED")
        send_by_smtp(api, mail.url)
        [gone] = [m for m in mail.received if "not collected" in m["Subject"]]

    assert order["payment"]["captured"] == 1999  # the tee taken, not the one left
    assert gone["Subject"] == f"Your order {oid}: items not collected in time"
    text = body_of(gone)
    assert "- 1 x Tee shirt (SKU-TEE): €19.99\n" in text
    assert "You will not be charged for them (€19.99)." in text
    assert "You pay only for what you collected." in text
    messages = await told(api, oid)
    assert messages["not_collected"]["status"] == "sent"
    assert "cancelled" not in messages  # the order was completed, not cancelled


async def test_a_collection_nobody_came_for_is_told_once_not_twice(
    api: Api, time_env: WorkflowEnvironment
) -> None:
    oid, _, _ = await ready(api)

    with MailServer() as mail:
        await time_env.sleep(timedelta(minutes=2, seconds=10))
        await api.until(oid, lambda v: v["status"] == "CANCELLED")
        await first_event(api, oid, "order.cancelled")
        send_by_smtp(api, mail.url)
        subjects = [m["Subject"] for m in mail.received if "confirmed" not in m["Subject"]]

    # The items let go and what they come to; the order's cancellation, which would say the
    # same again, is recorded and not sent (and the reminder, past its time, neither).
    assert subjects == [
        f"Your order {oid} is ready for collection",
        f"Your order {oid}: items not collected in time",
    ]
    [gone] = [m for m in mail.received if "not collected" in m["Subject"]]
    assert "- 2 x Tee shirt (SKU-TEE): €39.98\n" in body_of(gone)
    assert "You pay only" not in body_of(gone)
    messages = await told(api, oid)
    assert messages["not_collected"]["status"] == "sent"
    assert messages["cancelled"]["status"] == "withdrawn"
    assert messages["collection_reminder"]["status"] == "withdrawn"
