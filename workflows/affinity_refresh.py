"""AffinityRefreshWorkflow: the one long-running loop that keeps the learnt co-purchase
affinity of the recommendations up to date with the orders placed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.common import RetryPolicy, WorkflowIDConflictPolicy

from oms.keys import AFFINITY_REFRESH_WORKFLOW_ID

with workflow.unsafe.imports_passed_through():
    from oms.contracts.recommendations import RefreshRequest, RefreshResult
    from workflows import calls

# Calls per run before continuing as new: a few hundred history events at most.
CALLS_PER_RUN = 100
# One call counts up to 50,000 orders, heartbeating after each batch of 2,000; database
# outages are waited out.
REFRESH_ACTIVITY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(minutes=30),
    "heartbeat_timeout": timedelta(minutes=2),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=1)
    ),
}


class RefreshSettings(BaseModel):
    interval_s: float = Field(default=900.0, gt=0, description="Pause once caught up")


class RefreshInput(BaseModel):
    settings: RefreshSettings = Field(default_factory=RefreshSettings)
    calls_per_run: int = Field(default=CALLS_PER_RUN, ge=1)


@workflow.defn
class AffinityRefreshWorkflow:
    """Loop for ever: one ``refresh_affinity`` call (the orders placed since the last one),
    then a pause of ``interval_s`` once caught up (none while a backlog remains); continue as
    new every ``calls_per_run`` calls, or sooner if Temporal suggests it. Every worker process
    starts it with a fixed id, keeping the one running. Where it stands lives in the database
    (``affinity_refresh``), so the run carries nothing over.

    Signal: ``configure(RefreshSettings)``, sent by each worker start. Query: ``last`` (the
    last call's ``RefreshResult``).
    """

    @workflow.init
    def __init__(self, inp: RefreshInput) -> None:
        self._settings = inp.settings
        self._last: RefreshResult | None = None

    @workflow.run
    async def run(self, inp: RefreshInput) -> None:
        for _ in range(inp.calls_per_run):
            result = await workflow.execute_activity(
                calls.refresh_affinity,
                RefreshRequest(),
                summary="count the orders placed since the last call",
                **REFRESH_ACTIVITY,
            )
            self._last = result
            if result.caught_up:
                await workflow.sleep(
                    timedelta(seconds=self._settings.interval_s), summary="caught up: next count"
                )
            if workflow.info().is_continue_as_new_suggested():
                break
        workflow.continue_as_new(
            RefreshInput(settings=self._settings, calls_per_run=inp.calls_per_run)
        )

    @workflow.signal
    def configure(self, settings: RefreshSettings) -> None:
        self._settings = settings

    @workflow.query
    def last(self) -> RefreshResult | None:
        return self._last


async def start_affinity_refresh(
    client: Client,
    task_queue: str,
    settings: RefreshSettings,
    *,
    workflow_id: str = AFFINITY_REFRESH_WORKFLOW_ID,
) -> WorkflowHandle[AffinityRefreshWorkflow, None]:
    """Start the refresh unless it runs already; either way it takes these settings."""
    handle = await client.start_workflow(
        AffinityRefreshWorkflow.run,
        RefreshInput(settings=settings),
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary="Recommendations: co-purchase affinity from the orders placed",
        static_details=(
            "Counts the orders placed since its last call into co-purchase pairs and rebuilds "
            "the neighbours of the products they hold (docs/recommendations.md). Counts every "
            f"{settings.interval_s:g} s once caught up; continues as new to keep its history "
            "short."
        ),
    )
    await handle.signal(AffinityRefreshWorkflow.configure, settings)
    return handle
