"""A recorded run of CustomerMessagesWorkflow for the replay test: an order's confirmation
written and sent to a local mail server that answers "try again later" once (a retry after a
pause the test server skips), a ``wake`` signal, a last pause, then the run continues as new.
Run by hand with a new prefix after a compatible change:
``python -m tests.workflows.record_customer_messages R10``."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from oms.connectors.email import SmtpSender
from oms.db import orders as order_repo
from oms.db import outbox
from tests.factories import order
from tests.mail import MailServer
from tests.workflows.harness import running
from tests.workflows.record_order_paths import fresh_db
from tests.workflows.record_other_histories import reached, save, until
from workflows.customer_messages import (
    CustomerMessagesWorkflow,
    MessagesInput,
    MessagesSettings,
)


async def record_customer_messages(env: WorkflowEnvironment, prefix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp, MailServer() as mail:
        mail.busy = 1
        db = fresh_db(tmp)
        o = order("O1", customer={"id": "C1", "email": "camille@example.com", "locale": "fr"})
        with db.session() as s:
            order_repo.insert_order(s, o, received_at=datetime.now(UTC))
            outbox.emit(
                s,
                event_id="O1:order.confirmed",
                type="order.confirmed",
                order_id="O1",
                payload={"order_id": "O1", "currency": "EUR", "total": o.total},
            )
        sender = SmtpSender(mail.url, sender="Shop <orders@shop.example>", timeout=5)
        async with running(env.client, db, mailer=sender) as h:
            settings = MessagesSettings(run_for_s=0, idle_s=3600)
            handle = await env.client.start_workflow(
                CustomerMessagesWorkflow.run,
                MessagesInput(settings=settings, calls_per_run=5),
                id=f"customer-messages-{prefix}-RETRY",
                task_queue=h.task_queue,
            )
            run = env.client.get_workflow_handle(handle.id, run_id=(await handle.describe()).run_id)
            await reached(run, "timer_started_event_attributes", 1)  # waits for its retry
            await env.sleep(61)
            await until(lambda: len(mail.received) == 1)
            await reached(run, "timer_started_event_attributes", 2)  # caught up: idle
            await handle.signal(CustomerMessagesWorkflow.wake)
            await reached(run, "timer_started_event_attributes", 3)
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
        await record_customer_messages(env, prefix)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
