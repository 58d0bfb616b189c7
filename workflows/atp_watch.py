"""AtpWatchWorkflow: the one long-running watcher that turns channel ATP crossings into
storefront events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.common import RetryPolicy, WorkflowIDConflictPolicy

from oms.keys import ATP_WATCH_WORKFLOW_ID

with workflow.unsafe.imports_passed_through():
    from oms.contracts.atp_watch import WatchRequest, WatchResult
    from oms.domain.stock_events import WatchCursor
    from workflows import calls

# Activity calls per run before continuing as new: a few thousand history events at most.
CALLS_PER_RUN = 250
# One call works for a bounded time and heartbeats after each batch: a stuck call is retried
# from its last heartbeat within a minute; database outages are waited out.
WATCH_ACTIVITY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(minutes=10),
    "heartbeat_timeout": timedelta(seconds=60),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
    ),
}


class WatchSettings(BaseModel):
    interval_s: float = Field(default=5.0, gt=0, description="Pause between caught-up passes")
    overlap_s: float = Field(default=10.0, ge=0, description="How far each pass reaches back")


class WatchInput(BaseModel):
    settings: WatchSettings = Field(default_factory=WatchSettings)
    cursor: WatchCursor = Field(default_factory=WatchCursor)
    calls_per_run: int = Field(default=CALLS_PER_RUN, ge=1)


@workflow.defn
class AtpWatchWorkflow:
    """Loop for ever: one ``watch_atp`` call, then a pause of ``interval_s`` once a pass has
    read everything (none while a backlog remains); continue as new every ``calls_per_run``
    calls, or sooner if Temporal suggests it, with the cursor. Every worker process starts it
    with a fixed id, keeping the one running.

    Signal: ``configure(WatchSettings)``, sent by each worker start. Query: ``last`` (the last
    call's ``WatchResult``).
    """

    @workflow.init
    def __init__(self, inp: WatchInput) -> None:
        self._settings = inp.settings
        self._last: WatchResult | None = None

    @workflow.run
    async def run(self, inp: WatchInput) -> None:
        cursor = inp.cursor
        for _ in range(inp.calls_per_run):
            result = await workflow.execute_activity(
                calls.watch_atp,
                WatchRequest(cursor=cursor, overlap_s=self._settings.overlap_s),
                summary="read moved positions, write stock events",
                **WATCH_ACTIVITY,
            )
            self._last, cursor = result, result.cursor
            if result.caught_up:
                await workflow.sleep(
                    timedelta(seconds=self._settings.interval_s), summary="caught up: next pass"
                )
            if workflow.info().is_continue_as_new_suggested():
                break
        workflow.continue_as_new(
            WatchInput(settings=self._settings, cursor=cursor, calls_per_run=inp.calls_per_run)
        )

    @workflow.signal
    def configure(self, settings: WatchSettings) -> None:
        self._settings = settings

    @workflow.query
    def last(self) -> WatchResult | None:
        return self._last


async def start_atp_watch(
    client: Client,
    task_queue: str,
    settings: WatchSettings,
    *,
    workflow_id: str = ATP_WATCH_WORKFLOW_ID,
) -> WorkflowHandle[AtpWatchWorkflow, None]:
    """Start the watcher unless it runs already; either way it takes these settings."""
    handle = await client.start_workflow(
        AtpWatchWorkflow.run,
        WatchInput(settings=settings),
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary="ATP watcher: stock events for the channel figures that moved",
        static_details=(
            "Reads the inventory positions that changed since its last pass and writes a "
            "stock event for each channel figure that moved (GET /availability/events). "
            f"Passes every {settings.interval_s:g} s once caught up, reading "
            f"{settings.overlap_s:g} s back; continues as new to keep its history short."
        ),
    )
    await handle.signal(AtpWatchWorkflow.configure, settings)
    return handle
