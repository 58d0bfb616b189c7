"""CustomerMessagesWorkflow: the one long-running loop that writes a message to the customer
for each outbox event that tells them something, and sends it by email (docs/messages.md)."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy

from oms.keys import CUSTOMER_MESSAGES_WORKFLOW_ID
from workflows.atp_watch import WATCH_ACTIVITY

with workflow.unsafe.imports_passed_through():
    from oms.contracts.customer_messages import MessagesRequest, MessagesResult
    from workflows import calls

CALLS_PER_RUN = 250
# As the relay's: one call polls for run_for_s and heartbeats after each message; a stuck
# call is retried within a minute, database outages are waited out.
MESSAGES_ACTIVITY = WATCH_ACTIVITY


class MessagesSettings(BaseModel):
    run_for_s: float = Field(default=30.0, ge=0, description="How long one call keeps polling")
    poll_s: float = Field(default=0.5, gt=0, description="Pause between empty passes in a call")
    idle_s: float = Field(
        default=2.0, gt=0, description="Pause between calls once caught up (at most)"
    )
    batch: int = Field(default=200, ge=1, description="Events and messages per pass")
    retry_for_s: float = Field(
        default=86400.0, gt=0, description="How long a message the server refuses is retried"
    )


class MessagesInput(BaseModel):
    settings: MessagesSettings = Field(default_factory=MessagesSettings)
    calls_per_run: int = Field(default=CALLS_PER_RUN, ge=1)


@workflow.defn
class CustomerMessagesWorkflow:
    """Loop for ever: one ``send_customer_messages`` call (which polls the outbox for
    ``run_for_s``), then, once caught up, a pause until the next retry falls due or
    ``idle_s``, whichever is sooner (a ``wake`` signal ends it early); continue as new every
    ``calls_per_run`` calls or when Temporal suggests it. Every worker process starts it
    with a fixed id, keeping the one running.

    Signals: ``configure(MessagesSettings)``, ``wake()``.
    Query: ``last`` (the last call's ``MessagesResult``).
    """

    @workflow.init
    def __init__(self, inp: MessagesInput) -> None:
        self._settings = inp.settings
        self._last: MessagesResult | None = None
        self._woken = False

    @workflow.run
    async def run(self, inp: MessagesInput) -> None:
        for _ in range(inp.calls_per_run):
            s = self._settings
            self._woken = False
            result = await workflow.execute_activity(
                calls.send_customer_messages,
                MessagesRequest(
                    now=workflow.now(),
                    run_for_s=s.run_for_s,
                    poll_s=s.poll_s,
                    batch=s.batch,
                    retry_for_s=s.retry_for_s,
                ),
                summary="write and send customer messages",
                **MESSAGES_ACTIVITY,
            )
            self._last = result
            if result.caught_up and not self._woken:
                pause = s.idle_s
                if result.next_due_s is not None:
                    pause = min(pause, result.next_due_s)
                if pause > 0:
                    with contextlib.suppress(TimeoutError):
                        await workflow.wait_condition(
                            lambda: self._woken,
                            timeout=timedelta(seconds=pause),
                            timeout_summary="caught up: next pass",
                        )
            if workflow.info().is_continue_as_new_suggested():
                break
        workflow.continue_as_new(
            MessagesInput(settings=self._settings, calls_per_run=inp.calls_per_run)
        )

    @workflow.signal
    def configure(self, settings: MessagesSettings) -> None:
        self._settings = settings

    @workflow.signal
    def wake(self) -> None:
        self._woken = True

    @workflow.query
    def last(self) -> MessagesResult | None:
        return self._last


async def start_customer_messages(
    client: Client,
    task_queue: str,
    settings: MessagesSettings | None = None,
    *,
    workflow_id: str = CUSTOMER_MESSAGES_WORKFLOW_ID,
) -> WorkflowHandle[CustomerMessagesWorkflow, None]:
    """Start the loop unless it runs already; with settings, it takes them."""
    handle = await client.start_workflow(
        CustomerMessagesWorkflow.run,
        MessagesInput(settings=settings or MessagesSettings()),
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary="Customer messages: outbox events to the customers' mailboxes",
        static_details=(
            "Writes one message per event that tells a customer something (confirmed, ready "
            "for collection, shipped, delivered, refunded, cancelled) in their language and "
            "sends it by email; retries with backoff, then marks it failed "
            "(GET /orders/{id}/messages). Continues as new to keep its history short."
        ),
    )
    if settings is not None:
        await handle.signal(CustomerMessagesWorkflow.configure, settings)
    return handle
