"""WebhookRelayWorkflow against a real local HTTP receiver that checks every signature with
oms.webhooks.verify (time-skipping: the backoff's minutes and days pass at once)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from sqlmodel import select
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from bench.webhook_receiver import Receiver
from oms.db import outbox, webhooks_out
from oms.db.engine import Database
from oms.db.tables import WebhookDelivery, utcnow
from oms.domain.webhooks_out import DeliveryStatus
from tests.workflows.harness import running
from workflows.webhook_relay import RelaySettings, WebhookRelayWorkflow, start_webhook_relay

SECRET = "whsec_test-secret-of-the-receiver-0123456789"
# One pass per call, and a long pause once caught up: time-skipping jumps to the next retry.
STEPPED = RelaySettings(run_for_s=0, idle_s=86400)


def subscribe(db: Database, url: str, events: list[str]) -> str:
    sub_id = f"whsub_{uuid.uuid4().hex[:8]}"
    with db.session() as s:
        webhooks_out.create(s, subscription_id=sub_id, url=url, events=events, secret=SECRET)
    return sub_id


def emit(db: Database, event_id: str, type_: str, order: str | None, **payload: Any) -> None:
    with db.session() as s:
        outbox.emit(s, event_id=event_id, type=type_, order_id=order, payload=payload)


def deliveries(db: Database) -> dict[str, WebhookDelivery]:
    with db.reading() as s:
        return {d.event_id: d for d in s.exec(select(WebhookDelivery))}


def status_of(db: Database, event_id: str) -> str | None:
    row = deliveries(db).get(event_id)
    return row.status if row is not None else None


@asynccontextmanager
async def relay(
    env: WorkflowEnvironment, db: Database
) -> AsyncIterator[WorkflowHandle[WebhookRelayWorkflow, None]]:
    async with running(env.client, db) as h:
        handle = await start_webhook_relay(
            env.client, h.task_queue, STEPPED, workflow_id=f"webhook-relay-{uuid.uuid4().hex}"
        )
        try:
            yield handle
        finally:
            await handle.terminate(reason="test finished")


async def skip_until(
    env: WorkflowEnvironment, check: Callable[[], bool], *, step: timedelta, most: timedelta
) -> None:
    waited = timedelta(0)
    while not check():
        assert waited < most, "condition never held"
        await env.sleep(step)
        waited += step


async def test_a_refused_delivery_is_retried_and_holds_back_only_its_own_orders_events(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # The receiver refuses the first two requests for order A's first event.
    def answer(event: dict[str, Any], attempt: int) -> int:
        return 503 if event["id"] == "a1" and attempt <= 2 else 200

    with Receiver([SECRET], answer) as receiver:
        subscribe(db, receiver.url, ["order.*", "fulfilment.ready_for_collection"])
        emit(db, "a1", "order.completed", "A", order_id="A")
        emit(db, "a2", "fulfilment.ready_for_collection", "A", order_id="A", code="1234")
        emit(db, "b1", "order.cancelled", "B", order_id="B", reason="out_of_stock")
        emit(db, "a3", "order.delivered", "A", order_id="A")
        emit(db, "t1", "task.escalated", "A", task_id="T1")  # not subscribed
        async with relay(time_env, db):
            await skip_until(
                time_env,
                lambda: len(receiver.accepted) == 4,
                step=timedelta(seconds=30),
                most=timedelta(hours=1),
            )
        rows = deliveries(db)

    order = [r.event["id"] for r in receiver.accepted]
    assert order == ["b1", "a1", "a2", "a3"]  # B went while A waited; A's kept their order
    assert receiver.attempts == {"a1": 3, "b1": 1, "a2": 1, "a3": 1}
    assert receiver.refused == []  # every request was signed with the subscription's secret
    first = receiver.accepted[1]
    assert first.event_id == "a1"
    assert first.event["type"] == "order.completed"
    assert first.event["data"] == {"order_id": "A"}
    assert set(first.event) == {"id", "type", "version", "created_at", "data"}
    assert set(rows) == {"a1", "a2", "a3", "b1"}
    a1 = rows["a1"]
    assert (a1.status, a1.attempts, a1.last_status_code) == ("delivered", 3, 200)


async def test_a_delivery_still_refused_after_three_days_is_dead_until_redelivered_by_hand(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    up = False

    def answer(event: dict[str, Any], attempt: int) -> int:
        return 200 if up else 500

    with Receiver([SECRET], answer) as receiver:
        sub = subscribe(db, receiver.url, ["*"])
        emit(db, "e1", "order.completed", "A", order_id="A")
        emit(db, "s1", "inventory.out_of_stock", None, sku="SKU-1", channel_id="web")
        async with relay(time_env, db) as handle:
            await skip_until(
                time_env,
                lambda: status_of(db, "e1") == DeliveryStatus.DEAD,
                step=timedelta(hours=3),
                most=timedelta(days=4),
            )
            dead = deliveries(db)["e1"]
            refused_attempts = receiver.attempts["e1"]
            up = True
            with db.session() as s:
                row = webhooks_out.redeliver(s, dead.id or 0, now=utcnow())
                assert row is not None
            await handle.signal(WebhookRelayWorkflow.wake)
            await skip_until(
                time_env,
                lambda: len(receiver.accepted) == 1,
                step=timedelta(seconds=1),
                most=timedelta(minutes=5),
            )
        rows = deliveries(db)

    assert dead.last_status_code == 500
    assert dead.attempts == refused_attempts > 10  # backoff: minutes at first, hours later
    assert dead.first_attempt_at is not None
    assert dead.next_attempt_at is None
    assert rows["s1"].status == DeliveryStatus.DEAD  # the SKU's event failed alike
    assert [r.event_id for r in receiver.accepted] == ["e1"]
    assert rows["e1"].status == DeliveryStatus.DELIVERED
    assert rows["e1"].subscription_id == sub
