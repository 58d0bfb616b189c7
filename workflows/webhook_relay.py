"""WebhookRelayWorkflow: the one long-running relay that delivers every outbox event to every
matching webhook subscription (docs/events.md, docs/workflows.md)."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy

from oms.keys import WEBHOOK_RELAY_WORKFLOW_ID
from workflows.atp_watch import WATCH_ACTIVITY

with workflow.unsafe.imports_passed_through():
    from oms.contracts.webhooks_out import RelayRequest, RelayResult
    from workflows import calls

CALLS_PER_RUN = 250
# Like the ATP watcher's: one call polls for run_for_s and heartbeats after each pass; a stuck
# call is retried within a minute, database outages are waited out.
RELAY_ACTIVITY = WATCH_ACTIVITY


class RelaySettings(BaseModel):
    run_for_s: float = Field(default=30.0, ge=0, description="How long one call keeps polling")
    poll_s: float = Field(default=0.2, gt=0, description="Pause between empty passes in a call")
    idle_s: float = Field(
        default=1.0, gt=0, description="Pause between calls once caught up (at most)"
    )
    batch: int = Field(default=500, ge=1, description="Events and deliveries per pass")
    retry_for_s: float = Field(
        default=3 * 86400.0, gt=0, description="How long a failing delivery is retried"
    )


class RelayInput(BaseModel):
    settings: RelaySettings = Field(default_factory=RelaySettings)
    calls_per_run: int = Field(default=CALLS_PER_RUN, ge=1)


@workflow.defn
class WebhookRelayWorkflow:
    """Loop for ever: one ``relay_webhooks`` call (which polls the outbox for ``run_for_s``),
    then, once caught up, a pause until the next retry falls due or ``idle_s``, whichever is
    sooner (a ``wake`` signal ends it early); continue as new every ``calls_per_run`` calls or
    when Temporal suggests it. Every worker process starts it with a fixed id, keeping the one
    running, and so does the API when a subscription is created.

    Signals: ``configure(RelaySettings)``, ``wake()`` (a subscription or a redelivery is new).
    Query: ``last`` (the last call's ``RelayResult``).
    """

    @workflow.init
    def __init__(self, inp: RelayInput) -> None:
        self._settings = inp.settings
        self._last: RelayResult | None = None
        self._woken = False

    @workflow.run
    async def run(self, inp: RelayInput) -> None:
        for _ in range(inp.calls_per_run):
            s = self._settings
            self._woken = False
            result = await workflow.execute_activity(
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
            RelayInput(settings=self._settings, calls_per_run=inp.calls_per_run)
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
    handle = await client.start_workflow(
        WebhookRelayWorkflow.run,
        RelayInput(settings=settings or RelaySettings()),
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary="Webhook relay: outbox events to the subscribers' URLs",
        static_details=(
            "Turns each outbox event into a delivery per matching subscription and sends it, "
            "signed, in order per order and per SKU; retries with exponential backoff, then "
            "marks it dead (GET /webhooks/deliveries). Continues as new to keep its history "
            "short."
        ),
    )
    if settings is not None:
        await handle.signal(WebhookRelayWorkflow.configure, settings)
    return handle
