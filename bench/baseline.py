"""The yardstick for bench/orders.py: a workflow that does nothing but run K no-op activities.

Same server, same client, same concurrency as the order run: the ratio of the two throughputs
says how much the order path costs beyond the bare Temporal round trips it cannot avoid.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker


@activity.defn
async def noop(step: int) -> int:
    return step


@workflow.defn
class BaselineWorkflow:
    """Runs ``k`` no-op activities one after the other. No signals, queries or updates."""

    @workflow.run
    async def run(self, k: int) -> int:
        for step in range(k):
            await workflow.execute_activity(
                noop, step, start_to_close_timeout=timedelta(seconds=30)
            )
        return k


def baseline_worker(client: Client, task_queue: str) -> Worker:
    return Worker(client, task_queue=task_queue, workflows=[BaselineWorkflow], activities=[noop])
