"""CustomerMessagesWorkflow: the one long-running loop that writes a message to the customer
for each outbox event that tells them something, and sends it by email (docs/messages.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.client import Client, WorkflowHandle

from oms.keys import CUSTOMER_MESSAGES_WORKFLOW_ID
from workflows.atp_watch import WATCH_ACTIVITY
from workflows.outbox_loop import CALLS_PER_RUN, LoopSettings, OutboxLoop, start_loop

with workflow.unsafe.imports_passed_through():
    from oms.contracts.customer_messages import MessagesRequest, MessagesResult
    from workflows import calls

# As the relay's: one call polls for run_for_s and heartbeats after each message; a stuck
# call is retried within a minute, database outages are waited out.
MESSAGES_ACTIVITY = WATCH_ACTIVITY


class MessagesSettings(LoopSettings):
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
class CustomerMessagesWorkflow(OutboxLoop[MessagesSettings, MessagesResult]):
    """Loop for ever (workflows.outbox_loop): one ``send_customer_messages`` call, which polls
    the outbox for ``run_for_s``, then a pause once caught up. Every worker process starts it
    with a fixed id, keeping the one running.

    Signals: ``configure(MessagesSettings)``, ``wake()``.
    Query: ``last`` (the last call's ``MessagesResult``).
    """

    @workflow.init
    def __init__(self, inp: MessagesInput) -> None:
        self._start(inp.settings)

    @workflow.run
    async def run(self, inp: MessagesInput) -> None:
        await self._calls(inp.calls_per_run, self._send)
        workflow.continue_as_new(
            MessagesInput(settings=self._settings, calls_per_run=inp.calls_per_run)
        )

    async def _send(self, s: MessagesSettings) -> MessagesResult:
        return await workflow.execute_activity(
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
    return await start_loop(
        client,
        CustomerMessagesWorkflow.run,
        MessagesInput(settings=settings or MessagesSettings()),
        workflow_id=workflow_id,
        task_queue=task_queue,
        summary="Customer messages: outbox events to the customers' mailboxes",
        details=(
            "Writes one message per event that tells a customer something (confirmed, ready "
            "for collection, still waiting there, not collected, moved to another store or "
            "address, part of it cancelled, shipped, delivered, refunded, money given back, "
            "cancelled) in their language and sends it by email; retries with backoff, then "
            "marks it failed "
            "(GET /orders/{id}/messages). Continues as new to keep its history short."
        ),
        configure=CustomerMessagesWorkflow.configure,
        settings=settings,
    )
