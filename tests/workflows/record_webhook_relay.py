"""A recorded run of WebhookRelayWorkflow for the replay test: two events relayed to a local
receiver that refuses the order's event once (a retry after a pause the test server skips), a
``wake`` signal, a last pause, then the run continues as new. Run by hand with a new prefix after a
compatible change: ``python -m tests.workflows.record_webhook_relay R10``."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from bench.webhook_receiver import Receiver
from oms.db import outbox, webhooks_out
from tests.workflows.harness import running
from tests.workflows.record_order_paths import fresh_db
from tests.workflows.record_other_histories import reached, save, until
from workflows.webhook_relay import RelayInput, RelaySettings, WebhookRelayWorkflow

SECRET = "whsec_recorded-relay-secret-0123456789"


async def record_webhook_relay(env: WorkflowEnvironment, prefix: str) -> None:
    def answer(event: dict[str, Any], attempt: int) -> int:
        return 503 if event["type"] == "order.completed" and attempt == 1 else 200

    with tempfile.TemporaryDirectory() as tmp, Receiver([SECRET], answer) as receiver:
        db = fresh_db(tmp)
        with db.session() as s:
            webhooks_out.create(
                s, subscription_id="whsub_rec", url=receiver.url, events=["*"], secret=SECRET
            )
            outbox.emit(s, event_id="e1", type="order.completed", order_id="O1", payload={})
            outbox.emit(
                s,
                event_id="e2",
                type="inventory.out_of_stock",
                order_id=None,
                payload={"sku": "SKU-TEE"},
            )
        async with running(env.client, db) as h:
            settings = RelaySettings(run_for_s=0, idle_s=3600)
            handle = await env.client.start_workflow(
                WebhookRelayWorkflow.run,
                RelayInput(settings=settings, calls_per_run=5),
                id=f"webhook-relay-{prefix}-RETRY",
                task_queue=h.task_queue,
            )
            run = env.client.get_workflow_handle(handle.id, run_id=(await handle.describe()).run_id)
            await reached(run, "timer_started_event_attributes", 1)  # e1 waits for its retry
            await env.sleep(61)
            await until(lambda: len(receiver.accepted) == 2)
            await reached(run, "timer_started_event_attributes", 2)  # caught up: idle
            await handle.signal(WebhookRelayWorkflow.wake)
            await reached(run, "timer_started_event_attributes", 3)  # the fifth call's pause
            await env.sleep(3601)
            await reached(run, "workflow_execution_continued_as_new_event_attributes", 1)
            await save(env.client, handle.id, run.run_id)
            await env.client.get_workflow_handle(handle.id).terminate(reason="recorded")
        db.dispose()


async def main(prefix: str) -> None:
    from temporalio.contrib.pydantic import pydantic_data_converter

    from oms.temporal import ensure_search_attributes

    binary = str(Path(sys.executable).parent / "temporal-test-server")
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary, data_converter=pydantic_data_converter
    )
    await ensure_search_attributes(env.client)
    try:
        await record_webhook_relay(env, prefix)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
