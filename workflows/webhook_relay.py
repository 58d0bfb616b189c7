"""WebhookRelayWorkflow: the one long-running relay that delivers every outbox event to every
matching webhook subscription (docs/events.md, docs/workflows.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.client import Client, WorkflowHandle

from oms.keys import WEBHOOK_RELAY_WORKFLOW_ID
from workflows.atp_watch import WATCH_ACTIVITY
from workflows.outbox_loop import CALLS_PER_RUN, LoopSettings, OutboxLoop, start_loop

with workflow.unsafe.imports_passed_through():
    from oms.contracts.webhooks_out import RelayRequest, RelayResult
    from workflows import calls

# Like the ATP watcher's: one call polls for run_for_s and heartbeats after each pass; a stuck
# call is retried within a minute, database outages are waited out.
RELAY_ACTIVITY = WATCH_ACTIVITY


class RelaySettings(LoopSettings):
    pass


class RelayInput(BaseModel):
    settings: RelaySettings = Field(default_factory=RelaySettings)
    calls_per_run: int = Field(default=CALLS_PER_RUN, ge=1)


@workflow.defn
class WebhookRelayWorkflow(OutboxLoop[RelaySettings, RelayResult]):
    """Loop for ever (workflows.outbox_loop): one ``relay_webhooks`` call, which polls the
    outbox for ``run_for_s``, then a pause once caught up. Every worker process starts it with
    a fixed id, keeping the one running, and so does the API when a subscription is created.

    Signals: ``configure(RelaySettings)``, ``wake()`` (a subscription or a redelivery is new).
    Query: ``last`` (the last call's ``RelayResult``).
    """

    @workflow.init
    def __init__(self, inp: RelayInput) -> None:
        self._start(inp.settings)

    @workflow.run
    async def run(self, inp: RelayInput) -> None:
        await self._calls(inp.calls_per_run, self._relay)
        workflow.continue_as_new(
            RelayInput(settings=self._settings, calls_per_run=inp.calls_per_run)
        )

    async def _relay(self, s: RelaySettings) -> RelayResult:
        return await workflow.execute_activity(
            calls.relay_webhooks,
            RelayRequest(
                now=workflow.now(),
                run_for_s=s.run_for_s,
                poll_s=s.poll_s,
                batch=s.batch,
                retry_for_s=s.retry_for_s,
            ),
            summary="relay outbox events, send due deliveries",
            **RELAY_ACTIVITY,
        )

    @workflow.signal
    def configure(self, settings: RelaySettings) -> None:
        self._settings = settings

    @workflow.signal
    def wake(self) -> None:
        self._woken = True

    @workflow.query
    def last(self) -> RelayResult | None:
        return self._last


async def start_webhook_relay(
    client: Client,
    task_queue: str,
    settings: RelaySettings | None = None,
    *,
    workflow_id: str = WEBHOOK_RELAY_WORKFLOW_ID,
) -> WorkflowHandle[WebhookRelayWorkflow, None]:
    """Start the relay unless it runs already; with settings, it takes them."""
    return await start_loop(
        client,
        WebhookRelayWorkflow.run,
        RelayInput(settings=settings or RelaySettings()),
        workflow_id=workflow_id,
        task_queue=task_queue,
        summary="Webhook relay: outbox events to the subscribers' URLs",
        details=(
            "Turns each outbox event into a delivery per matching subscription and sends it, "
            "signed, in order per order and per SKU; retries with exponential backoff, then "
            "marks it dead (GET /webhooks/deliveries). Continues as new to keep its history "
            "short."
        ),
        configure=WebhookRelayWorkflow.configure,
        settings=settings,
    )
