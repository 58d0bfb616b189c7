"""The yardstick for bench/orders.py: a workflow that does nothing but run K no-op activities.

Same server, same client, same concurrency as the order run: the ratio of the two throughputs
says how much the order path costs beyond the bare Temporal round trips it cannot avoid.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from bench.orders_figures import Phase

# What one order ran (scheduled activities plus local-activity markers, order and fulfilment
# together) when the throughput target of issue 9 was set. Fixed on purpose, whatever the
# order runs today: an order that merges or drops steps does less than the yardstick and the
# ratio shows it as a gain, where a yardstick that shrank with it would hide it.
BASELINE_ACTIVITIES = 19


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


async def run_baseline(
    client: Client, task_queue: str, k: int, n: int, concurrency: int, tag: str
) -> tuple[Phase, list[str]]:
    """``n`` baseline workflows, ``concurrency`` at a time; the phase and the workflow ids."""
    sem = asyncio.Semaphore(concurrency)
    ids = [f"baseline-{tag}-{i:05d}" for i in range(n)]

    async def one(wid: str) -> float | str:
        async with sem:
            t0 = time.perf_counter()
            try:
                handle: WorkflowHandle[Any, int] = await client.start_workflow(
                    BaselineWorkflow.run, k, id=wid, task_queue=task_queue
                )
                await handle.result()
            except Exception as err:
                return f"{wid}: {type(err).__name__}: {err}"
            return (time.perf_counter() - t0) * 1000

    t0 = time.perf_counter()
    outcomes = await asyncio.gather(*(one(w) for w in ids))
    duration = time.perf_counter() - t0
    phase = Phase(
        started=n,
        duration_s=duration,
        latencies_ms=[o for o in outcomes if isinstance(o, float)],
        failures=[o for o in outcomes if isinstance(o, str)],
    )
    return phase, ids
